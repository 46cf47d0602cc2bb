"""openSMILE functionals (eGeMAPSv02, ComParE_2016, the INTERSPEECH sets, ...) behind the ``opensmile`` extra."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..audio import DEFAULT_SR
from .handcrafted import _UtteranceFunctionals
from .speaker import MIN_UTTERANCES

#: the sets of opensmile-python (>= 2.6 for the INTERSPEECH challenges' IS09-IS13)
FEATURE_SETS = ("eGeMAPSv02", "ComParE_2016", "emobase", "IS09", "IS10", "IS11", "IS12", "IS13")


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
    if not hasattr(opensmile.FeatureSet, feature_set):
        raise ImportError(f"openSMILE's {feature_set} set needs a newer opensmile: pip install -U opensmile")
    return opensmile.Smile(
        feature_set=getattr(opensmile.FeatureSet, feature_set),
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def opensmile_functionals(y, sr, feature_set):
    """One signal's openSMILE functionals of ``feature_set`` (one of ``FEATURE_SETS``), float32."""
    return _smile(feature_set).process_signal(y, sr).to_numpy(dtype=np.float32)[0]


def n_opensmile_functionals(feature_set):
    """How many functionals ``feature_set`` has."""
    return len(_smile(feature_set).feature_names)


class OpenSmileFunctionals(_UtteranceFunctionals):
    """Utterance-level openSMILE functionals: eGeMAPSv02 (88), ComParE_2016 (6373), emobase (988) or
    an INTERSPEECH challenge's set (IS09 384, IS10 1582, IS11, IS12, IS13).

    Parameters
    ----------
    feature_set : one of ``FEATURE_SETS``, default="eGeMAPSv02"
    sr : int, default=16000
    speaker_norm : bool, default=False
    min_utterances : int, default=10
        As in :class:`~sklearn_ser.features.LLDFunctionals`.
    n_jobs : int, default=None
    domain_norm : bool, default=False
        As in :class:`~sklearn_ser.features.LLDFunctionals`.
    progress : bool, default=False
    memory : str or joblib.Memory, default=None
        As in :class:`~sklearn_ser.features.LLDFunctionals`.
        Show a progress bar.

    Examples
    --------
    >>> from sklearn_ser.features import OpenSmileFunctionals  # doctest: +SKIP
    >>> OpenSmileFunctionals("eGeMAPSv02").fit_transform(["a.wav"]).shape  # doctest: +SKIP
    (1, 88)
    """

    desc = "openSMILE functionals"

    def __init__(self, feature_set="eGeMAPSv02", sr=DEFAULT_SR, speaker_norm=False,
                 min_utterances=MIN_UTTERANCES, n_jobs=None, domain_norm=False, progress=False, memory=None):
        super().__init__(sr, speaker_norm, min_utterances, n_jobs, progress, domain_norm, memory=memory)
        self.feature_set = feature_set

    def fit(self, X, y=None):
        _smile(self.feature_set)  # fail early on a missing extra or an unknown set
        return super().fit(X, y)

    def _before_extraction(self):
        _smile(self.feature_set)

    def _utterance_features(self, y):
        return opensmile_functionals(y, self.sr, self.feature_set)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(_smile(self.feature_set).feature_names, dtype=object)
