"""The input representations of the four papers, as stateless transformers (DESIGN §1, §2).

Each transformer reads utterances (paths, waveforms or a DataFrame), computes one representation per
utterance with the pure functions of :mod:`.spectral` and :mod:`.segments`, and returns either a dense
float32 array (fixed shape per utterance) or a ragged object array of per-utterance segment arrays
(see :mod:`.segments`). Before any computing, the output size of every utterance is checked against
``max_output_mb``, so a one-hour file is refused with a clear error instead of exhausting memory.
"""
from __future__ import annotations

from functools import lru_cache

import librosa
import numpy as np

from .._parallel import map_utterances
from ..audio import DEFAULT_SR, load_utterances
from .base import UtteranceTransformer
from ..exceptions import InvalidUtteranceError
from .lld import compile_numba_kernels, frame_llds
from .segments import (
    context_stack, long_utterance_windows, ragged, segment_count, segment_rows, segment_windows,
    window_count,
)
from .speaker import ENROLLED, MIN_UTTERANCES, OWN, apply_gain_range, gain_range, rows_of
from .spectral import AMIN, log_mel_spectrogram, log_spectrogram, mfcc, n_frames_for, pad_end

_SILENCE_DB = float(10.0 * np.log10(AMIN))  # the dB value of zero power: pad value


@lru_cache(maxsize=8)
def delta_operator(n_frames, width):
    """librosa.feature.delta (Savitzky-Golay, 'interp' edges) along a segment of ``n_frames``
    frames is linear: these two ``(n_frames, n_frames)`` matrices give the first and second order,
    so the deltas of all segments are two matmuls. Built by running librosa on the identity."""
    eye = np.eye(n_frames)
    return tuple(
        np.ascontiguousarray(librosa.feature.delta(eye, width=width, order=k, axis=-1), dtype=np.float32)
        for k in (1, 2)
    )


class _Representation(UtteranceTransformer):
    """Shared computation: load and check, size check, (optionally) normalise gain, map, assemble."""

    _ragged = True  # one array of segments per utterance; False: a dense stack

    def output_shape(self, n_samples):
        """Shape of one utterance's representation, from its length in samples."""
        raise NotImplementedError

    def _one(self, item):
        raise NotImplementedError

    def _prepare(self, waves, plan):
        """The items handed to :meth:`_one`, one per utterance (the waveforms by default), and the
        gain range of each speaker planned ``OWN`` (none by default)."""
        return waves, {}

    def _compute(self, X, plan):
        waves, utts = load_utterances(X, sr=self.sr, n_jobs=self.n_jobs)
        limit = self.max_output_mb * 2**20
        for y, uid in zip(waves, utts.ids):
            size = 4 * int(np.prod(self.output_shape(len(y))))
            if size > limit:
                raise InvalidUtteranceError(
                    uid, f"{len(y) / self.sr:.0f} s of audio gives {size / 2**20:.0f} MB of "
                    f"{type(self).__name__} features, above max_output_mb={self.max_output_mb}; "
                    "cut long recordings into utterances first",
                )
        items, gains = self._prepare(waves, plan)
        # one utterance at a time: its frames stay in cache (batching utterances was slower)
        rows = map_utterances(self._one, items, utts.ids, n_jobs=self.n_jobs,
                              progress=self.progress, desc=type(self).__name__)
        return (ragged(rows) if self._ragged else np.stack(rows)), gains


def _span(gain):
    return gain[1] - gain[0]


def _widen(gain, factor):
    """``gain`` (low, high) stretched by ``factor`` about its centre."""
    centre, half = (gain[0] + gain[1]) / 2, factor * _span(gain) / 2
    return (centre - half, centre + half)


