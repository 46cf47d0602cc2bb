"""Utterance-level statistical functionals of a frame sequence (INTERSPEECH 2009 style)."""
from __future__ import annotations

import numpy as np

FUNCTIONAL_NAMES = [
    "max", "min", "range", "max_pos", "min_pos", "mean",
    "slope", "offset", "linreg_mse", "std", "skewness", "kurtosis",
]


# float64 values in one pass: bounds the temporaries (each a copy of the frames) for long recordings
_BLOCK_VALUES = 1 << 21


def functionals(frames):
    """Twelve functionals of each column of ``frames`` (n_frames, n_lld) -> (12 * n_lld,) float32.

    Ordered functional-major within each descriptor: for descriptor d, entries
    ``d * 12 ... d * 12 + 11`` follow :data:`FUNCTIONAL_NAMES`. Positions are relative (0..1), so
    utterances of different lengths are comparable; skewness and kurtosis of a constant column are 0.
    """
    frames = np.asarray(frames)
    n_frames, n_lld = frames.shape
    if n_lld > 1 and frames.size > _BLOCK_VALUES:  # a long recording: a few columns at a time
        step = max(1, _BLOCK_VALUES // n_frames)
        return np.concatenate([functionals(frames[:, j:j + step]) for j in range(0, n_lld, step)])
    x = frames.astype(np.float64)
    n = x.shape[0]
    t = np.arange(n, dtype=np.float64)
    mean = x.mean(axis=0)
    centred = x - mean
    var = (centred**2).mean(axis=0)
    std = np.sqrt(var)
    safe_var = np.where(var > 1e-12, var, 1.0)
    skew = np.where(var > 1e-12, (centred**3).mean(axis=0) / safe_var**1.5, 0.0)
    kurt = np.where(var > 1e-12, (centred**4).mean(axis=0) / safe_var**2 - 3.0, 0.0)
    t_centred = t - t.mean()
    t_var = (t_centred**2).sum()
    slope = (t_centred @ centred) / t_var if t_var > 0 else np.zeros_like(mean)
    offset = mean - slope * t.mean()
    residual = x - (offset + np.outer(t, slope))
    denom = max(n - 1, 1)
    stats = np.stack([
        x.max(axis=0), x.min(axis=0), np.ptp(x, axis=0),
        x.argmax(axis=0) / denom, x.argmin(axis=0) / denom, mean,
        slope, offset, (residual**2).mean(axis=0), std, skew, kurt,
    ], axis=1)
    return stats.reshape(-1).astype(np.float32)


def functional_names(lld_names):
    """Feature names matching :func:`functionals` for the given descriptor names."""
    return [f"{lld}__{fn}" for lld in lld_names for fn in FUNCTIONAL_NAMES]
