"""Wieser et al. 2020's inputs: 6 s windows of raw audio (ELoR) and their MFCCs (LoM).
"""
from __future__ import annotations

import numpy as np

from ...audio import DEFAULT_SR
from ..segments import long_utterance_windows, window_count
from ..spectral import mfcc, n_frames_for
from ._base import _Representation


class WieserRawWindows(_Representation):
    """Wieser et al. 2020's ELoR input: 6 s windows of raw audio at 16 kHz in [-1, 1], zero-padded;
    a longer utterance gives several windows, its last only if longer than ``min_last_s``.
    ``(n_windows, 96000)`` per utterance.

    Parameters
    ----------
    sr : int, default=16000
    window_s, min_last_s : float, default=6.0, 3.0
    n_jobs, progress, max_output_mb, memory : as in :class:`~sklearn_ser.features.LatifLogMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import WieserRawWindows
    >>> WieserRawWindows().fit_transform([np.full(16000 * 10, 0.1)])[0].shape
    (2, 96000)
    """

    def __init__(self, sr=DEFAULT_SR, window_s=6.0, min_last_s=3.0, n_jobs=None, progress=False,
                 max_output_mb=256, memory=None):
        self.sr = sr
        self.window_s = window_s
        self.min_last_s = min_last_s
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress = progress
        self.max_output_mb = max_output_mb

    def _window(self):
        return int(round(self.window_s * self.sr)), int(round(self.min_last_s * self.sr))

    def _n_windows(self, n_samples):
        return window_count(n_samples, *self._window())

    def output_shape(self, n_samples):
        return (self._n_windows(n_samples), self._window()[0])

    def _one(self, y):
        return long_utterance_windows(y, *self._window())


class WieserMFCCWindows(WieserRawWindows):
    """Wieser et al. 2020's LoM input: 26 MFCCs (25 ms / 10 ms, 1024-point FFT) of each 6 s window,
    coefficients as channels: ``(n_windows, 26, 599)`` per utterance.

    Parameters
    ----------
    n_mfcc, n_mels : int, default=26, 40
    n_fft, win_length, hop_length : int, default=1024, 400, 160
    others : as in :class:`WieserRawWindows`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import WieserMFCCWindows
    >>> WieserMFCCWindows().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 16000)])[0].shape
    (1, 26, 599)
    """

    def __init__(self, sr=DEFAULT_SR, window_s=6.0, min_last_s=3.0, n_mfcc=26, n_mels=40,
                 n_fft=1024, win_length=400, hop_length=160, n_jobs=None, progress=False,
                 max_output_mb=256, memory=None):
        super().__init__(sr, window_s, min_last_s, n_jobs, progress, max_output_mb, memory=memory)
        self.n_mfcc = n_mfcc
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length

    def output_shape(self, n_samples):
        frames = n_frames_for(self._window()[0], self.win_length, self.hop_length)
        return (self._n_windows(n_samples), self.n_mfcc, frames)

    def _one(self, y):
        windows = super()._one(y)
        return np.stack([
            mfcc(w, self.sr, self.n_mfcc, self.n_mels, 0.0, None, self.n_fft, self.hop_length,
                 self.win_length).T for w in windows
        ])


def window_slices(y, window, min_last):
    """The audio of each of :func:`long_utterance_windows`'s windows, without its zero padding."""
    return [y[k * window:(k + 1) * window] for k in range(window_count(len(y), window, min_last))]


class WieserWindowFunctionals(WieserRawWindows):
    """Wieser et al. 2020's FTR input: handcrafted functionals of each 6 s window's audio (its
    samples only, not the padding), ``(n_windows, n_functionals)`` per utterance: by default the
    library's 384 LLD functionals (:class:`~sklearn_ser.features.LLDFunctionals`, the INTERSPEECH
    2009 emotion set's layout, no binary needed); ``feature_set="IS10"`` gives the paper's own
    set, openSMILE's INTERSPEECH 2010 paralinguistic functionals (1582), through the ``opensmile``
    extra (any of :data:`~sklearn_ser.features.opensmile.FEATURE_SETS`). With ``with_audio=True``
    (ELoR + FTR) each window's raw audio comes first: ``(n_windows, 96000 + n_functionals)``.

    Parameters
    ----------
    feature_set : None or str, default=None
        None: the library's functionals; else an openSMILE set's name.
    with_audio : bool, default=False
    others : as :class:`WieserRawWindows`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import WieserWindowFunctionals
    >>> WieserWindowFunctionals().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 16000 * 10)])[0].shape
    (2, 384)
    """

    N_FUNCTIONALS = 384  # the library's own set

    def __init__(self, sr=DEFAULT_SR, window_s=6.0, min_last_s=3.0, with_audio=False, feature_set=None,
                 n_jobs=None, progress=False, max_output_mb=256, memory=None):
        super().__init__(sr, window_s, min_last_s, n_jobs, progress, max_output_mb, memory=memory)
        self.with_audio = with_audio
        self.feature_set = feature_set

    def fit(self, X, y=None):
        self.n_functionals()  # a missing extra or an unknown set fails before any audio is read
        return super().fit(X, y)

    def n_functionals(self):
        """The width of one window's functionals."""
        if self.feature_set is None:
            return self.N_FUNCTIONALS
        from ..opensmile import n_opensmile_functionals

        return n_opensmile_functionals(self.feature_set)

    def output_shape(self, n_samples):
        width = self.n_functionals() + (self._window()[0] if self.with_audio else 0)
        return (self._n_windows(n_samples), width)

    def _window_functionals(self, piece):
        if self.feature_set is None:
            from ..functionals import functionals
            from ..lld import frame_llds

            return functionals(frame_llds(piece, sr=self.sr))
        from ..opensmile import opensmile_functionals

        return opensmile_functionals(piece, self.sr, self.feature_set)

    def _one(self, y):
        rows = np.stack([self._window_functionals(piece) for piece in window_slices(y, *self._window())])
        rows = rows.astype(np.float32)
        return np.hstack([super()._one(y), rows]) if self.with_audio else rows
