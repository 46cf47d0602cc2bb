"""Latif et al. 2017's input: 100 ms log-mel segments.
"""
from __future__ import annotations

from ...audio import DEFAULT_SR
from ..segments import segment_count, segment_rows
from ..spectral import log_mel_spectrogram, n_frames_for
from ._base import _SILENCE_DB, _Representation


class LatifLogMelSegments(_Representation):
    """Latif et al. 2017's input: log mel power (25 ms Hamming, 10 ms shift, 80 bands, dB) cut into
    100 ms segments of 10 frames, ``(n_segments, 800)`` per utterance (ragged), or
    ``(n_segments, 10, 80)`` with ``flatten=False``.

    Parameters
    ----------
    sr : int, default=16000
    n_mels : int, default=80
    n_fft, win_length, hop_length : int, default=512, 400, 160
    segment_frames, segment_hop : int, default=10, 10
        Frames per segment and between segment starts (10: back to back).
    flatten : bool, default=True
    n_jobs : int, default=None
        Utterances in parallel through :class:`joblib.Parallel`.
    progress : bool, default=False
    max_output_mb : float, default=256
        Refuse (naming it) an utterance whose representation would exceed this size.
    memory : str or joblib.Memory, default=None
        A folder (on storage every worker sees, for a cluster) where each utterance's features are
        cached, keyed by this transformer's parameters and the file's path, size and modification
        time (a waveform's content): folds, grid points and later runs compute an utterance once.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import LatifLogMelSegments
    >>> out = LatifLogMelSegments().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 16000)])
    >>> out[0].shape
    (9, 800)
    """

    def __init__(self, sr=DEFAULT_SR, n_mels=80, n_fft=512, win_length=400, hop_length=160,
                 segment_frames=10, segment_hop=10, flatten=True, n_jobs=None, progress=False,
                 max_output_mb=256, memory=None):
        self.sr = sr
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.segment_frames = segment_frames
        self.segment_hop = segment_hop
        self.flatten = flatten
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress = progress
        self.max_output_mb = max_output_mb

    def output_shape(self, n_samples):
        frames = n_frames_for(n_samples, self.win_length, self.hop_length)
        n = segment_count(frames, self.segment_frames, self.segment_hop)
        if self.flatten:
            return (n, self.segment_frames * self.n_mels)
        return (n, self.segment_frames, self.n_mels)

    def _one(self, y):
        log_mel = log_mel_spectrogram(y, self.sr, self.n_mels, 0.0, None, self.n_fft,
                                      self.hop_length, self.win_length)
        segments = segment_rows(log_mel, self.segment_frames, self.segment_hop, _SILENCE_DB)
        return segments.reshape(len(segments), -1) if self.flatten else segments