class _GainNormalised(_Representation):
    """Min-max gain normalisation (per speaker or utterance), then trim or zero-pad to ``duration_s``.

    Per speaker: the range of the speaker's enrolled audio, else of its utterances in the call if
    there are ``min_utterances``, else the utterance's own range (a lone utterance stands for its
    speaker), widened when the transformer was fitted with ``speaker_norm=True`` by the median
    ratio of a training speaker's range to its utterances' (``gain_widening_``), so that a lone
    utterance lands on the scale of the training speakers."""

    def _prepare(self, waves, plan):
        if self.gain_norm not in ("speaker", "utterance", None):
            raise ValueError(f"gain_norm must be 'speaker', 'utterance' or None, got {self.gain_norm!r}")
        if self.gain_norm is None:
            return [(y, None) for y in waves], {}
        ranges = [gain_range([y]) for y in waves]
        gains = {}
        if self.gain_norm == "speaker":
            gains = {s: gain_range([waves[i] for i in rows]) for s, rows in rows_of(plan, OWN).items()}
            if getattr(self, "_learning", False):  # fit: how much wider a speaker's range is than one utterance's
                ratios = [_span(gains[s]) / _span(ranges[i]) for i, (kind, s) in enumerate(plan)
                          if kind == OWN and _span(ranges[i]) > 0]
                self.gain_widening_ = float(np.median(ratios)) if ratios else 1.0
            widening = getattr(self, "gain_widening_", 1.0)
            for i, (kind, speaker) in enumerate(plan):
                if kind == ENROLLED:
                    ranges[i] = self.enrolled_[speaker].gain
                elif kind == OWN:
                    ranges[i] = gains[speaker]
                else:
                    ranges[i] = _widen(ranges[i], widening)
        return list(zip(waves, ranges)), gains

    def _fixed_length(self, item):
        """Trim, normalise the gain (only the samples kept), then pad with silence."""
        y, gain_range = item
        n = int(round(self.duration_s * self.sr))
        y = y[:n]
        if gain_range is not None:
            y = apply_gain_range(y, *gain_range)
        return pad_end(y, n)


