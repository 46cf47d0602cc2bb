"""Corpus readers, multi-corpus aggregation, label mappings and a synthetic corpus."""
from .corpora import (
    READERS, CorpusLayoutError, load_corpus, read_cremad, read_emodb, read_iemocap,
    read_manifest, read_ravdess, read_tess,
)
from .dimensions import (
    CATEGORY_RATINGS_PROXY, DIMENSIONS, five_levels, low_mid_high, proxy_ratings, ratings_of,
)
from .labels import (
    FEELTRACE_LANDMARKS, KIM_LABEL_MAP, bin_five_levels, bin_low_mid_high, combine_corpora,
    feeltrace_category, shared_label_map,
)
from .synthetic import EMOTION_PROFILES, make_synthetic_corpus, synthesize_utterance

__all__ = [
    "READERS", "CorpusLayoutError", "load_corpus", "read_cremad", "read_emodb", "read_iemocap",
    "read_manifest", "read_ravdess", "read_tess", "FEELTRACE_LANDMARKS", "KIM_LABEL_MAP",
    "bin_five_levels", "bin_low_mid_high", "combine_corpora", "feeltrace_category", "shared_label_map",
    "EMOTION_PROFILES", "make_synthetic_corpus", "synthesize_utterance",
    "CATEGORY_RATINGS_PROXY", "DIMENSIONS", "five_levels", "low_mid_high", "proxy_ratings", "ratings_of",
]
