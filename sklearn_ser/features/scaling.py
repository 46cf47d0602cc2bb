"""Standardisation of dense multi-axis representations (spectrogram volumes, raw subsequences)."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from .._disk import blocks, like, on_disk, write_rows


def mean_std(blocks):
    """Mean and standard deviation (float64) of the columns of the rows that ``blocks()`` yields
    a block at a time, in two passes: a copy of all of them, or their float64 deviations, could
    exceed the memory."""
    count, total = 0, 0.0
    for block in blocks():
        count, total = count + len(block), total + block.sum(axis=0, dtype=np.float64)
    if not count:
        raise ValueError("no rows to take a mean and deviation of: every stack of segments is empty")
    mean = total / count
    return mean, np.sqrt(sum(np.square(block - mean).sum(axis=0) for block in blocks()) / count)


def _blocks(X):
    """Float32 blocks of X's rows: each stack of segments of a ragged X (of one shape), else
    slices of dense X (:func:`~sklearn_ser._disk.blocks`)."""
    if not _is_ragged(X):
        yield from blocks(X)
        return
    shape = np.shape(X[0])[1:]
    for x in X:
        x = check_array(x, dtype=np.float32, allow_nd=True, ensure_min_samples=0)
        if x.shape[1:] != shape:
            raise ValueError(f"BinStandardScaler: stacks of segments of shapes (n, *{shape}) and (n, *{x.shape[1:]})")
        yield x


def _is_ragged(X):
    return isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1 and len(X) > 0 \
        and isinstance(X[0], np.ndarray)


class BinStandardScaler(TransformerMixin, BaseEstimator):
    """Z-score each bin of the last axis with its mean and standard deviation over the training
    utterances and all other axes (e.g. per frequency bin of log-spectrogram volumes).
    ``per_bin=False`` uses one mean and deviation for everything (raw waveforms); ``axis`` picks
    another axis of bins (``axis=1``: per channel of ``(n, channels, mels, frames)`` segments, such
    as Zhang's static/delta/delta-delta maps). Ragged input
    (one segment stack per utterance) is scaled stack by stack with statistics over all segments.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.scaling import BinStandardScaler
    >>> X = np.random.default_rng(0).normal(5, 2, (20, 10, 10, 8)).astype("float32")
    >>> Z = BinStandardScaler().fit_transform(X)
    >>> Z.shape, bool(abs(Z.mean()) < 1e-5), Z.dtype
    ((20, 10, 10, 8), True, dtype('float32'))
    """

    def __init__(self, per_bin=True, axis=-1):
        self.per_bin = per_bin
        self.axis = axis

    def fit(self, X, y=None):
        if not _is_ragged(X):
            X = check_array(X, dtype=np.float32, allow_nd=True)
        mean, std = mean_std(lambda: map(self._flat, _blocks(X)))
        batch = np.asarray(X[0]) if _is_ragged(X) else X  # shaped (n, ...) as what transform scales
        self.mean_ = mean.astype(np.float32)
        self.scale_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        if self.per_bin:  # shaped to broadcast along `axis` of a (n, ...) batch
            shape = [1] * batch.ndim
            shape[self.axis] = -1
            self.mean_, self.scale_ = self.mean_.reshape(shape[1:]), self.scale_.reshape(shape[1:])
        self.sample_shape_ = batch.shape[1:]
        self.n_features_in_ = self.sample_shape_[0]
        return self

    def _flat(self, X):
        """X's values as rows of bins (one column without ``per_bin``)."""
        if not self.per_bin:
            return X.reshape(-1, 1)
        bins = np.moveaxis(X, self.axis, -1)
        return bins.reshape(-1, bins.shape[-1])

    def transform(self, X):
        check_is_fitted(self)
        if _is_ragged(X):  # stack by stack, in memory; all of them on disk if X is
            return like(X, (self._standardise(self._checked(x)) for x in X))
        X = self._checked(X)
        if on_disk(X):  # a block at a time, into a file of its own
            return write_rows(map(self._standardise, _blocks(X)))[0]
        return self._standardise(X)

    def _checked(self, X):
        X = check_array(X, dtype=np.float32, allow_nd=True)
        if X.shape[1:] != self.sample_shape_:
            raise ValueError(f"X has {X.shape[1]} features, but BinStandardScaler is expecting "
                             f"{self.n_features_in_} features as input (sample shape {X.shape[1:]}, "
                             f"fitted on {self.sample_shape_})")
        return X

    def _standardise(self, X):
        return (X - self.mean_) / self.scale_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # features are float32 (DESIGN §4)
        return tags
