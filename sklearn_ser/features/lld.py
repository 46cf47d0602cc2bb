"""Frame-level low-level descriptors (LLDs) of Han et al. / Kim et al.'s handcrafted baseline.

32 per frame, as in Kim et al. 2017 §4 ("F0, voice probability, zero-crossing-rate, 12-dimensional
MFCC with root mean squared energy and those first time derivatives"): the INTERSPEECH 2009
emotion-challenge descriptors, 10 ms apart.
"""
from __future__ import annotations

from functools import cache

import librosa
import numpy as np

LLD_NAMES = ["f0", "voicing_prob", "zcr"] + [f"mfcc{i}" for i in range(1, 13)] + ["rms"]
LLD_NAMES = LLD_NAMES + [f"{name}_delta" for name in LLD_NAMES]


def voicing_probability(y, sr, frame_length, hop_length, fmin, fmax):
    """Peak of the normalised autocorrelation in the pitch-lag range, per frame (openSMILE's voiceProb).

    The windowed autocorrelation is divided by the window's own (Boersma 1993), so a periodic frame
    scores close to 1 whatever its period. All frames at once with one real FFT; frames are centred
    like librosa's.
    """
    window = np.hanning(frame_length)
    padded = np.pad(y, frame_length // 2)
    frames = librosa.util.frame(padded, frame_length=frame_length, hop_length=hop_length, axis=0)
    n_fft = 2 * frame_length  # zero-padded so the autocorrelation is linear, not circular
    power = np.abs(np.fft.rfft(frames * window, n=n_fft, axis=1)) ** 2
    acf = np.fft.irfft(power, n=n_fft, axis=1)
    window_acf = np.fft.irfft(np.abs(np.fft.rfft(window, n=n_fft)) ** 2, n=n_fft)
    lag_lo, lag_hi = int(sr // fmax), min(int(np.ceil(sr / fmin)), frame_length - 1)
    lags = slice(lag_lo, lag_hi + 1)
    energy = acf[:, :1]
    normalised = np.divide(acf[:, lags], energy, out=np.zeros_like(acf[:, lags]), where=energy > 1e-10)
    prob = (normalised / (window_acf[lags] / window_acf[0])).max(axis=1)
    return np.clip(prob, 0.0, 1.0).astype(np.float32)


#: Frames computed at once (60 s at 10 ms): bounds the pitch tracker's frame matrices, which for a
#: one-hour file at once would take gigabytes.
BLOCK_FRAMES = 6000


def frame_llds(
    y,
    sr=16000,
    hop_length=160,
    win_length=400,
    pitch_length=640,
    fmin=60.0,
    fmax=500.0,
    voicing_threshold=0.5,
    delta_width=5,
    block_frames=BLOCK_FRAMES,
):
    """The 32 LLDs of one waveform as a float32 array of shape (n_frames, 32).

    Columns follow :data:`LLD_NAMES`. F0 comes from librosa's YIN and is set to 0 in frames whose
    voicing probability is below ``voicing_threshold`` (as openSMILE does for unvoiced frames).
    MFCC 1-12 (the 0th is left out; RMS energy carries the level) use a Hamming window of
    ``win_length`` samples; pitch uses the longer ``pitch_length`` window so that two periods of
    ``fmin`` fit. Frames are centred, so every descriptor has ``1 + len(y) // hop_length`` frames.
    Long waveforms are analysed ``block_frames`` frames at a time, each block with enough audio on
    both sides for its windows: the same frames as at once, in bounded memory.
    """
    y = np.asarray(y, dtype=np.float32)
    params = dict(sr=sr, hop_length=hop_length, win_length=win_length, pitch_length=pitch_length,
                  fmin=fmin, fmax=fmax, voicing_threshold=voicing_threshold)
    n_frames = 1 + len(y) // hop_length
    if n_frames <= block_frames:
        static = _static_llds(y, **params)
    else:
        # whole hops of context on each side, covering half the longest window
        margin = hop_length * (-(-max(pitch_length, win_length) // (2 * hop_length)) + 1)
        blocks = []
        for first in range(0, n_frames, block_frames):
            last = min(first + block_frames, n_frames)
            start = max(first * hop_length - margin, 0)
            stop = min((last - 1) * hop_length + margin + 1, len(y))
            skip = (first * hop_length - start) // hop_length
            blocks.append(_static_llds(y[start:stop], **params)[:, skip:skip + last - first])
        static = np.hstack(blocks)
    delta = librosa.feature.delta(static, width=delta_width, mode="nearest", axis=1)
    return np.vstack([static, delta]).T.astype(np.float32)


def _static_llds(y, sr, hop_length, win_length, pitch_length, fmin, fmax, voicing_threshold):
    """The 16 static LLDs, one column per centred frame: (16, 1 + len(y) // hop_length)."""
    f0 = librosa.yin(
        y, fmin=fmin, fmax=fmax, sr=sr, frame_length=pitch_length, hop_length=hop_length,
        center=True, pad_mode="constant",
    )
    voicing = voicing_probability(y, sr, pitch_length, hop_length, fmin, fmax)
    f0 = np.where(voicing >= voicing_threshold, f0, 0.0)
    zcr = librosa.feature.zero_crossing_rate(
        y, frame_length=win_length, hop_length=hop_length, center=True
    )[0]
    mfcc = librosa.feature.mfcc(
        y=y, sr=sr, n_mfcc=13, n_fft=win_length, hop_length=hop_length, window="hamming",
        n_mels=26, center=True, pad_mode="constant",
    )[1:]
    rms = librosa.feature.rms(y=y, frame_length=win_length, hop_length=hop_length, center=True,
                              pad_mode="constant")[0]
    n = min(len(f0), len(voicing), len(zcr), mfcc.shape[1], len(rms))
    return np.vstack([f0[:n], voicing[:n], zcr[:n], mfcc[:, :n], rms[:n]])


@cache
def compile_numba_kernels():
    """Run :func:`frame_llds` once in this process, so librosa's numba kernels are compiled and
    cached here before parallel workers start: workers that compile them at the same time race
    on numba's on-disk cache and can leave it corrupt (later runs then crash with SIGSEGV).
    """
    frame_llds(np.random.default_rng(0).standard_normal(1600).astype(np.float32))
