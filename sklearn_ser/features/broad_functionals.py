"""A broad set of utterance functionals of frame-level descriptors, vectorised over the columns.

29 functionals per descriptor (:data:`BROAD_FUNCTIONAL_NAMES`): moments, extremes, percentiles
and the ranges between them, linear and quadratic regression, up-level times, rise and fall
shares, and peak statistics; plus the mean and standard deviation over the voiced frames alone
for the descriptors that are 0 where there is no voice (:func:`voiced_functionals`).
"""
from __future__ import annotations

import numpy as np

PERCENTILES = (1, 25, 50, 75, 99)
PERCENTILE_RANGES = ((25, 50), (50, 75), (25, 75), (1, 99))
UP_LEVELS = (0.25, 0.50, 0.75, 0.90)

BROAD_FUNCTIONAL_NAMES = (
    ["mean", "std", "skewness", "kurtosis", "min", "max", "range"]
    + [f"p{q}" for q in PERCENTILES]
    + [f"range_p{lo}_p{hi}" for lo, hi in PERCENTILE_RANGES]
    + ["linreg_slope", "linreg_offset", "linreg_mse", "quadreg_a"]
    + [f"uplevel{round(100 * level)}" for level in UP_LEVELS]
    + ["rise_share", "fall_share", "peaks_per_s", "peak_distance_mean", "peak_mean"]
)
VOICED_FUNCTIONAL_NAMES = ["voiced_mean", "voiced_std"]

# float64 values in one pass: bounds the temporaries (each a copy of the frames) for long recordings
_BLOCK_VALUES = 1 << 21
# a column whose spread is below this share of its magnitude is constant to float32 precision:
# its skewness and kurtosis are 0, not the ratio of two rounding errors
_FLAT = 1e-6


def broad_functionals(llds, frame_rate=100.0):
    """The functionals of each column of ``llds`` (n_frames, n_llds) -> float32
    ``(n_llds * len(BROAD_FUNCTIONAL_NAMES),)``, descriptor-major: the entries of descriptor d are
    ``d * 29 ... d * 29 + 28`` in :data:`BROAD_FUNCTIONAL_NAMES` order.

    Percentiles interpolate linearly (``np.percentile``'s default); moments are the biased ones
    (``scipy.stats.skew`` / ``kurtosis``, Fisher's excess); regressions are on time scaled to
    [0, 1] over the utterance (a slope is the change from its start to its end);
    up-level times are the share of frames above 25/50/75/90 % of the range above the minimum;
    rise and fall shares the share of frame-to-frame steps up and down; a peak is a local maximum
    above the column's mean (count per second at ``frame_rate`` frames a second, mean distance
    between consecutive peaks in seconds, mean value; the column's mean where there is none).
    A constant column gives 0 for every spread, shape and trend.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.broad_functionals import broad_functionals, BROAD_FUNCTIONAL_NAMES
    >>> x = np.arange(10, dtype="float32")[:, None]
    >>> stats = dict(zip(BROAD_FUNCTIONAL_NAMES, broad_functionals(x)))
    >>> float(stats["p50"]), float(stats["linreg_slope"]), float(stats["rise_share"])
    (4.5, 9.0, 1.0)
    """
    llds = np.asarray(llds)
    if llds.ndim != 2 or len(llds) == 0:
        raise ValueError(f"broad_functionals takes (n_frames >= 1, n_llds) descriptors, got shape {llds.shape}")
    n_frames, n_llds = llds.shape
    if n_llds > 1 and llds.size > _BLOCK_VALUES:  # a long recording: a few columns at a time
        step = max(1, _BLOCK_VALUES // n_frames)
        return np.concatenate([broad_functionals(llds[:, j:j + step], frame_rate)
                               for j in range(0, n_llds, step)])
    x = llds.astype(np.float64)
    mean, std, skew, kurt, flat = _moments(x)
    order = _order_statistics(x)
    trend = _regression(x, mean, flat)
    levels = _level_times(x, order[0], order[2])
    peaks = _peaks(x, mean, frame_rate)
    stats = np.vstack([mean, std, skew, kurt, order, trend, levels, peaks])  # (functionals, columns)
    return stats.T.reshape(-1).astype(np.float32)


def _moments(x):
    """Mean, standard deviation, skewness, excess kurtosis, and which columns are flat."""
    mean = x.mean(axis=0)
    centred = x - mean
    squared = centred * centred
    var = squared.mean(axis=0)
    flat = var <= np.square(_FLAT * np.abs(x).max(axis=0))
    safe_var = np.where(flat, 1.0, var)
    skew = np.where(flat, 0.0, (squared * centred).mean(axis=0) / safe_var ** 1.5)
    kurt = np.where(flat, 0.0, (squared * squared).mean(axis=0) / safe_var ** 2 - 3.0)
    return mean, np.where(flat, 0.0, np.sqrt(var)), skew, kurt, flat


def _order_statistics(x):
    """Min, max, range, the percentiles and the ranges between them, from one sort per column."""
    ordered = np.sort(x, axis=0)
    position = np.asarray(PERCENTILES) / 100.0 * (len(x) - 1)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, len(x) - 1)
    weight = (position - lower)[:, None]
    percentile = ordered[lower] * (1.0 - weight) + ordered[upper] * weight  # np.percentile's "linear"
    at = {q: percentile[i] for i, q in enumerate(PERCENTILES)}
    ranges = [at[hi] - at[lo] for lo, hi in PERCENTILE_RANGES]
    low, high = ordered[0], ordered[-1]
    return np.vstack([low, high, high - low, percentile, *ranges])


