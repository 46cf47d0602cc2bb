"""A broad set of frame-level low-level descriptors (LLDs), librosa/numpy only, 10 ms apart.

The spectral descriptors all come from one power spectrogram (25 ms Hamming window); pitch,
voicing and harmonicity from one normalised autocorrelation per 40 ms Hann window (two periods of
60 Hz fit in it), of the band below 4 kHz. Frames are centred like librosa's
(``1 + len(y) // hop`` frames), every frame is computed from its own samples alone (the flux from
its predecessor's too), and a long recording's spectra are computed a block of frames at a time,
so their memory is bounded and the values are those of the whole recording at once.

Jitter and shimmer here are frame-level approximations, not the cycle-to-cycle measures of
Praat or openSMILE: the relative change of the pitch period (jitter) and of the frame's peak
amplitude (shimmer) from one voiced frame to the next; 0 where either frame is unvoiced.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft

from .spectral import AMIN, _dct_matrix, analysis_window, frame_signal, mel_basis

N_MELS = 26
N_MFCC = 14  # coefficients 1-14; the 0th is left out, the energies carry the level
ROLLOFFS = (0.25, 0.50, 0.75, 0.90)
BANDS_HZ = ((250.0, 650.0), (1000.0, 4000.0))  # energies of the first-formant and the "effort" bands

SPECTRAL_NAMES = [
    "log_energy", "loudness", "energy_250_650", "energy_1k_4k", "spectral_flux", "spectral_centroid",
    "spectral_spread", "spectral_skewness", "spectral_kurtosis", "spectral_entropy",
    "spectral_flatness", "spectral_slope",
] + [f"spectral_rolloff{round(100 * q)}" for q in ROLLOFFS]
VOICE_NAMES = ["f0", "voicing_prob", "hnr", "jitter", "shimmer", "zcr"]
STATIC_NAMES = ([f"mel{i}" for i in range(N_MELS)] + [f"mfcc{i}" for i in range(1, N_MFCC + 1)]
                + SPECTRAL_NAMES + VOICE_NAMES)
#: the columns of :func:`broad_llds`: the static descriptors, then the first delta of each
BROAD_LLD_NAMES = STATIC_NAMES + [f"{name}_delta" for name in STATIC_NAMES]
#: descriptors defined only where the voice is (0 elsewhere): their voiced-only statistics mean something
VOICED_LLDS = ("f0", "hnr", "jitter", "shimmer")

#: Frames analysed at once (60 s at 10 ms): bounds the spectra of a long recording.
BLOCK_FRAMES = 6000

_DELTA_HALF_WIDTH = 2  # librosa.feature.delta's default width of 5
_HNR_FLOOR = 1e-3  # normalised autocorrelation bounds for the HNR: -30 dB .. +40 dB
_HNR_CEIL = 1.0 - 1e-4


def broad_llds(y, sr=16000, hop_length=None, win_length=None, n_fft=None, pitch_length=None,
               fmin=60.0, fmax=500.0, voicing_threshold=0.5, octave_cost=0.05,
               block_frames=BLOCK_FRAMES):
    """The broad LLDs of one waveform as float32 ``(n_frames, len(BROAD_LLD_NAMES))``.

    Lengths default to durations: a 10 ms hop, a 25 ms spectral window (``n_fft`` the next power
    of two), a 40 ms pitch window. Columns follow :data:`BROAD_LLD_NAMES`: 26 log-mel bands (dB),
    MFCC 1-14, log energy, loudness (sum of mel band powers^0.3), energies of 250-650 Hz and
    1-4 kHz (dB), spectral flux, centroid, spread (variance, Hz^2), skewness, kurtosis, entropy
    (normalised to 0..1), flatness, slope (dB/kHz), roll-off points (25/50/75/90 %), F0 (0 when
    unvoiced), voicing probability, HNR (dB), jitter, shimmer, zero-crossing rate, then the first
    delta of each (librosa's width-5 regression, edges repeated). Pitch is searched between
    ``fmin`` and ``fmax`` with ``octave_cost`` (:func:`autocorrelation_pitch`); a frame is voiced
    where the voicing probability reaches ``voicing_threshold``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.broad_lld import broad_llds, BROAD_LLD_NAMES
    >>> y = np.sin(2 * np.pi * 200 * np.arange(16000) / 16000).astype("float32")
    >>> llds = broad_llds(y)
    >>> llds.shape == (101, len(BROAD_LLD_NAMES))
    True
    >>> round(float(np.median(llds[:, BROAD_LLD_NAMES.index("f0")])))
    200
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"broad_llds takes one 1-D waveform, got shape {y.shape}")
    hop_length = hop_length or round(0.010 * sr)
    win_length = win_length or round(0.025 * sr)
    n_fft = n_fft or 1 << (win_length - 1).bit_length()
    pitch_length = pitch_length or round(0.040 * sr)
    settings = dict(sr=sr, hop_length=hop_length, win_length=win_length, n_fft=n_fft,
                    pitch_length=pitch_length, fmin=fmin, fmax=fmax, octave_cost=octave_cost)
    n_frames = 1 + len(y) // hop_length
    static = np.empty((n_frames, len(STATIC_NAMES)), dtype=np.float32)
    amplitude = np.empty(n_frames, dtype=np.float32)
    for first in range(0, n_frames, block_frames):
        n = min(block_frames, n_frames - first)
        static[first:first + n], amplitude[first:first + n] = _block_descriptors(y, first, n, **settings)
    _voice_perturbation(static, amplitude, voicing_threshold)
    return np.hstack([static, regression_delta(static)])


