"""openSMILE functionals (eGeMAPSv02, ComParE_2016) behind the ``opensmile`` extra."""
from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._parallel import map_utterances
from ..audio import DEFAULT_SR, load_utterances, validate_utterances
from .speaker import standardize_per_speaker

FEATURE_SETS = ("eGeMAPSv02", "ComParE_2016")


@lru_cache(maxsize=None)  # one Smile per set and process
def _smile(feature_set):
    try:
        import opensmile
    except ImportError:
        raise ImportError(
            "OpenSmileFunctionals needs the 'opensmile' package: pip install 'sklearn-ser[opensmile]'"
        ) from None
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"feature_set must be one of {FEATURE_SETS}, got {feature_set!r}")
    return opensmile.Smile(
        feature_set=getattr(opensmile.FeatureSet, feature_set),
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def _functionals(y, sr, feature_set):
    return _smile(feature_set).process_signal(y, sr).to_numpy(dtype=np.float32)[0]


class OpenSmileFunctionals(TransformerMixin, BaseEstimator):
    """Utterance-level openSMILE functionals: eGeMAPSv02 (88) or ComParE_2016 (6373).

    Parameters
    ----------
    feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
    sr : int, default=16000
    speaker_norm : bool, default=False
        As in :class:`~sklearn_ser.features.LLDFunctionals`.
    n_jobs : int, default=None

    Examples
    --------
    >>> from sklearn_ser.features import OpenSmileFunctionals  # doctest: +SKIP
    >>> OpenSmileFunctionals("eGeMAPSv02").fit_transform(["a.wav"]).shape  # doctest: +SKIP
    (1, 88)
    """

    def __init__(self, feature_set="eGeMAPSv02", sr=DEFAULT_SR, speaker_norm=False, n_jobs=None):
        self.feature_set = feature_set
        self.sr = sr
        self.speaker_norm = speaker_norm
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        _smile(self.feature_set)  # fail early on a missing extra or an unknown set
        validate_utterances(X)
        return self

    def transform(self, X):
        _smile(self.feature_set)
        waves, utts = load_utterances(X, sr=self.sr, n_jobs=self.n_jobs)
        rows = map_utterances(
            partial(_functionals, sr=self.sr, feature_set=self.feature_set),
            waves, utts.ids, n_jobs=self.n_jobs,
        )
        features = np.vstack(rows)
        if self.speaker_norm:
            features = standardize_per_speaker(features, utts.speakers)
        return features

    def get_feature_names_out(self, input_features=None):
        return np.asarray(_smile(self.feature_set).feature_names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]  # features are float32 (DESIGN §4)
        return tags
