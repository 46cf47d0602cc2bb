"""Standardisation of dense multi-axis representations (spectrogram volumes, raw subsequences)."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from .segments import ragged


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
        if _is_ragged(X):  # segment stacks: statistics over all segments of all utterances
            return self.fit(np.concatenate(list(X)))
        X = check_array(X, dtype=np.float32, allow_nd=True)
        if self.per_bin:
            bins = np.moveaxis(X, self.axis, -1)
            flat = bins.reshape(-1, bins.shape[-1])
        else:
            flat = X.reshape(-1, 1)
        self.mean_ = flat.mean(axis=0, dtype=np.float64).astype(np.float32)
        std = flat.std(axis=0, dtype=np.float64)
        self.scale_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        if self.per_bin:  # shaped to broadcast along `axis` of a (n, ...) batch
            shape = [1] * X.ndim
            shape[self.axis] = -1
            self.mean_, self.scale_ = self.mean_.reshape(shape[1:]), self.scale_.reshape(shape[1:])
        self.n_features_in_ = X.shape[1]
        self.sample_shape_ = X.shape[1:]
        return self

    def transform(self, X):
        check_is_fitted(self)
        if _is_ragged(X):
            return ragged([self.transform(x) for x in X])
        X = check_array(X, dtype=np.float32, allow_nd=True)
        if X.shape[1:] != self.sample_shape_:
            raise ValueError(f"X has {X.shape[1]} features, but BinStandardScaler is expecting "
                             f"{self.n_features_in_} features as input (sample shape {X.shape[1:]}, "
                             f"fitted on {self.sample_shape_})")
        return (X - self.mean_) / self.scale_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # features are float32 (DESIGN §4)
        return tags
