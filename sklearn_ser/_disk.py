"""Features assembled in a memory-mapped temporary file instead of RAM.

A feature step with a disk cache (``memory``) writes a call's output, utterance by utterance as the
workers return it, into an unlinked temporary file (in :func:`folder`) and returns views of that file:
a ragged object array of per-utterance views, or a dense array. The steps downstream keep it there
(:class:`~sklearn_ser.features.BinStandardScaler`, :class:`~sklearn_ser.features.FrameWindows`,
per-speaker z-scoring write their output to a new file), and :func:`~.segments.stack_segments` of
utterances that lie one after another in one file is a view, not a copy: a net trained on a fold's
segments reads each batch from the file. The pages are the kernel's to drop and read back, so a
fold whose features exceed the memory trains in the memory of its model and batches. The file's
space is freed when the last view of it is garbage-collected.
"""
from __future__ import annotations

import mmap
import os
import tempfile
import weakref

import numpy as np

#: values in a block of a dense array's rows processed at a time
_BLOCK_VALUES = 2**24
#: the environment variable naming the folder of the files (default: ``tempfile.gettempdir()``)
FOLDER_VARIABLE = "SKLEARN_SER_TMPDIR"
#: the arrays that map this module's files: only data in them counts as on disk, not any memmap
#: (joblib hands large arrays to its workers as memmaps of its own)
_FILES = weakref.WeakValueDictionary()  # id -> array (arrays are not hashable)


def folder():
    """Where the files go: ``$SKLEARN_SER_TMPDIR``, else Python's temporary folder (``TMPDIR``).
    It must be a disk, not a tmpfs: a tmpfs keeps its files in memory."""
    return os.environ.get(FOLDER_VARIABLE) or tempfile.gettempdir()


def backing_file(a):
    """The array mapping the file of this module (:func:`write_rows`) whose memory ``a`` views,
    or None."""
    while isinstance(a, np.ndarray):
        if _FILES.get(id(a)) is a:
            return a
        a = a.base
    return None


def on_disk(X):
    """Whether X (a dense array, or a ragged object array or list of per-utterance arrays) lies in
    a memory-mapped file, so that what is computed from it belongs there too."""
    if isinstance(X, list) or (isinstance(X, np.ndarray) and X.dtype == object):
        return len(X) > 0 and all(isinstance(x, np.ndarray) and backing_file(x) is not None for x in X)
    return backing_file(X) is not None


def write_rows(arrays):
    """Write ``arrays`` (an iterable, consumed one at a time; a shared dtype and shape but for the
    first axis) one after another into an unlinked temporary file in :func:`folder`. Returns
    ``(rows, lengths)``: all their rows as one array mapped from the file (copy-on-write: writing
    to it changes only this process's pages) and each array's number of rows. A plain array for
    pickling (joblib's workers get a copy), freed with its last view."""
    lengths, dtype, tail = [], None, None
    with tempfile.TemporaryFile(prefix="sklearn-ser-", dir=folder()) as f:
        for a in arrays:
            a = np.ascontiguousarray(a)
            if dtype is None:
                dtype, tail = a.dtype, a.shape[1:]
            elif a.dtype != dtype or a.shape[1:] != tail:
                raise ValueError(f"arrays of dtype {a.dtype} and shape (n, *{a.shape[1:]}) cannot be stacked "
                                 f"with ones of dtype {dtype} and shape (n, *{tail})")
            f.write(a.data)
            lengths.append(len(a))
        shape = (sum(lengths), *(tail or ()))
        if not f.tell():  # nothing to map (no rows, or rows of no bytes)
            return np.zeros(shape, dtype=dtype or np.float32), lengths
        f.flush()
        # the map holds its own descriptor of the file: closing ours leaves it readable
        flat = np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY), dtype=dtype)
    # the flat array is every view's base (numpy's views point at the array over the buffer)
    _FILES[id(flat)] = flat
    return flat.reshape(shape), lengths


def ragged(arrays):
    """A 1-D object array holding one array per utterance (never a 2-D stack, even if equal-shaped)."""
    arrays = list(arrays)
    out = np.empty(len(arrays), dtype=object)
    out[:] = arrays
    return out


def ragged_on_disk(arrays):
    """A :func:`ragged` array of views of ``arrays`` written to disk (:func:`write_rows`)."""
    rows, lengths = write_rows(arrays)
    bounds = np.cumsum([0, *lengths])
    return ragged([rows[begin:end] for begin, end in zip(bounds[:-1], bounds[1:])])


def dense_on_disk(arrays):
    """``np.stack(arrays)`` in a memory-mapped file: each array is one utterance's row."""
    return write_rows(np.asarray(a)[np.newaxis] for a in arrays)[0]


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
    return write_rows(X[rows] for rows in blocks(idx, X[0].size))[0]


def blocks(X, row_size=None):
    """Slices of a dense X's rows of about :data:`_BLOCK_VALUES` values each (rows of
    ``row_size`` values: of X's own by default)."""
    step = max(1, _BLOCK_VALUES // max(1, X[0].size if row_size is None else row_size))
    return (X[i:i + step] for i in range(0, len(X), step))


def _address(a):
    return a.__array_interface__["data"][0]


def contiguous_view(X):
    """The rows of all X's arrays as one array, viewing the file they lie in when they lie one
    after another in one file of this module (as :func:`ragged_on_disk` writes them, or any
    in-order subset of consecutive ones, of any shape per row); None otherwise."""
    if not len(X):
        return None
    root = backing_file(X[0])
    if root is None:
        return None
    tail, dtype = X[0].shape[1:], X[0].dtype
    if root.dtype != dtype or not root.flags.c_contiguous:
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
    first = (start - _address(root)) // dtype.itemsize
    return root.reshape(-1)[first:first + (end - start) // dtype.itemsize].reshape(-1, *tail)
