"""Features assembled in a memory-mapped temporary file instead of RAM.

A feature step with a disk cache (``memory``) writes a call's output, utterance by utterance as the
workers return it, into an unlinked temporary file (in ``TMPDIR``) and returns views of that file:
a ragged object array of per-utterance views, or a dense array. The steps downstream keep it there
(:class:`~sklearn_ser.features.BinStandardScaler`, :class:`~sklearn_ser.features.FrameWindows`,
per-speaker z-scoring write their output to a new file), and :func:`~.segments.stack_segments` of
utterances that lie one after another in one file is a view, not a copy: a net trained on a fold's
segments reads each batch from the file. The pages are the kernel's to drop and read back, so a
fold whose features exceed the memory trains in the memory of its model and batches. The file's
space is freed when the last view of it is garbage-collected.
"""
from __future__ import annotations

import tempfile

import numpy as np

#: values in a block of a dense array's rows processed at a time
_BLOCK_VALUES = 2**24


def backing_file(a):
    """The :class:`numpy.memmap` that maps the file whose memory ``a`` views (the deepest one
    along its bases), or None."""
    found = None
    while isinstance(a, np.ndarray):
        if isinstance(a, np.memmap):
            found = a
        a = a.base
    return found


def on_disk(X):
    """Whether X (a dense array, or a ragged object array of per-utterance arrays) lies in a
    memory-mapped file, so that what is computed from it belongs there too."""
    if isinstance(X, np.ndarray) and X.dtype == object:
        return len(X) > 0 and all(isinstance(x, np.ndarray) and backing_file(x) is not None for x in X)
    return backing_file(X) is not None


def write_rows(arrays):
    """Write ``arrays`` (an iterable, consumed one at a time; a shared dtype and shape but for the
    first axis) one after another into an unlinked temporary file. Returns ``(rows, lengths)``: all
    their rows as one array mapped from the file (copy-on-write: writing to it changes only this
    process's pages) and each array's number of rows."""
    lengths, dtype, tail = [], None, None
    with tempfile.TemporaryFile(prefix="sklearn-ser-") as f:
        for a in arrays:
            a = np.ascontiguousarray(a)
            if dtype is None:
                dtype, tail = a.dtype, a.shape[1:]
            elif a.dtype != dtype or a.shape[1:] != tail:
                raise ValueError(f"arrays of dtype {a.dtype} and shape (n, *{a.shape[1:]}) cannot be stacked "
                                 f"with ones of dtype {dtype} and shape (n, *{tail})")
            f.write(a.data)
            lengths.append(len(a))
        if not sum(lengths):  # nothing to map (a file of 0 bytes cannot be)
            return np.empty((0, *(tail or ())), dtype=dtype or np.float32), lengths
        f.flush()
        # the map holds its own descriptor of the file: closing ours leaves it readable
        return np.memmap(f, dtype=dtype, mode="c", shape=(sum(lengths), *tail)), lengths


def ragged(arrays):
    """A 1-D object array holding one array per utterance (never a 2-D stack, even if equal-shaped)."""
    arrays = list(arrays)
    out = np.empty(len(arrays), dtype=object)
    out[:] = arrays
    return out


def ragged_on_disk(arrays):
    """A :func:`ragged` array of views of ``arrays`` written to disk (:func:`write_rows`)."""
    rows, lengths = write_rows(arrays)
    rows, bounds = rows.view(np.ndarray), np.cumsum([0, *lengths])  # plain arrays, viewing the file
    return ragged([rows[begin:end] for begin, end in zip(bounds[:-1], bounds[1:])])


def dense_on_disk(arrays):
    """``np.stack(arrays)`` in a memory-mapped file: each array is one utterance's row."""
    return write_rows(np.asarray(a)[np.newaxis] for a in arrays)[0].view(np.ndarray)


def like(X, arrays):
    """Per-utterance ``arrays`` computed from X, assembled as X is: on disk if X is, ragged if
    X is an object array, else stacked."""
    if isinstance(X, np.ndarray) and X.dtype == object:
        return ragged_on_disk(arrays) if on_disk(X) else ragged(arrays)
    return dense_on_disk(arrays) if on_disk(X) else np.stack(list(arrays))


def take(X, idx):
    """``X[idx]`` of an array X. Of a dense X on disk, a file of its own written a block at a time
    (X itself for all its rows in order), where numpy's copy would be in memory."""
    if X.dtype == object or not on_disk(X):
        return X[idx]
    idx = np.arange(len(X))[idx]
    if len(idx) == len(X) and np.array_equal(idx, np.arange(len(X))):
        return X
    if not len(idx):
        return X[idx]
    return write_rows(X[rows] for rows in blocks(idx, X[0].size))[0].view(np.ndarray)


def blocks(X, row_size=None):
    """Slices of a dense X's rows of about :data:`_BLOCK_VALUES` values each (rows of
    ``row_size`` values: of X's own by default)."""
    step = max(1, _BLOCK_VALUES // max(1, X[0].size if row_size is None else row_size))
    return (X[i:i + step] for i in range(0, len(X), step))


def _address(a):
    return a.__array_interface__["data"][0]


def contiguous_view(X):
    """The rows of all X's arrays as one array, viewing the file they lie in when they lie one
    after another in one mapped file (as :func:`ragged_on_disk` writes them, or any in-order
    subset of consecutive ones); None otherwise."""
    if not len(X):
        return None
    root = backing_file(X[0])
    if root is None:
        return None
    tail, dtype = X[0].shape[1:], X[0].dtype
    row_bytes = dtype.itemsize * int(np.prod(tail))
    if root.dtype != dtype or root.shape[1:] != tail or row_bytes == 0:
        return None
    start = end = None
    for x in X:
        if x.dtype != dtype or x.shape[1:] != tail or backing_file(x) is not root:
            return None
        if not x.size:  # an empty view's address says nothing
            continue
        if not x.flags.c_contiguous or (end is not None and _address(x) != end):
            return None
        start = _address(x) if start is None else start
        end = _address(x) + x.nbytes
    if start is None:
        return None
    first, extra = divmod(start - _address(root), row_bytes)
    if extra:
        return None
    return root[first:first + (end - start) // row_bytes].view(np.ndarray)
