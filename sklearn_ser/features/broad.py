"""The library's broad handcrafted representation: 124 frame LLDs -> utterance functionals."""
from __future__ import annotations

from functools import partial

import numpy as np

from .._parallel import map_utterances
from ..audio import DEFAULT_SR, load_utterances
from .base import UtteranceTransformer
from .broad_functionals import (
    broad_functional_names, broad_functionals, voiced_functional_names, voiced_functionals,
)
from .broad_lld import BROAD_LLD_NAMES, VOICED_LLDS, broad_llds
from .speaker import MIN_UTTERANCES

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


class BroadFunctionals(UtteranceTransformer):
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
    sr : int, default=16000
        Working sample rate; files are resampled to it, waveforms are taken to be at it.
    speaker_norm : bool, default=False
        Z-score the features of each speaker with that speaker's own statistics, as in
        :class:`~sklearn_ser.features.LLDFunctionals` (which describes the fallback).
    min_utterances : int, default=10
        Utterances of a speaker in one call before its own statistics are used.
    n_jobs : int, default=None
        Utterances processed in parallel through :class:`joblib.Parallel`.
    progress : bool, default=False
        Show a progress bar.
    domain_norm : bool, default=False
        Z-score the features of each recording domain (the ``domain`` column of a DataFrame X, else
        its ``corpus`` column, else all utterances of the call as one domain) with that domain's own
        statistics when it has at least ``min_utterances`` utterances in the call or was enrolled,
        else with the average training domain's, learned at fit (:mod:`sklearn_ser.features.domain`).
        Unsupervised: uses the target domain's audio, never its labels. With ``speaker_norm`` too,
        an utterance takes its speaker's statistics where at hand, else its domain's, else the
        population's.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import BroadFunctionals
    >>> rng = np.random.default_rng(0)
    >>> waves = [rng.standard_normal(16000).astype("float32") for _ in range(3)]
    >>> BroadFunctionals().fit_transform(waves).shape
    (3, 3604)
    """

    def __init__(self, sr=DEFAULT_SR, speaker_norm=False, min_utterances=MIN_UTTERANCES, n_jobs=None,
                 progress=False, domain_norm=False):
        self.sr = sr
        self.speaker_norm = speaker_norm
        self.min_utterances = min_utterances
        self.n_jobs = n_jobs
        self.progress = progress
        self.domain_norm = domain_norm

    def _compute(self, X, plan):
        waves, utts = load_utterances(X, sr=self.sr, n_jobs=self.n_jobs)
        rows = map_utterances(
            partial(broad_features, sr=self.sr), waves, utts.ids, n_jobs=self.n_jobs,
            progress=self.progress, desc="broad functionals",
        )
        return np.vstack(rows), {}

    def get_feature_names_out(self, input_features=None):
        return np.asarray(BROAD_FEATURE_NAMES, dtype=object)
