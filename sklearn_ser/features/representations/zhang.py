"""Zhang et al. 2021's inputs: raw segments (1D CNN), log-mel segments with deltas (AlexNet) and
clips of them (3D CNN).
"""
from __future__ import annotations

import numpy as np

from ...audio import DEFAULT_SR
from ..segments import segment_count, segment_rows, segment_windows
from ..spectral import log_mel_spectrogram, n_frames_for
from ._base import _SILENCE_DB, _Representation, delta_operator


class ZhangRawSegments(_Representation):
    """Zhang et al. 2021's 1D-CNN input: raw waveform segments of ``segment_length`` samples at
    ``sr`` (22.05 kHz), scaled by ``scale`` into [-256, 256]; ``(n_segments, 625)`` per utterance.

    Parameters
    ----------
    sr : int, default=22050
    segment_length, segment_hop : int, default=625, 625
    scale : float, default=256.0
    n_jobs, progress, max_output_mb, memory : as in :class:`~sklearn_ser.features.LatifLogMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import ZhangRawSegments
    >>> ZhangRawSegments().fit_transform([np.full(2500, 0.5)])[0].shape
    (4, 625)
    """

    def __init__(self, sr=22050, segment_length=625, segment_hop=625, scale=256.0, n_jobs=None,
                 progress=False, max_output_mb=256, memory=None):
        self.sr = sr
        self.segment_length = segment_length
        self.segment_hop = segment_hop
        self.scale = scale
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress = progress
        self.max_output_mb = max_output_mb

    def output_shape(self, n_samples):
        return (segment_count(n_samples, self.segment_length, self.segment_hop), self.segment_length)

    def _one(self, y):
        return segment_rows(y * np.float32(self.scale), self.segment_length, self.segment_hop)


class ZhangMelSegments(_Representation):
    """Zhang et al. 2021's 2D-CNN input: log mel (64 bands, 20-8000 Hz, 25 ms Hamming, 10 ms hop, dB)
    cut into 64-frame segments, with the delta and delta-delta of each segment along time as three
    channels: ``(n_segments, 3, n_mels, segment_frames)`` = ``(n, 3, 64, 64)`` per utterance.

    Parameters
    ----------
    sr : int, default=16000
    n_mels, fmin, fmax : default=64, 20.0, 8000.0
    n_fft, win_length, hop_length : int, default=512, 400, 160
    segment_frames, segment_hop : int, default=64, 32
    delta_width : int, default=9
        Window of librosa.feature.delta (Savitzky-Golay).
    n_jobs, progress, max_output_mb, memory : as in :class:`~sklearn_ser.features.LatifLogMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import ZhangMelSegments
    >>> out = ZhangMelSegments().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 16000)])
    >>> out[0].shape
    (2, 3, 64, 64)
    """

    def __init__(self, sr=DEFAULT_SR, n_mels=64, fmin=20.0, fmax=8000.0, n_fft=512, win_length=400,
                 hop_length=160, segment_frames=64, segment_hop=32, delta_width=9, n_jobs=None,
                 progress=False, max_output_mb=256, memory=None):
        self.sr = sr
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.segment_frames = segment_frames
        self.segment_hop = segment_hop
        self.delta_width = delta_width
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress = progress
        self.max_output_mb = max_output_mb

    def _min_frames(self):
        return self.segment_frames

    def output_shape(self, n_samples):
        frames = max(n_frames_for(n_samples, self.win_length, self.hop_length), self._min_frames())
        return (segment_count(frames, self.segment_frames, self.segment_hop), 3, self.n_mels,
                self.segment_frames)

    def _segments(self, y):
        log_mel = log_mel_spectrogram(y, self.sr, self.n_mels, self.fmin, self.fmax, self.n_fft,
                                      self.hop_length, self.win_length)
        if len(log_mel) < self._min_frames():  # short utterance: pad with silence
            log_mel = np.pad(log_mel, [(0, self._min_frames() - len(log_mel)), (0, 0)],
                             constant_values=_SILENCE_DB)
        windows = segment_windows(log_mel, self.segment_frames, self.segment_hop)  # (n, mel, frames)
        out = np.empty((len(windows), 3, self.n_mels, self.segment_frames), dtype=np.float32)
        out[:, 0] = windows  # copied once
        first, second = delta_operator(self.segment_frames, self.delta_width)
        np.matmul(out[:, 0], first, out=out[:, 1])
        np.matmul(out[:, 0], second, out=out[:, 2])
        return out

    def _one(self, y):
        return self._segments(y)


class ZhangMelClips(ZhangMelSegments):
    """Zhang et al. 2021's 3D-CNN input: "video-like" clips of ``clip_length`` successive mel
    segments (see :class:`ZhangMelSegments`), laid out for ``torch.nn.Conv3d`` as
    ``(n_clips, 3 channels, clip_length, n_mels, segment_frames)`` = ``(n, 3, 4, 64, 64)``.

    Parameters
    ----------
    clip_length : int, default=4
    clip_hop : int, default=4
        Segments between clip starts. The paper notes that longer clips leave fewer clips per
        utterance, which fits back-to-back clips (hop = clip length) better than sliding ones.
    others : as in :class:`ZhangMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import ZhangMelClips
    >>> out = ZhangMelClips().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 48000)])
    >>> out[0].shape
    (2, 3, 4, 64, 64)
    """

    def __init__(self, sr=DEFAULT_SR, n_mels=64, fmin=20.0, fmax=8000.0, n_fft=512, win_length=400,
                 hop_length=160, segment_frames=64, segment_hop=32, delta_width=9, clip_length=4,
                 clip_hop=4, n_jobs=None, progress=False, max_output_mb=256, memory=None):
        super().__init__(sr, n_mels, fmin, fmax, n_fft, win_length, hop_length, segment_frames,
                         segment_hop, delta_width, n_jobs, progress, max_output_mb, memory=memory)
        self.clip_length = clip_length
        self.clip_hop = clip_hop

    def _min_frames(self):
        return self.segment_frames + (self.clip_length - 1) * self.segment_hop

    def output_shape(self, n_samples):
        n_segments, channels, n_mels, frames = super().output_shape(n_samples)
        n_clips = segment_count(n_segments, self.clip_length, self.clip_hop)
        return (n_clips, channels, self.clip_length, n_mels, frames)

    def _one(self, y):
        windows = segment_windows(self._segments(y), self.clip_length, self.clip_hop)
        # (n, C, H, W, L) view -> (n, C, L, H, W), copied once
        return np.ascontiguousarray(np.moveaxis(windows, -1, 2))