def _regression(x, mean, flat):
    """Linear regression on time scaled to [0, 1] (slope, offset, mean squared error) and the
    coefficient of the square in a quadratic one, by projections on orthogonal polynomials."""
    n = len(x)
    # time runs from 0 to 1 over the utterance (openSMILE's normRegCoeff): on the frame index a
    # slope scales with 1/length and a curvature with 1/length^2, so duration swamps the shape
    t = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    linear = t - t.mean()
    linear_norm = linear @ linear
    square = t * t
    square -= square.mean()
    if linear_norm > 0:
        square -= (square @ linear) / linear_norm * linear
    square_norm = square @ square
    centred = x - mean
    slope = centred.T @ linear / linear_norm if linear_norm > 0 else np.zeros(x.shape[1])
    # a quadratic's t^2 coefficient is its projection on t^2 made orthogonal to 1 and t
    quadratic = centred.T @ square / square_norm if square_norm > 1e-9 * n else np.zeros(x.shape[1])
    residual = (centred * centred).mean(axis=0) - slope * slope * linear_norm / n
    slope, quadratic = np.where(flat, 0.0, slope), np.where(flat, 0.0, quadratic)
    residual = np.where(flat, 0.0, np.maximum(residual, 0.0))
    return np.vstack([slope, mean - slope * t.mean(), residual, quadratic])


def _level_times(x, low, span):
    """Share of frames above each of :data:`UP_LEVELS` of the range above the minimum."""
    return np.vstack([(x > low + level * span).mean(axis=0) for level in UP_LEVELS])


def _peaks(x, mean, frame_rate):
    """Rise and fall shares, peaks per second, mean distance between consecutive peaks (s), mean peak."""
    n = len(x)
    step = np.diff(x, axis=0)
    pairs = max(n - 1, 1)
    rise, fall = (step > 0).sum(axis=0) / pairs, (step < 0).sum(axis=0) / pairs
    is_peak = np.zeros(x.shape, dtype=bool)
    is_peak[1:-1] = (step[:-1] > 0) & (step[1:] <= 0) & (x[1:-1] > mean)
    count = is_peak.sum(axis=0)
    first = np.argmax(is_peak, axis=0)
    last = n - 1 - np.argmax(is_peak[::-1], axis=0)
    distance = np.where(count > 1, (last - first) / np.maximum(count - 1, 1) / frame_rate, 0.0)
    peak_mean = np.where(count > 0, (x * is_peak).sum(axis=0) / np.maximum(count, 1), mean)
    return np.vstack([rise, fall, count / (n / frame_rate), distance, peak_mean])


def voiced_functionals(values, voiced):
    """Mean and standard deviation of each column of ``values`` (n_frames, k) over the frames
    where ``voiced``; 0 for both without voiced frames. float32 ``(2 * k,)``, descriptor-major."""
    values = np.asarray(values, dtype=np.float64)
    voiced = np.asarray(voiced, dtype=bool)
    count = voiced.sum()
    if count == 0:
        return np.zeros(2 * values.shape[1], dtype=np.float32)
    chosen = values[voiced]
    return np.vstack([chosen.mean(axis=0), chosen.std(axis=0)]).T.reshape(-1).astype(np.float32)


def broad_functional_names(lld_names):
    """Feature names matching :func:`broad_functionals` for the given descriptor names."""
    return [f"{lld}__{fn}" for lld in lld_names for fn in BROAD_FUNCTIONAL_NAMES]


def voiced_functional_names(lld_names):
    """Feature names matching :func:`voiced_functionals` for the given descriptor names."""
    return [f"{lld}__{fn}" for lld in lld_names for fn in VOICED_FUNCTIONAL_NAMES]
