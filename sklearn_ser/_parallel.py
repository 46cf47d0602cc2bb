"""Fan-out over utterances through joblib (DESIGN §4: no fixed backend, no private pool)."""
from __future__ import annotations

import os

from joblib import Parallel, delayed
from threadpoolctl import ThreadpoolController
from tqdm.auto import tqdm

from .audio import decode
from .exceptions import InvalidUtteranceError

_THREADPOOLS = ThreadpoolController()


def _call(func, source, extra, utterance_id, sr, parent_pid):
    try:
        if os.getpid() == parent_pid:  # in-process backends: limited once around the whole map
            return _apply(func, source, extra, utterance_id, sr)
        with _THREADPOOLS.limit(limits=1):
            return _apply(func, source, extra, utterance_id, sr)
    except InvalidUtteranceError:
        raise
    except Exception as exc:  # name the utterance whatever went wrong inside the feature code
        raise InvalidUtteranceError(utterance_id, f"{type(exc).__name__}: {exc}") from exc


def _apply(func, source, extra, utterance_id, sr):
    item = source if sr is None else decode(source, utterance_id, sr)
    # extra is a 1-tuple when the caller gave extras (a sentinel would not survive pickling)
    return func(item) if extra is None else func((item, extra[0]))


def map_utterances(func, items, ids, n_jobs=None, progress=False, desc=None, sr=None, extras=None):
    """``[func(item) for item in items]`` in parallel, in order, with an optional progress bar.

    With ``sr``, ``items`` are utterance sources (:func:`~sklearn_ser.audio.checked_sources`): a
    file is decoded at ``sr`` inside the task that uses it, so only its path travels to a worker
    (a Dask worker lost mid-run loses nothing the scheduler cannot resend). With ``extras`` (one per
    item), ``func`` receives ``(waveform, extra)``. An exception is re-raised as
    :class:`InvalidUtteranceError` naming the utterance.
    """
    extras = [None] * len(items) if extras is None else [(extra,) for extra in extras]
    # One BLAS thread per utterance: parallelism comes from joblib, and a fixed summation order
    # makes the output identical whatever n_jobs is.
    with _THREADPOOLS.limit(limits=1):
        jobs = (delayed(_call)(func, item, extra, uid, sr, os.getpid()) for item, extra, uid in zip(items, extras, ids))
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        if progress:
            results = tqdm(results, total=len(items), desc=desc, unit="utt", leave=False)
        return list(results)
