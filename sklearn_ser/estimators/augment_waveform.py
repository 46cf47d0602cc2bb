"""Augmentations of raw-waveform training batches: speed perturbation, pitch shift without tempo
change, additive noise at a signal-to-noise ratio.

Each sample of a batch is one waveform: all its values in order, whatever the batch's shape
(``(batch, n)`` for Zhang's 625-sample segments and Wieser's 6 s windows, ``(batch, 20, 1600)``
for the 2 s of :class:`~sklearn_ser.features.RawSubsequences`, read as 32 000 consecutive samples).
A pure function does the work for given factors; a thin class draws them per sample from torch's
global generator, which the net seeds.
"""
from __future__ import annotations

import math

import torch

from .augment import BatchAugmentation, check_range, resample_last_axis, uniform


def _waveforms(X):
    """X as ``(batch, n)``: each sample's values in order, one waveform a row."""
    if X.ndim < 2:
        raise ValueError(f"a waveform batch has a batch axis and at least one more, got shape {tuple(X.shape)}")
    return X.reshape(X.shape[0], -1)


def speed_perturb(X, factors):
    """Each sample played ``factors[i]`` times faster: its pitch and tempo both scaled by the factor
    (Ko et al. 2015), by linear interpolation at ``t * factor``, then cut or zero-padded at the end
    to its own length.

    No anti-alias filter: a factor above 1 folds the band above ``Nyquist / factor`` back, which
    for speech at factors up to 1.1 holds little energy.

    Parameters
    ----------
    X : tensor (batch, ...)
    factors : tensor (batch,)

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators.augment_waveform import speed_perturb
    >>> speed_perturb(torch.arange(6.0).reshape(1, 6), torch.tensor([2.0]))
    tensor([[0., 2., 4., 0., 0., 0.]])
    """
    flat = _waveforms(X)
    n = flat.shape[1]
    factors = torch.as_tensor(factors, dtype=torch.float64, device=X.device).reshape(-1, 1)
    source = torch.arange(n, dtype=torch.float64, device=X.device) * factors
    out = resample_last_axis(flat, source).masked_fill(source > n - 1, 0)  # past its end: silence
    return out.reshape(X.shape)


def auto_n_fft(n):
    """The STFT size of :func:`pitch_shift` for ``n``-sample waveforms: 512, or the largest power
    of two within a quarter of ``n`` for short ones (128 for Zhang's 625-sample segments)."""
    if n < 64:
        raise ValueError(f"pitch shifting needs waveforms of at least 64 samples, got {n}")
    return min(512, 2 ** int(math.log2(n / 4)))


def pitch_shift(X, semitones, n_fft=None, hop_length=None):
    """Each sample's pitch moved by ``semitones[i]`` with its tempo kept: a phase-vocoder time
    stretch by the factor ``f = 2 ** (semitones / 12)`` (Flanagan & Golden 1966, as
    ``librosa.effects.pitch_shift`` does it) followed by playing the stretched signal ``f`` times
    faster (linear interpolation), which restores the length and scales every frequency by ``f``.
    One batched STFT, a gather and an inverse STFT: no loop over samples.

    Parameters
    ----------
    X : tensor (batch, ...)
    semitones : tensor (batch,)
    n_fft : int, optional
        STFT size (Hann window); default :func:`auto_n_fft` of the waveform length.
    hop_length : int, optional
        Default ``n_fft // 4``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators.augment_waveform import pitch_shift
    >>> t = torch.arange(16000) / 16000
    >>> tone = torch.sin(2 * torch.pi * 440 * t).reshape(1, -1)
    >>> shifted = pitch_shift(tone, torch.tensor([12.0]))  # an octave up
    >>> int(torch.fft.rfft(shifted[0]).abs().argmax())  # Hz: one bin per Hz for 1 s at 16 kHz
    880
    """
    flat = _waveforms(X)
    n = flat.shape[1]
    n_fft = n_fft or auto_n_fft(n)
    hop = hop_length or n_fft // 4
    factors = 2.0 ** (torch.as_tensor(semitones, dtype=torch.float64).reshape(-1) / 12)
    window = torch.hann_window(n_fft, dtype=flat.dtype, device=X.device)
    # zero padding, as librosa: the phase vocoder keeps the first frame's phase relations between bins,
    # and a reflected first frame's are not a steady tone's (a tone came out at a third of its power)
    spec = torch.stft(flat, n_fft, hop, window=window, center=True, pad_mode="constant",
                      return_complex=True)  # (B, F, T)
    n_bins, n_frames = spec.shape[1:]
    # time stretch by f: output frame j reads source frame j / f; enough frames for the longest
    n_out = 1 + math.ceil(n * float(factors.max()) / hop)
    steps = (torch.arange(n_out, dtype=torch.float64) / factors[:, None]).to(X.device)
    spec = torch.nn.functional.pad(spec, (0, 2))  # two silent frames: what lies past the end
    first = steps.floor().long().clamp(max=n_frames)[:, None, :].expand(-1, n_bins, -1)
    second = (first + 1).clamp(max=n_frames + 1)
    alpha = (steps - steps.floor()).to(flat.dtype)[:, None, :]
    magnitude, angle = spec.abs(), spec.angle()  # once per source frame, gathered below
    magnitude = (1 - alpha) * magnitude.gather(2, first) + alpha * magnitude.gather(2, second)
    # each bin's phase advances by its expected 2 pi k hop / n_fft per hop plus the measured deviation;
    # accumulated in float64, since the top bins advance by hundreds of radians per frame
    expected = torch.linspace(0, math.pi * hop, n_bins, device=X.device)[None, :, None]
    deviation = angle.gather(2, second) - angle.gather(2, first) - expected
    deviation -= 2 * math.pi * torch.round(deviation / (2 * math.pi))
    advance = (expected + deviation).double()
    phase = angle[:, :, :1].double() + torch.cumsum(advance, dim=2) - advance  # frame 0: as it was
    stretched = torch.polar(magnitude, torch.remainder(phase, 2 * math.pi).to(flat.dtype))
    slow = torch.istft(stretched, n_fft, hop, window=window, center=True, length=(n_out - 1) * hop)
    # played f times faster: n samples again, every frequency times f
    source = torch.arange(n, dtype=torch.float64, device=X.device) * factors.to(X.device)[:, None]
    return resample_last_axis(slow, source).reshape(X.shape)


