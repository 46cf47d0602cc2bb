"""Dimensional targets: arousal, valence and dominance ratings, binned into classes, from a corpus's
own ratings (IEMOCAP) or, for corpora that carry only categories, from a documented proxy.

Each dimension is its own classification task with a 1-D y (one model per dimension, as Latif et
al. 2017 train one classifier per dimension): ``evaluate(system, corpus, low_mid_high(corpus,
"arousal"))``. The proxy gives each category a pseudo-rating on the 1-5 scale of IEMOCAP's
evaluators, so the same binning applies to both; a proxy target is a coarsening of the categories,
not a rating, and is reported as such.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..audio import check_no_missing
from .labels import bin_five_levels, bin_low_mid_high

#: The three dimensions as IEMOCAP's reader names them (Latif et al. call dominance "power").
DIMENSIONS = ("arousal", "valence", "dominance")
_ALIASES = {"power": "dominance", "activation": "arousal"}

#: The library's category -> (valence, arousal, dominance) pseudo-ratings on the 1-5 scale: the
#: quadrant each category takes in the usual circumplex / pleasure-arousal-dominance placement
#: (3 = neither), chosen once and not tuned on any corpus. A proxy, never a rating.
CATEGORY_RATINGS_PROXY = {
    "neutral": (3, 3, 3),
    "calm": (4, 2, 3),
    "happy": (5, 4, 4),
    "excited": (5, 5, 4),
    "surprise": (4, 5, 3),
    "sad": (1, 2, 2),
    "boredom": (2, 1, 2),
    "angry": (1, 5, 5),
    "fear": (1, 5, 1),
    "disgust": (2, 3, 4),
    "frustrated": (2, 4, 3),
}


def dimension_name(dimension):
    """The rating column of ``dimension`` ("power" and "activation" are aliases)."""
    name = _ALIASES.get(dimension, dimension)
    if name not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)} (or power, activation)")
    return name


def proxy_ratings(labels, table=None):
    """Pseudo-ratings (valence, arousal, dominance) of each category label, from
    :data:`CATEGORY_RATINGS_PROXY` (or ``table``). Refuses a label the table lacks, naming it."""
    table = CATEGORY_RATINGS_PROXY if table is None else table
    labels = np.asarray(labels, dtype=object)
    unknown = sorted({str(label) for label in labels} - set(map(str, table)))
    if unknown:
        raise ValueError(f"no proxy rating for the label(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(table)} (pass table= to map others)")
    values = np.array([table[label] for label in labels], dtype=float).reshape(-1, 3)
    return pd.DataFrame(values, columns=["valence", "arousal", "dominance"])


def ratings_of(corpus, proxy=False):
    """The corpus's valence, arousal and dominance ratings as a DataFrame aligned with its rows.

    From its own rating columns when it has all three; otherwise, with ``proxy=True``, the
    category proxy of its ``label`` column (``attrs["proxy"]`` tells which). Without ratings and
    without ``proxy`` it raises, so a proxy is never used unawares.
    """
    has = [d for d in DIMENSIONS if d in corpus.columns]
    if len(has) == len(DIMENSIONS):
        ids = corpus["audio"].astype(str).tolist() if "audio" in corpus.columns else None
        ratings = corpus[list(DIMENSIONS)].reset_index(drop=True).astype(float)
        for d in DIMENSIONS:
            check_no_missing(ratings[d].to_numpy(dtype=object), f"{d} rating", ids)
        ratings.attrs["proxy"] = False
        return ratings
    if not proxy:
        raise ValueError(f"the corpus has no {', '.join(d for d in DIMENSIONS if d not in has)} ratings; "
                         "proxy=True derives pseudo-ratings from its categories (a proxy, not a rated task)")
    ratings = proxy_ratings(corpus["label"])[list(DIMENSIONS)]
    ratings.attrs["proxy"] = True
    return ratings


def low_mid_high(corpus, dimension, proxy=False):
    """Latif et al.'s three classes of one dimension: low (< 3), mid (= 3), high (> 3)."""
    return bin_low_mid_high(ratings_of(corpus, proxy)[dimension_name(dimension)])


def five_levels(corpus, dimension, proxy=False):
    """Wieser et al.'s five levels (1-5) of one dimension."""
    return bin_five_levels(ratings_of(corpus, proxy)[dimension_name(dimension)])
