"""Fast short-time spectra: framing as a strided view, one real FFT (scipy's pocketfft, float32),
a cached librosa mel basis, and librosa's dB scale.

Frame convention (used by every representation here): frame ``k`` covers
``y[k * hop : k * hop + win_length]``; the signal is zero-padded at the end so that
``1 + ceil((len(y) - win_length) / hop)`` frames cover all of it (at least one frame); each frame is
windowed and zero-padded to ``n_fft``. This is python_speech_features' convention (it gives Wieser
et al.'s 599 MFCC frames for 6 s and Kim et al.'s 100 frames for 2 s). The power spectrum equals
librosa's ``stft(..., center=False)`` of the same frames (librosa centres the window inside ``n_fft``,
which changes only the phase); the tests check it.
"""
from __future__ import annotations

from functools import lru_cache

import librosa
import numpy as np
import scipy.fft

AMIN = 1e-10  # floor of the power before the log, as librosa.power_to_db


def n_frames_for(n_samples, win_length, hop_length):
    """Frames needed to cover ``n_samples`` (at least one)."""
    return 1 + max(0, -(-(n_samples - win_length) // hop_length))


def pad_end(y, length):
    """``y`` (float32, last axis) zero-padded or cut to ``length``; cheaper than np.pad on hot paths."""
    y = np.asarray(y, dtype=np.float32)
    if y.shape[-1] == length:
        return y
    out = np.zeros(y.shape[:-1] + (length,), dtype=np.float32)
    keep = min(length, y.shape[-1])
    out[..., :keep] = y[..., :keep]
    return out


def frame_signal(y, win_length, hop_length, n_frames=None):
    """``(..., n_frames, win_length)`` read-only strided view of ``y`` (framed along its last axis,
    so a 2-D batch of equal-length signals frames at once), zero-padded at the end as needed."""
    y = np.asarray(y, dtype=np.float32)
    if n_frames is None:
        n_frames = n_frames_for(y.shape[-1], win_length, hop_length)
    needed = (n_frames - 1) * hop_length + win_length
    if y.shape[-1] < needed:
        y = pad_end(y, needed)
    windows = np.lib.stride_tricks.sliding_window_view(y, win_length, axis=-1)
    return windows[..., :: hop_length, :][..., :n_frames, :]


@lru_cache(maxsize=32)
def analysis_window(window, win_length):
    """librosa's periodic analysis window (``fftbins=True``), float32, cached."""
    return librosa.filters.get_window(window, win_length, fftbins=True).astype(np.float32)


@lru_cache(maxsize=32)
def mel_basis(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """librosa's (Slaney-normalised) mel filter bank, float32, transposed for ``power @ basis``."""
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    return np.ascontiguousarray(basis.T, dtype=np.float32)


def power_spectrogram(y, n_fft=512, hop_length=160, win_length=400, window="hamming", n_frames=None):
    """|STFT|^2 as float32 ``(..., n_frames, n_fft // 2 + 1)`` (a batch of signals on leading axes)."""
    frames = frame_signal(y, win_length, hop_length, n_frames)
    windowed = frames * analysis_window(window, win_length)  # a fresh array the FFT may overwrite
    spectrum = scipy.fft.rfft(windowed, n=n_fft, axis=-1, overwrite_x=True)
    power = np.abs(spectrum)
    return np.square(power, out=power)


def power_to_db(power, inplace=False):
    """``10 * log10(max(power, 1e-10))``: librosa.power_to_db with ref=1 and no top_db clipping.

    ``inplace=True`` overwrites a float32 ``power`` (for the fresh arrays of this module)."""
    power = np.asarray(power, dtype=np.float32)
    out = power if inplace else power.copy()
    np.maximum(out, np.float32(AMIN), out=out)
    np.log10(out, out=out)
    out *= np.float32(10.0)
    return out


def log_spectrogram(y, n_fft=512, hop_length=320, win_length=512, window="hamming", n_bins=None,
                    n_frames=None):
    """Log power spectrum in dB, ``(n_frames, n_bins)``; ``n_bins`` keeps the lowest bins."""
    power = power_spectrogram(y, n_fft, hop_length, win_length, window, n_frames)
    return power_to_db(power[..., :n_bins] if n_bins else power, inplace=True)


def log_mel_spectrogram(y, sr=16000, n_mels=64, fmin=0.0, fmax=None, n_fft=512, hop_length=160,
                        win_length=400, window="hamming", n_frames=None):
    """Log mel power in dB, ``(n_frames, n_mels)``."""
    power = power_spectrogram(y, n_fft, hop_length, win_length, window, n_frames)
    return power_to_db(power @ mel_basis(sr, n_fft, n_mels, fmin, fmax), inplace=True)


@lru_cache(maxsize=8)
def _dct_matrix(n_mels, n_mfcc):
    """Orthonormal DCT-II, as librosa.feature.mfcc (scipy.fftpack.dct norm='ortho')."""
    return np.ascontiguousarray(
        scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc].T, dtype=np.float32
    )


def mfcc(y, sr=16000, n_mfcc=26, n_mels=40, fmin=0.0, fmax=None, n_fft=1024, hop_length=160,
         win_length=400, window="hamming", n_frames=None):
    """MFCCs ``(n_frames, n_mfcc)``: DCT of the dB log-mel spectrum, as librosa.feature.mfcc."""
    log_mel = log_mel_spectrogram(y, sr, n_mels, fmin, fmax, n_fft, hop_length, win_length, window,
                                  n_frames)
    return log_mel @ _dct_matrix(n_mels, n_mfcc)
