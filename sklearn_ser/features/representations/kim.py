"""Kim et al. 2017's input, the 2-D log-spectrogram series of the 3D CNNs (and of the 2D-CNN-LSTM
baselines), and the inputs of their other Table 4 baselines: raw subsequences (1D-CNN-LSTM) and
LLD frames with context (DNN-ELM, LSTM-ELM).
"""
from __future__ import annotations

import numpy as np

from ...audio import DEFAULT_SR
from ..lld import compile_numba_kernels, frame_llds
from ..segments import context_stack, segment_rows
from ..speaker import MIN_UTTERANCES, apply_gain_range
from ..spectral import log_spectrogram, n_frames_for
from ._base import _SILENCE_DB, _GainNormalised, _Representation


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
    n_jobs, progress, max_output_mb, memory : see :class:`~sklearn_ser.features.LatifLogMelSegments`

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
                 min_utterances=MIN_UTTERANCES, n_jobs=None, progress=False, max_output_mb=256, memory=None):
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
        self.memory = memory
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
    n_jobs, progress, max_output_mb, memory : as in :class:`KimSpectrogramVolumes`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import RawSubsequences
    >>> RawSubsequences(gain_norm=None).fit_transform([np.ones(1600)]).shape
    (1, 20, 1600)
    """

    _ragged = False

    def __init__(self, sr=DEFAULT_SR, duration_s=2.0, n_subsequences=20, gain_norm="speaker",
                 min_utterances=MIN_UTTERANCES, n_jobs=None, progress=False, max_output_mb=256, memory=None):
        self.sr = sr
        self.duration_s = duration_s
        self.n_subsequences = n_subsequences
        self.gain_norm = gain_norm
        self.min_utterances = min_utterances
        self.n_jobs = n_jobs
        self.memory = memory
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
    n_jobs, progress, max_output_mb, memory : as in :class:`KimSpectrogramVolumes`

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features import LLDContextFrames
    >>> out = LLDContextFrames().fit_transform([np.random.default_rng(0).uniform(-.5, .5, 16000)])
    >>> out[0].shape
    (101, 160)
    """

    def __init__(self, sr=DEFAULT_SR, context=5, n_jobs=None, progress=False, max_output_mb=256, memory=None):
        self.sr = sr
        self.context = context
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress = progress
        self.max_output_mb = max_output_mb

    def output_shape(self, n_samples):
        return (1 + n_samples // 160, 32 * self.context)

    def _extras(self, sources, ranges, plan):
        compile_numba_kernels()  # before workers start (see its docstring)
        return None, {}

    def _one(self, y):
        return context_stack(frame_llds(y, sr=self.sr), self.context)