def _block_descriptors(y, first, n, sr, hop_length, win_length, n_fft, pitch_length, fmin, fmax,
                       octave_cost):
    """Static descriptors of frames ``first .. first + n - 1`` (jitter and shimmer left 0) and the
    peak amplitude of each frame's pitch window."""
    # one frame more in front: the flux of the block's first frame needs its predecessor's spectrum
    segment = centred_samples(y, first - 1, n + 1, win_length, hop_length)
    frames = frame_signal(segment, win_length, hop_length, n + 1)
    power = power_spectrum(frames, analysis_window("hamming", win_length), n_fft)
    mel = power[1:] @ mel_basis(sr, n_fft, N_MELS)
    log_mel = decibels(mel)
    mfcc = log_mel @ _dct_matrix(N_MELS, N_MFCC + 1)[:, 1:]
    spectral = spectral_descriptors(power, mel, sr, n_fft)
    zcr = zero_crossing_rate(segment[hop_length:], win_length, hop_length, n)

    pitch_frames = frame_signal(centred_samples(y, first, n, pitch_length, hop_length),
                                pitch_length, hop_length, n)
    f0, voicing = autocorrelation_pitch(pitch_frames, sr, fmin, fmax, octave_cost)
    hnr = harmonics_to_noise(voicing)
    amplitude = np.maximum(pitch_frames.max(axis=1), -pitch_frames.min(axis=1))  # max |x|, no |x| copy
    zeros = np.zeros(n, dtype=np.float32)  # jitter and shimmer: filled across frames afterwards
    voice = np.column_stack([f0, voicing, hnr, zeros, zeros, zcr])
    block = np.hstack([log_mel, mfcc, spectral, voice])
    return block, amplitude


def harmonics_to_noise(voicing):
    """HNR (dB) from the normalised autocorrelation peak r: ``10 log10(r / (1 - r))``, r kept
    within [1e-3, 1 - 1e-4] (-30 .. +40 dB) so silence and pure tones stay finite."""
    r = np.clip(voicing, _HNR_FLOOR, _HNR_CEIL)
    return (10.0 * np.log10(r / (1.0 - r))).astype(np.float32)


def centred_samples(y, first, n, length, hop_length):
    """The samples under frames ``first .. first + n - 1`` of ``length`` samples centred every
    ``hop_length`` (zeros outside ``y``): frame k of the result starts at its sample k * hop."""
    start = first * hop_length - length // 2
    stop = start + (n - 1) * hop_length + length
    out = np.zeros(stop - start, dtype=np.float32)
    lo, hi = max(start, 0), min(stop, len(y))
    if hi > lo:
        out[lo - start:hi - start] = y[lo:hi]
    return out


