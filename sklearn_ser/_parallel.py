"""Fan-out over utterances through joblib (DESIGN §4: no fixed backend, no private pool)."""
from __future__ import annotations

import os

from joblib import Parallel, delayed
from threadpoolctl import ThreadpoolController
from tqdm.auto import tqdm

from .exceptions import InvalidUtteranceError

_THREADPOOLS = ThreadpoolController()


def _call(func, item, utterance_id, parent_pid):
    try:
        if os.getpid() == parent_pid:  # in-process backends: limited once around the whole map
            return func(item)
        with _THREADPOOLS.limit(limits=1):
            return func(item)
    except InvalidUtteranceError:
        raise
    except Exception as exc:  # name the utterance whatever went wrong inside the feature code
        raise InvalidUtteranceError(utterance_id, f"{type(exc).__name__}: {exc}") from exc


def map_utterances(func, items, ids, n_jobs=None, progress=False, desc=None):
    """``[func(item) for item in items]`` in parallel, in order, with an optional progress bar.

    An exception is re-raised as :class:`InvalidUtteranceError` naming the utterance.
    """
    # One BLAS thread per utterance: parallelism comes from joblib, and a fixed summation order
    # makes the output identical whatever n_jobs is.
    with _THREADPOOLS.limit(limits=1):
        jobs = (delayed(_call)(func, item, uid, os.getpid()) for item, uid in zip(items, ids))
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        if progress:
            results = tqdm(results, total=len(items), desc=desc, unit="utt", leave=False)
        return list(results)
