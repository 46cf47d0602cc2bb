"""The library's broad handcrafted representation: 124 frame LLDs -> utterance functionals."""
from __future__ import annotations

import numpy as np

from ..audio import DEFAULT_SR
from .broad_functionals import (
    broad_functional_names, broad_functionals, voiced_functional_names, voiced_functionals,
)
from .broad_lld import BROAD_LLD_NAMES, VOICED_LLDS, broad_llds
from .handcrafted import _UtteranceFunctionals

_VOICED_COLUMNS = [BROAD_LLD_NAMES.index(name) for name in VOICED_LLDS]
_F0 = BROAD_LLD_NAMES.index("f0")

#: the names of :func:`broad_features`' values, in order
BROAD_FEATURE_NAMES = broad_functional_names(BROAD_LLD_NAMES) + voiced_functional_names(VOICED_LLDS)


def broad_features(y, sr=DEFAULT_SR):
    """One waveform's broad functionals (:data:`BROAD_FEATURE_NAMES`), float32: the functionals
    of every LLD, then the voiced-only mean and std of F0, HNR, jitter and shimmer."""
    llds = broad_llds(y, sr=sr)
    hop_seconds = round(0.010 * sr) / sr
    return np.concatenate([
        broad_functionals(llds, frame_rate=1.0 / hop_seconds),
        voiced_functionals(llds[:, _VOICED_COLUMNS], llds[:, _F0] > 0),
    ])


class BroadFunctionals(_UtteranceFunctionals):
    """Utterance-level functionals of a broad set of frame-level descriptors, librosa/numpy only.

    Per utterance, every 10 ms (:func:`~sklearn_ser.features.broad_lld.broad_llds`): 26 log-mel
    bands, MFCC 1-14, log energy, loudness, two band energies, spectral flux, centroid, spread,
    skewness, kurtosis, entropy, flatness, slope and four roll-off points, F0, voicing probability,
    HNR, frame-level jitter and shimmer, zero-crossing rate, and the first delta of each (124
    LLDs); summarised by 29 functionals each
    (:func:`~sklearn_ser.features.broad_functionals.broad_functionals`: moments, extremes,
    percentiles and their ranges, regressions, up-level times, rise/fall shares, peaks), plus the
    voiced-only mean and std of F0, HNR, jitter and shimmer: 3604 features.

    Parameters
    ----------
    sr, speaker_norm, min_utterances, n_jobs, progress, domain_norm, memory
        As in :class:`~sklearn_ser.features.LLDFunctionals`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import BroadFunctionals
    >>> rng = np.random.default_rng(0)
    >>> waves = [rng.standard_normal(16000).astype("float32") for _ in range(3)]
    >>> BroadFunctionals().fit_transform(waves).shape
    (3, 3604)
    """

    desc = "broad functionals"

    def _utterance_features(self, y):
        return broad_features(y, sr=self.sr)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(BROAD_FEATURE_NAMES, dtype=object)