def power_spectrum(frames, window, n_fft):
    """|rfft|^2 of the windowed rows of ``frames``, float32 ``(n, n_fft // 2 + 1)``."""
    spectrum = scipy.fft.rfft(windowed_padded(frames, window, n_fft), axis=1, overwrite_x=True)
    power = np.abs(spectrum)
    return np.square(power, out=power)


def windowed_padded(frames, window, n_fft):
    """The windowed frames written straight into a zero-padded ``(n, n_fft)`` float32 buffer:
    the FFT would otherwise copy them once more to pad them."""
    out = np.zeros((len(frames), n_fft), dtype=np.float32)
    np.multiply(frames, window, out=out[:, :frames.shape[1]])
    return out


def decibels(power):
    """``10 log10(max(power, 1e-10))`` as float32."""
    out = np.maximum(power, np.float32(AMIN))
    np.log10(out, out=out)
    out *= np.float32(10.0)
    return out


def spectral_flux(power, total):
    """Squared distance between consecutive unit-norm magnitude spectra (one value fewer than
    rows of ``power``; ``total`` its row sums). Normalising each spectrum makes the flux a change
    of shape, not of level. ``|a - b|^2 = |a|^2 + |b|^2 - 2 a.b`` for unit vectors a, b (or zero
    vectors for silent frames): one product of neighbouring rows, no normalised copy."""
    magnitude = np.sqrt(power)
    dots = np.einsum("ij,ij->i", magnitude[1:], magnitude[:-1]).astype(np.float64)
    norms = np.sqrt(total[1:] * total[:-1])
    sounding = (total > AMIN).astype(np.float64)
    cosine = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > AMIN)
    return np.maximum(sounding[1:] + sounding[:-1] - 2.0 * cosine, 0.0)


@lru_cache(maxsize=16)
def _frequency_weights(sr, n_fft):
    """Columns for one product with the power spectrum: the powers 0-4 of the bin frequencies
    (kHz, which keeps the fourth power moderate) and the indicators of :data:`BANDS_HZ`."""
    khz = np.fft.rfftfreq(n_fft, 1.0 / sr) / 1000.0
    bands = [((khz >= lo / 1000.0) & (khz < hi / 1000.0)) for lo, hi in BANDS_HZ]
    return np.column_stack([khz ** k for k in range(5)] + bands)


@lru_cache(maxsize=16)
def _log_weights(sr, n_fft):
    """Columns for one product with the log spectrum: the mean, and the regression on frequency
    (kHz) giving the slope."""
    khz = np.fft.rfftfreq(n_fft, 1.0 / sr) / 1000.0
    centred = khz - khz.mean()
    return np.column_stack([np.full_like(khz, 1.0 / len(khz)), centred / (centred @ centred)]).astype(np.float32)


def spectral_descriptors(power, mel, sr, n_fft):
    """The columns of :data:`SPECTRAL_NAMES` (float32 ``(n, 16)``) of the frames ``power[1:]``
    (power spectra ``(n + 1, n_fft // 2 + 1)``, the previous frame's in front for the flux) and
    their mel band powers ``mel`` (n, n_mels). The spectral shape (centroid, spread, skewness,
    kurtosis, entropy) is 0 in silent frames."""
    weights = _frequency_weights(sr, n_fft)
    raw = power @ weights  # float64: raw moments, central ones follow without a centred copy
    flux = spectral_flux(power, raw[:, 0])
    power, raw = power[1:], raw[1:]
    total = raw[:, 0]
    silent = total <= AMIN
    safe_total = np.where(silent, 1.0, total)
    m1, m2, m3, m4 = (raw[:, k] / safe_total for k in range(1, 5))
    variance = np.maximum(m2 - m1 * m1, 0.0)
    third = m3 - 3 * m1 * m2 + 2 * m1 ** 3
    fourth = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 ** 4
    shaped = variance > 1e-12
    safe_var = np.where(shaped, variance, 1.0)
    skewness = np.where(shaped, third / safe_var ** 1.5, 0.0)
    kurtosis = np.where(shaped, fourth / safe_var ** 2, 0.0)

    # one log of the spectrum serves entropy, flatness and slope
    log_power = np.log(np.maximum(power, np.float32(AMIN)))
    log_mean, slope = (log_power @ _log_weights(sr, n_fft)).T
    slope *= 10.0 / np.log(10.0)  # dB per kHz
    flatness = np.exp(log_mean) / np.maximum(total / power.shape[1], AMIN)
    entropy = (np.log(safe_total) - np.einsum("ij,ij->i", power, log_power) / safe_total) / np.log(power.shape[1])

    freqs = weights[:, 1] * 1000.0
    rolloff = np.where(silent[:, None], 0.0, freqs[rolloff_bins(power, safe_total)]).T

    loudness = np.power(np.maximum(mel, 0.0), 0.3).sum(axis=1)
    shape = [np.where(silent, 0.0, v) for v in (1000.0 * m1, 1e6 * variance, skewness, kurtosis, entropy)]
    columns = [decibels(total), loudness, decibels(raw[:, 5]), decibels(raw[:, 6]),
               flux, *shape, flatness, slope, *rolloff]
    return np.column_stack(columns).astype(np.float32)