def add_noise(X, snr_db):
    """White Gaussian noise added to each sample at ``snr_db[i]`` dB below that sample's own
    power (its mean square over all its values, zero-padding included): an all-zero sample stays
    silent.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators.augment_waveform import add_noise
    >>> x = torch.ones(1, 100000)
    >>> _ = torch.manual_seed(0)
    >>> noise = add_noise(x, torch.tensor([20.0])) - x
    >>> round(float(10 * torch.log10(1 / noise.pow(2).mean())))
    20
    """
    flat = _waveforms(X)
    snr_db = torch.as_tensor(snr_db, dtype=torch.float32).reshape(-1, 1).to(X.device)
    scale = (flat.pow(2).mean(dim=1, keepdim=True) / 10 ** (snr_db / 10)).sqrt()
    noise = torch.randn(flat.shape, dtype=flat.dtype).to(X.device)
    return (flat + scale * noise).reshape(X.shape)


class SpeedPerturbation(BatchAugmentation):
    """Speed perturbation of raw-waveform training batches: each sample played faster or slower
    by its own factor drawn uniformly from ``[min_factor, max_factor]`` (pitch and tempo change
    together), cut or zero-padded back to its length (:func:`speed_perturb`).

    Parameters
    ----------
    min_factor, max_factor : float, default=0.9, 1.1
        Kaldi's 3-way speed perturbation uses 0.9 and 1.1.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators import SpeedPerturbation
    >>> _ = torch.manual_seed(0)
    >>> SpeedPerturbation()(torch.randn(8, 625)).shape
    torch.Size([8, 625])
    """

    def __init__(self, min_factor=0.9, max_factor=1.1):
        check_range("speed factor", min_factor, max_factor, lowest=0, open_low=True)
        self.min_factor = min_factor
        self.max_factor = max_factor

    def __call__(self, X):
        return speed_perturb(X, uniform(len(X), self.min_factor, self.max_factor))


class PitchShift(BatchAugmentation):
    """Pitch shift of raw-waveform training batches without a change of tempo: each sample moved
    by its own number of semitones drawn uniformly from ``[min_semitones, max_semitones]``, by a
    phase-vocoder time stretch followed by resampling (:func:`pitch_shift`).

    Parameters
    ----------
    min_semitones, max_semitones : float, default=-2.0, 2.0
        Within an octave each way.
    n_fft : int or None, default=None
        STFT size; None: 512, or less for short waveforms (:func:`auto_n_fft`).
    hop_length : int or None, default=None
        None: ``n_fft // 4``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators import PitchShift
    >>> _ = torch.manual_seed(0)
    >>> PitchShift()(torch.randn(4, 20, 1600)).shape
    torch.Size([4, 20, 1600])
    """

    def __init__(self, min_semitones=-2.0, max_semitones=2.0, n_fft=None, hop_length=None):
        check_range("semitones", min_semitones, max_semitones, lowest=-12, highest=12)
        for name, value in (("n_fft", n_fft), ("hop_length", hop_length)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 4):
                raise ValueError(f"{name} must be None or an int of at least 4, got {value!r}")
        if hop_length is not None and n_fft is None:
            raise ValueError("hop_length needs n_fft: the automatic n_fft follows each input's length")
        if n_fft is not None and hop_length is not None and hop_length > n_fft // 2:
            raise ValueError(f"hop_length {hop_length} is over half of n_fft {n_fft}: the frames would leave gaps")
        self.min_semitones = min_semitones
        self.max_semitones = max_semitones
        self.n_fft = n_fft
        self.hop_length = hop_length

    def __call__(self, X):
        semitones = uniform(len(X), self.min_semitones, self.max_semitones)
        return pitch_shift(X, semitones, self.n_fft, self.hop_length)


class AdditiveNoise(BatchAugmentation):
    """White Gaussian noise added to raw-waveform training batches, each sample at its own
    signal-to-noise ratio drawn uniformly from ``[min_snr_db, max_snr_db]`` dB, relative to that
    sample's power (:func:`add_noise`). ``min_snr_db == max_snr_db`` sets one SNR.

    Parameters
    ----------
    min_snr_db, max_snr_db : float, default=10.0, 30.0

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators import AdditiveNoise
    >>> _ = torch.manual_seed(0)
    >>> AdditiveNoise(20, 20)(torch.randn(4, 96000)).dtype
    torch.float32
    """

    def __init__(self, min_snr_db=10.0, max_snr_db=30.0):
        check_range("snr_db", min_snr_db, max_snr_db)
        self.min_snr_db = min_snr_db
        self.max_snr_db = max_snr_db

    def __call__(self, X):
        return add_noise(X, uniform(len(X), self.min_snr_db, self.max_snr_db))
