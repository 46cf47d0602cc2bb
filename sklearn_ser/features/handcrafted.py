"""The handcrafted baseline's representation: 32 frame LLDs -> utterance functionals."""
from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._parallel import map_utterances
from ..audio import DEFAULT_SR, load_utterances, validate_utterances
from .functionals import functional_names, functionals
from .lld import LLD_NAMES, compile_numba_kernels, frame_llds
from .speaker import standardize_per_speaker


def _lld_functionals(y, sr):
    return functionals(frame_llds(y, sr=sr))


class LLDFunctionals(TransformerMixin, BaseEstimator):
    """Utterance-level functionals of the 32 frame-level LLDs (Han et al. 2014; Kim et al. 2017).

    Per utterance: F0, voicing probability, zero-crossing rate, MFCC 1-12, RMS energy and their
    first deltas every 10 ms (:func:`~sklearn_ser.features.lld.frame_llds`), summarised by 12
    functionals each (:func:`~sklearn_ser.features.functionals.functionals`): 384 features.

    Parameters
    ----------
    sr : int, default=16000
        Working sample rate; files are resampled to it, waveforms are taken to be at it.
    speaker_norm : bool, default=False
        Standardise the features of each speaker with that speaker's own statistics, read from
        the ``speaker`` column of a DataFrame X (the whole batch as one speaker, with a warning,
        when there is none). Unsupervised: uses a test speaker's audio, never its labels.
    n_jobs : int, default=None
        Utterances processed in parallel through :class:`joblib.Parallel`.
    progress : bool, default=False
        Show a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import LLDFunctionals
    >>> rng = np.random.default_rng(0)
    >>> waves = [rng.standard_normal(16000).astype("float32") for _ in range(3)]
    >>> LLDFunctionals().fit_transform(waves).shape
    (3, 384)
    """

    def __init__(self, sr=DEFAULT_SR, speaker_norm=False, n_jobs=None, progress=False):
        self.sr = sr
        self.speaker_norm = speaker_norm
        self.n_jobs = n_jobs
        self.progress = progress

    def fit(self, X, y=None):
        # Stateless: nothing is learned; fit only checks the utterances (cheaply, no decoding).
        validate_utterances(X)
        return self

    def transform(self, X):
        waves, utts = load_utterances(X, sr=self.sr, n_jobs=self.n_jobs)
        compile_numba_kernels()
        rows = map_utterances(
            partial(_lld_functionals, sr=self.sr), waves, utts.ids, n_jobs=self.n_jobs,
            progress=self.progress, desc="LLD functionals",
        )
        features = np.vstack(rows)
        if self.speaker_norm:
            features = standardize_per_speaker(features, utts.speakers)
        return features

    def get_feature_names_out(self, input_features=None):
        return np.asarray(functional_names(LLD_NAMES), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]  # features are float32 (DESIGN §4)
        return tags