def rolloff_bins(power, total):
    """Per row of ``power``, the first bin where the cumulative power reaches each of
    :data:`ROLLOFFS` of ``total`` (librosa's spectral_rolloff): ``(n, len(ROLLOFFS))``.

    Row i's cumulative share plus i rises monotonically through the whole array, so one binary
    search finds every row's points at once instead of a comparison pass per point."""
    n, n_bins = power.shape
    rows = np.arange(n)[:, None]
    shares = np.cumsum(power, axis=1, dtype=np.float64)
    shares /= total[:, None]
    shares += rows
    first = np.searchsorted(shares.ravel(), (rows + np.asarray(ROLLOFFS)).ravel()).reshape(n, -1)
    return np.minimum(first - rows * n_bins, n_bins - 1)


def zero_crossing_rate(segment, win_length, hop_length, n):
    """Sign changes per sample pair in each of ``n`` frames of ``win_length`` samples every
    ``hop_length`` from the start of ``segment``: one pass over the samples, not one per frame."""
    changes = np.signbit(segment[1:]) != np.signbit(segment[:-1])
    cumulative = np.concatenate([[0], np.cumsum(changes)])
    starts = np.arange(n) * hop_length
    stops = np.minimum(starts + win_length - 1, len(changes))
    return ((cumulative[stops] - cumulative[starts]) / (win_length - 1)).astype(np.float32)


#: the pitch autocorrelation is that of the band below this frequency: it holds what pitch needs,
#: and at 16 kHz the inverse FFT is half as long and the lags half as many
PITCH_BAND_HZ = 4000.0


