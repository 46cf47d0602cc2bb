"""Fan-out over utterances through joblib (DESIGN §4: no fixed backend, no private pool)."""
from __future__ import annotations

import contextlib
import os

import joblib
from joblib import Parallel, delayed
from sklearn.utils.validation import check_memory
from threadpoolctl import ThreadpoolController
from tqdm.auto import tqdm

from .audio import _is_path, decode
from .exceptions import InvalidUtteranceError

_THREADPOOLS = ThreadpoolController()


def _call(func, source, extra, utterance_id, sr, parent_pid, cached=None, key=None):
    try:
        # in-process backends: limited once around the whole map
        with contextlib.nullcontext() if os.getpid() == parent_pid else _THREADPOOLS.limit(limits=1):
            if cached is None:
                return _apply(func, source, extra, utterance_id, sr)
            # the cache's own hash covers key, source_key and extra only
            return cached(key, source_key(source), extra, func=func, source=source, utterance_id=utterance_id, sr=sr)
    except InvalidUtteranceError:
        raise
    except Exception as exc:  # name the utterance whatever went wrong inside the feature code
        raise InvalidUtteranceError(utterance_id, f"{type(exc).__name__}: {exc}") from exc


def _extract(key, source_key, extra, *, func, source, utterance_id, sr):
    """What joblib.Memory caches: one utterance's output, hashed by ``key`` (what computes it),
    ``source_key`` (what it is computed from) and ``extra``."""
    return _apply(func, source, extra, utterance_id, sr)


def source_key(source):
    """What identifies an utterance's audio in the cache: a file's absolute path, size and
    modification time (a rewritten file is computed again), or a waveform's content hash."""
    if _is_path(source):
        stat = os.stat(source)
        return (os.path.abspath(source), stat.st_size, stat.st_mtime_ns)
    return ("waveform", joblib.hash(source))


def _apply(func, source, extra, utterance_id, sr):
    item = source if sr is None else decode(source, utterance_id, sr)
    # extra is a 1-tuple when the caller gave extras (a sentinel would not survive pickling)
    return func(item) if extra is None else func((item, extra[0]))


def map_utterances(func, items, ids, n_jobs=None, progress=False, desc=None, sr=None, extras=None,
                   memory=None, key=None, collect=list):
    """``[func(item) for item in items]`` in parallel, in order, with an optional progress bar.

    With ``sr``, ``items`` are utterance sources (:func:`~sklearn_ser.audio.checked_sources`): a
    file is decoded at ``sr`` inside the task that uses it, so only its path travels to a worker
    (a Dask worker lost mid-run loses nothing the scheduler cannot resend). With ``extras`` (one per
    item), ``func`` receives ``(waveform, extra)``. An exception is re-raised as
    :class:`InvalidUtteranceError` naming the utterance.

    With ``memory`` (a folder or a :class:`joblib.Memory`) and ``key`` (what ``func`` computes,
    e.g. a transformer's class and parameters), each utterance's output is cached on disk under
    ``key``, its :func:`source_key` and its extra, and read from there on a later call, in any
    process or machine that sees the folder: folds and grid points extract an utterance once.

    ``collect`` receives the outputs as an iterator, in order, as the workers return them (default:
    a list; :func:`~sklearn_ser._disk.ragged_on_disk` writes them to a file instead).
    """
    extras = [None] * len(items) if extras is None else [(extra,) for extra in extras]
    memory = check_memory(memory)
    cached = None if memory.location is None else memory.cache(
        _extract, ignore=["func", "source", "utterance_id", "sr"])
    # One BLAS thread per utterance: parallelism comes from joblib, and a fixed summation order
    # makes the output identical whatever n_jobs is.
    with _THREADPOOLS.limit(limits=1):
        jobs = (delayed(_call)(func, item, extra, uid, sr, os.getpid(), cached, key)
                for item, extra, uid in zip(items, extras, ids))
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        if progress:
            results = tqdm(results, total=len(items), desc=desc, unit="utt", leave=False)
        return collect(results)
