"""The handcrafted baseline's representation: 32 frame LLDs -> utterance functionals."""
from __future__ import annotations

import numpy as np

from ..audio import DEFAULT_SR, checked_sources
from .base import UtteranceTransformer
from .functionals import functional_names, functionals
from .lld import LLD_NAMES, compile_numba_kernels, frame_llds
from .speaker import MIN_UTTERANCES


class _UtteranceFunctionals(UtteranceTransformer):
    """What the functionals transformers share: their parameters and the map of
    :meth:`_utterance_features` (one waveform -> one row) over the utterances."""

    desc = "functionals"

    def __init__(self, sr=DEFAULT_SR, speaker_norm=False, min_utterances=MIN_UTTERANCES, n_jobs=None,
                 progress=False, domain_norm=False, memory=None):
        self.sr = sr
        self.speaker_norm = speaker_norm
        self.min_utterances = min_utterances
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress = progress
        self.domain_norm = domain_norm

    def _utterance_features(self, y):
        raise NotImplementedError

    def _before_extraction(self):
        """Work done once per call before the utterances are mapped (e.g. JIT compilation)."""

    def _compute(self, X, plan):
        sources, _, utts = checked_sources(X, sr=self.sr)
        self._read_all(sources, utts.ids)
        self._before_extraction()
        rows = self._map(self._utterance_features, sources, utts.ids, desc=self.desc)
        return np.vstack(rows), {}


class LLDFunctionals(_UtteranceFunctionals):
    """Utterance-level functionals of the 32 frame-level LLDs (Han et al. 2014; Kim et al. 2017).

    Per utterance: F0, voicing probability, zero-crossing rate, MFCC 1-12, RMS energy and their
    first deltas every 10 ms (:func:`~sklearn_ser.features.lld.frame_llds`), summarised by 12
    functionals each (:func:`~sklearn_ser.features.functionals.functionals`): 384 features.

    Parameters
    ----------
    sr : int, default=16000
        Working sample rate; files are resampled to it, waveforms are taken to be at it.
    speaker_norm : bool, default=False
        Z-score the features of each speaker (``speaker`` column of a DataFrame X) with that
        speaker's own statistics when it has at least ``min_utterances`` utterances in the call or
        was enrolled (:func:`~sklearn_ser.features.enroll`), else with the statistics of the average
        training speaker, learned at fit (with a warning naming the speakers). Unsupervised: uses a
        test speaker's audio, never its labels; an utterance's features never depend on other
        speakers' utterances in the call.
    min_utterances : int, default=10
        Utterances of a speaker in one call before its own statistics are used.
    n_jobs : int, default=None
        Utterances processed in parallel through :class:`joblib.Parallel`.
    progress : bool, default=False
        Show a progress bar.
    memory : str or joblib.Memory, default=None
        A folder (on storage every worker sees, for a cluster) where each utterance's functionals
        (before any z-scoring) are cached, keyed by this transformer's parameters and the file's
        path, size and modification time (a waveform's content): folds, grid points and later runs
        compute an utterance once.
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
    >>> from sklearn_ser.features import LLDFunctionals
    >>> rng = np.random.default_rng(0)
    >>> waves = [rng.standard_normal(16000).astype("float32") for _ in range(3)]
    >>> LLDFunctionals().fit_transform(waves).shape
    (3, 384)
    """

    desc = "LLD functionals"

    def _utterance_features(self, y):
        return functionals(frame_llds(y, sr=self.sr))

    def _before_extraction(self):
        compile_numba_kernels()

    def get_feature_names_out(self, input_features=None):
        return np.asarray(functional_names(LLD_NAMES), dtype=object)