@lru_cache(maxsize=16)
def _pitch_analysis(length, sr, fmin):
    """The Hann window, the FFT size for a linear (not circular) autocorrelation down to ``fmin``,
    the lag step (samples) of the band-limited autocorrelation, and the window's own normalised
    autocorrelation at that step."""
    window = np.hanning(length).astype(np.float32)
    n_fft = 1 << (length + int(np.ceil(sr / fmin))).bit_length()
    step = int(min(max(1, 2 ** np.floor(np.log2(sr / (2 * PITCH_BAND_HZ)))), n_fft // 4))
    power = np.abs(np.fft.rfft(window, n=n_fft)) ** 2
    window_acf = np.fft.irfft(power[:n_fft // (2 * step) + 1], n=n_fft // step)
    return window, n_fft, step, (window_acf / window_acf[0]).astype(np.float32)


def autocorrelation_pitch(frames, sr, fmin, fmax, octave_cost=0.05):
    """F0 (Hz) and voicing probability of each row of ``frames`` from its normalised
    autocorrelation (Boersma 1993, as :func:`~sklearn_ser.features.lld.voicing_probability`,
    here of the band below :data:`PITCH_BAND_HZ`).

    The voicing probability is the autocorrelation's highest peak in the pitch-lag range; the
    period is the lag that maximises it less ``octave_cost`` per octave of lag (Praat's octave
    cost: a periodic signal correlates as well at twice its period), refined by a parabola
    through the peak. Praat's 0.01 leans on a path search across frames; each frame here stands
    alone, and at 0.01 a tenth of the frames of a voice with 1-3 % period jitter fell an octave
    or more, at 0.05 under 1 %. F0 is 0 where no lag correlates positively.
    """
    length = frames.shape[1]
    window, n_fft, step, window_acf = _pitch_analysis(length, sr, fmin)
    rate = sr / step  # of the band-limited autocorrelation's lags
    lag_lo = max(int(rate // fmax), 2)
    lag_hi = max(min(int(np.ceil(rate / fmin)), length // step - 2), lag_lo + 1)
    spectrum = scipy.fft.rfft(windowed_padded(frames, window, n_fft), axis=1, overwrite_x=True)
    magnitude = np.abs(spectrum[:, :n_fft // (2 * step) + 1])
    acf = scipy.fft.irfft(np.square(magnitude, out=magnitude), n=n_fft // step, axis=1)
    energy = acf[:, 0]
    scale = np.divide(1.0, energy, out=np.zeros_like(energy), where=energy > 1e-10)
    # lags lag_lo - 1 .. lag_hi + 1: the parabola at a peak on the range's edge needs both neighbours
    r = acf[:, lag_lo - 1:lag_hi + 2] * scale[:, None]
    r /= window_acf[lag_lo - 1:lag_hi + 2]
    inner = r[:, 1:-1]
    lags = np.arange(lag_lo, lag_hi + 1)
    best = np.argmax(inner - (octave_cost * np.log2(lags / lag_lo)).astype(np.float32), axis=1)
    rows = np.arange(len(r))
    peak, before, after = r[rows, best + 1], r[rows, best], r[rows, best + 2]
    curvature = before - 2 * peak + after
    shift = np.where(curvature < 0, 0.5 * (before - after) / np.where(curvature < 0, curvature, -1.0), 0.0)
    period = lags[best] + np.clip(shift, -0.5, 0.5)
    f0 = np.where(peak > 0, rate / period, 0.0)
    voicing = np.clip(inner.max(axis=1), 0.0, 1.0)
    return f0.astype(np.float32), voicing.astype(np.float32)


def _voice_perturbation(static, amplitude, voicing_threshold):
    """Zero F0 in unvoiced frames, then fill jitter and shimmer (in place)."""
    f0 = static[:, STATIC_NAMES.index("f0")]
    voiced = (static[:, STATIC_NAMES.index("voicing_prob")] >= voicing_threshold) & (f0 > 0)
    f0[~voiced] = 0.0
    period = np.divide(1.0, f0, out=np.zeros_like(f0), where=voiced)
    static[:, STATIC_NAMES.index("jitter")] = relative_change(period, voiced)
    static[:, STATIC_NAMES.index("shimmer")] = relative_change(amplitude, voiced)


def relative_change(values, valid):
    """``|v[t] - v[t-1]| / mean(v[t], v[t-1])`` where frames t - 1 and t are both ``valid``, else 0."""
    out = np.zeros(len(values), dtype=np.float32)
    both = valid[1:] & valid[:-1]
    mean = 0.5 * (values[1:] + values[:-1])
    both &= mean > 0
    out[1:] = np.abs(np.diff(values)) / np.where(both, mean, 1.0) * both
    return out


def regression_delta(x, half_width=_DELTA_HALF_WIDTH):
    """First delta along axis 0: librosa.feature.delta's least-squares slope over
    ``2 * half_width + 1`` frames (its ``width``), edge frames repeated (``mode="nearest"``),
    as a few shifted differences of the whole matrix."""
    n = len(x)
    padded = np.pad(x, [(half_width, half_width)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    delta = np.zeros_like(x)
    for k in range(1, half_width + 1):  # over the window's offsets, not frames
        delta += k * (padded[half_width + k:half_width + k + n] - padded[half_width - k:half_width - k + n])
    delta /= 2 * sum(k * k for k in range(1, half_width + 1))
    return delta