class KimSpectrogramVolumes(_GainNormalised):
    """Kim et al. 2017's input: a temporal series of 2-D log-spectrogram maps, L x T x S.

    Per-speaker min-max gain normalisation, zero-pad or trim to ``duration_s``, a ``n_bins``-bin
    log power spectrum (dB) every ``hop_length`` samples, reshaped to ``(n_steps, frames per step,
    n_bins)``: 10 x 10 x 256 for the defaults (2 s, 20 ms hop, 512-point FFT of a 32 ms Hamming
    window, the Nyquist bin dropped). Also the input of the 2D-CNN-LSTM baselines.

    Parameters
    ----------
    sr : int, default=16000
    duration_s : float, default=2.0
    n_fft, win_length, hop_length : int, default=512, 512, 320
    n_bins : int, default=256
        Lowest bins kept.
    n_steps : int, default=10
        L: the number of maps; frames per map T = frames / L.
    gain_norm : {"speaker", "utterance", None}, default="speaker"
        "speaker" reads the ``speaker`` column of X and uses the range of all the speaker's audio
        when it has ``min_utterances`` utterances in the call or was enrolled
        (:func:`~sklearn_ser.features.enroll`); else the utterance's own range, with a warning.
    segment_hop_s : float or None, default=None
        None: one volume per utterance, its first ``duration_s`` (longer utterances trimmed, as in
        the paper). A hop in seconds: every ``duration_s`` volume starting each ``segment_hop_s``
        until the utterance is covered (the last one padded with silence), as a ragged array of
        ``(n_volumes, L, T, S)`` stacks for :class:`~sklearn_ser.estimators.SegmentNetClassifier`.
    speaker_norm : bool, default=False
        Z-score each frequency bin with the statistics of the utterance's speaker (over all of that
        speaker's frames but zero-padding): per-speaker mean and variance normalisation of the
        log spectrum, which the paper does not do. The speaker's own statistics when it has
        ``min_utterances`` utterances in the call or was enrolled, else those of the average
        training speaker, learned at fit (with a warning).
    min_utterances : int, default=10
        Utterances of a speaker in one call before its own statistics are used.
    n_jobs, progress, max_output_mb : see :class:`LatifLogMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import KimSpectrogramVolumes
    >>> waves = [np.random.default_rng(0).uniform(-.5, .5, 24000)]
    >>> KimSpectrogramVolumes(gain_norm="utterance").fit_transform(waves).shape
    (1, 10, 10, 256)
    >>> [v.shape for v in KimSpectrogramVolumes(gain_norm="utterance", segment_hop_s=1.0).fit_transform(waves)]
    [(1, 10, 10, 256)]
    """

    def __init__(self, sr=DEFAULT_SR, duration_s=2.0, n_fft=512, win_length=512, hop_length=320,
                 n_bins=256, n_steps=10, gain_norm="speaker", segment_hop_s=None, speaker_norm=False,
                 min_utterances=MIN_UTTERANCES, n_jobs=None, progress=False, max_output_mb=256):
        self.sr = sr
        self.duration_s = duration_s
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.n_bins = n_bins
        self.n_steps = n_steps
        self.gain_norm = gain_norm
        self.segment_hop_s = segment_hop_s
        self.speaker_norm = speaker_norm
        self.min_utterances = min_utterances
        self.n_jobs = n_jobs
        self.progress = progress
        self.max_output_mb = max_output_mb

    _silence = _SILENCE_DB  # zero-padding: left out of the per-speaker statistics

    @property
    def _ragged(self):
        return self.segment_hop_s is not None

    def _hop_frames(self):
        hop = int(round(self.segment_hop_s * self.sr / self.hop_length))
        if hop < 1:
            raise ValueError(f"segment_hop_s={self.segment_hop_s} is shorter than one frame")
        return hop

    def _n_volumes(self, n_samples):
        """Volumes every segment hop until all frames of ``n_samples`` are covered."""
        extra = n_frames_for(n_samples, self.win_length, self.hop_length) - self._n_frames()
        return 1 + max(0, -(-extra // self._hop_frames()))

    def _n_frames(self):
        n_frames = n_frames_for(int(round(self.duration_s * self.sr)), self.win_length, self.hop_length)
        if n_frames % self.n_steps:
            raise ValueError(f"{n_frames} frames do not split into n_steps={self.n_steps} equal maps")
        return n_frames

    def output_shape(self, n_samples):
        n_frames = self._n_frames()
        volume = (self.n_steps, n_frames // self.n_steps, self.n_bins)
        return volume if self.segment_hop_s is None else (self._n_volumes(n_samples),) + volume

    def _one(self, item):
        if self.segment_hop_s is None:
            y = self._fixed_length(item)
            spec = log_spectrogram(y, self.n_fft, self.hop_length, self.win_length, "hamming",
                                   self.n_bins, n_frames=self._n_frames())
            return spec.reshape(self.output_shape(len(y)))
        y, gain_range = item
        if gain_range is not None:
            y = apply_gain_range(y, *gain_range)
        length, hop = self._n_frames(), self._hop_frames()
        n_volumes = self._n_volumes(len(y))
        # frames past the end are silence, as the zero-padding of a short utterance
        spec = log_spectrogram(y, self.n_fft, self.hop_length, self.win_length, "hamming",
                               self.n_bins, n_frames=(n_volumes - 1) * hop + length)
        return segment_rows(spec, length, hop).reshape(self.output_shape(len(y)))


class RawSubsequences(_GainNormalised):
    """Trigeorgis-style raw input of Kim et al.'s 1D-CNN-LSTM baseline: ``duration_s`` of waveform
    (zero-padded or trimmed) as ``n_subsequences`` consecutive pieces: 20 x 1600 at 16 kHz.

    Parameters
    ----------
    sr : int, default=16000
    duration_s : float, default=2.0
    n_subsequences : int, default=20
    gain_norm : {"speaker", "utterance", None}, default="speaker"
    min_utterances : int, default=10
    n_jobs, progress, max_output_mb : as in :class:`KimSpectrogramVolumes`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import RawSubsequences
    >>> RawSubsequences(gain_norm=None).fit_transform([np.ones(100)]).shape
    (1, 20, 1600)
    """

    _ragged = False

    def __init__(self, sr=DEFAULT_SR, duration_s=2.0, n_subsequences=20, gain_norm="speaker",
                 min_utterances=MIN_UTTERANCES, n_jobs=None, progress=False, max_output_mb=256):
        self.sr = sr
        self.duration_s = duration_s
        self.n_subsequences = n_subsequences
        self.gain_norm = gain_norm
        self.min_utterances = min_utterances
        self.n_jobs = n_jobs
        self.progress = progress
        self.max_output_mb = max_output_mb

    def output_shape(self, n_samples):
        total = int(round(self.duration_s * self.sr))
        if total % self.n_subsequences:
            raise ValueError(f"{total} samples do not split into {self.n_subsequences} equal pieces")
        return (self.n_subsequences, total // self.n_subsequences)

    def _one(self, item):
        y = self._fixed_length(item)
        return y.reshape(self.output_shape(len(y))).astype(np.float32)


class LLDContextFrames(_Representation):
    """Han et al. 2014's DNN input: the 32 frame LLDs of the baseline, each frame stacked with its
    neighbours in a ``context``-frame window, kept as one ``(n_frames, 32 * context)`` sequence per
    utterance (ragged), for the segment-level DNN and the LSTM.

    Parameters
    ----------
    sr : int, default=16000
    context : int, default=5
    n_jobs, progress, max_output_mb : as in :class:`KimSpectrogramVolumes`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import LLDContextFrames
    >>> out = LLDContextFrames().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 16000)])
    >>> out[0].shape
    (101, 160)
    """

    def __init__(self, sr=DEFAULT_SR, context=5, n_jobs=None, progress=False, max_output_mb=256):
        self.sr = sr
        self.context = context
        self.n_jobs = n_jobs
        self.progress = progress
        self.max_output_mb = max_output_mb

    def output_shape(self, n_samples):
        return (1 + n_samples // 160, 32 * self.context)

    def _prepare(self, waves, plan):
        compile_numba_kernels()  # before workers start (see its docstring)
        return waves, {}

    def _one(self, y):
        return context_stack(frame_llds(y, sr=self.sr), self.context)


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
                 max_output_mb=256):
        self.sr = sr
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.segment_frames = segment_frames
        self.segment_hop = segment_hop
        self.flatten = flatten
        self.n_jobs = n_jobs
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


class ZhangRawSegments(_Representation):
    """Zhang et al. 2021's 1D-CNN input: raw waveform segments of ``segment_length`` samples at
    ``sr`` (22.05 kHz), scaled by ``scale`` into [-256, 256]; ``(n_segments, 625)`` per utterance.

    Parameters
    ----------
    sr : int, default=22050
    segment_length, segment_hop : int, default=625, 625
    scale : float, default=256.0
    n_jobs, progress, max_output_mb : as in :class:`LatifLogMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import ZhangRawSegments
    >>> ZhangRawSegments().fit_transform([np.full(1300, 0.5)])[0].shape
    (2, 625)
    """

    def __init__(self, sr=22050, segment_length=625, segment_hop=625, scale=256.0, n_jobs=None,
                 progress=False, max_output_mb=256):
        self.sr = sr
        self.segment_length = segment_length
        self.segment_hop = segment_hop
        self.scale = scale
        self.n_jobs = n_jobs
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
    n_jobs, progress, max_output_mb : as in :class:`LatifLogMelSegments`

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
                 progress=False, max_output_mb=256):
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
                 clip_hop=4, n_jobs=None, progress=False, max_output_mb=256):
        super().__init__(sr, n_mels, fmin, fmax, n_fft, win_length, hop_length, segment_frames,
                         segment_hop, delta_width, n_jobs, progress, max_output_mb)
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


class WieserRawWindows(_Representation):
    """Wieser et al. 2020's ELoR input: 6 s windows of raw audio at 16 kHz in [-1, 1], zero-padded;
    a longer utterance gives several windows, its last only if longer than ``min_last_s``.
    ``(n_windows, 96000)`` per utterance.

    Parameters
    ----------
    sr : int, default=16000
    window_s, min_last_s : float, default=6.0, 3.0
    n_jobs, progress, max_output_mb : as in :class:`LatifLogMelSegments`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import WieserRawWindows
    >>> WieserRawWindows().fit_transform([np.full(16000 * 10, 0.1)])[0].shape
    (2, 96000)
    """

    def __init__(self, sr=DEFAULT_SR, window_s=6.0, min_last_s=3.0, n_jobs=None, progress=False,
                 max_output_mb=256):
        self.sr = sr
        self.window_s = window_s
        self.min_last_s = min_last_s
        self.n_jobs = n_jobs
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
                 max_output_mb=256):
        super().__init__(sr, window_s, min_last_s, n_jobs, progress, max_output_mb)
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
