"""Cutting signals and frame sequences into segments, and the ragged container of segments.

Convention (DESIGN §1, "utterance in, utterance out"): a representation with a fixed shape per
utterance is a dense float32 array whose first axis is the utterance; a representation with a
variable number of segments per utterance is a 1-D object array holding, per utterance, one float32
array whose first axis is the segment. :func:`stack_segments` flattens the latter for training on
segments and returns the owner of each segment for pooling back to utterances.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._disk import contiguous_view, on_disk, ragged, ragged_on_disk, write_rows


def stack_segments(X):
    """All segments of all utterances as one array, and the utterance index of each segment.
    Utterances on disk (:mod:`sklearn_ser._disk`) stay there: a view of their file when they lie in it one
    after another, else a new file."""
    X = list(X)
    owners = np.repeat(np.arange(len(X)), [len(x) for x in X])
    if not on_disk(X):
        return np.concatenate(X, axis=0), owners
    view = contiguous_view(X)
    return (write_rows(X)[0] if view is None else view), owners


def segment_count(n_items, length, hop):
    """Whole segments of ``length`` items every ``hop`` items (a trailing partial one is dropped);
    at least one, padded, when there are fewer than ``length`` items."""
    return 1 + max(0, (n_items - length) // hop)


def segment_windows(matrix, length, hop, pad_value=0.0):
    """``(n_items, ...)`` -> read-only view ``(n_segments, ..., length)``, the segment axis last;
    pads the end with ``pad_value`` when there are fewer than ``length`` items. Callers copy it
    once into whatever layout they need."""
    n = segment_count(len(matrix), length, hop)
    needed = (n - 1) * hop + length
    if len(matrix) < needed:
        pad = [(0, needed - len(matrix))] + [(0, 0)] * (matrix.ndim - 1)
        matrix = np.pad(matrix, pad, constant_values=pad_value)
    return np.lib.stride_tricks.sliding_window_view(matrix, length, axis=0)[::hop][:n]


def segment_rows(matrix, length, hop, pad_value=0.0):
    """``(n_items, ...)`` -> ``(n_segments, length, ...)`` contiguous copy; pads the end with
    ``pad_value`` when there are fewer than ``length`` items."""
    return np.ascontiguousarray(np.moveaxis(segment_windows(matrix, length, hop, pad_value), -1, 1))


def context_stack(frames, width=5):
    """Each frame stacked with its neighbours, ``(n, d) -> (n, width * d)``, centred; edge frames
    repeat at the borders (Han et al. 2014's context window)."""
    half = width // 2
    padded = np.pad(frames, [(half, width - 1 - half), (0, 0)], mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (n, d, width)
    return np.ascontiguousarray(np.swapaxes(windows, 1, 2).reshape(len(frames), -1))


def window_count(n_samples, window, min_last):
    """Slices of :func:`long_utterance_windows` for ``n_samples``."""
    return max(1, n_samples // window + (n_samples % window > min_last))


def long_utterance_windows(y, window, min_last):
    """Wieser et al. 2020: ``window``-sample slices, zero-padded; the last slice of a longer
    utterance only if it holds more than ``min_last`` samples. Always at least one slice."""
    n = window_count(len(y), window, min_last)
    out = np.zeros((n, window), dtype=np.float32)
    for k in range(n):
        piece = y[k * window : (k + 1) * window]
        out[k, : len(piece)] = piece
    return out


class FrameWindows(TransformerMixin, BaseEstimator):
    """Cut each utterance's frame sequence ``(n_frames, d)`` into windows ``(n_windows, length, d)``
    every ``hop`` frames (a short utterance gives one window padded with ``pad_value``): ragged in,
    ragged out. For sequence models trained on segments (LSTM-ELM).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.features.segments import FrameWindows, ragged
    >>> out = FrameWindows(length=4, hop=2).fit_transform(ragged([np.ones((9, 3)), np.ones((2, 3))]))
    >>> out[0].shape, out[1].shape
    ((3, 4, 3), (1, 4, 3))
    """

    def __init__(self, length=100, hop=50, pad_value=0.0):
        self.length = length
        self.hop = hop
        self.pad_value = pad_value

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        windows = (segment_rows(np.asarray(x, dtype=np.float32), self.length, self.hop, self.pad_value) for x in X)
        return ragged_on_disk(windows) if on_disk(X) else ragged(windows)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.no_validation = True  # stateless reshaping of the frames an upstream step made
        tags.transformer_tags.preserves_dtype = []  # ragged out: an object array of float32 stacks
        return tags
