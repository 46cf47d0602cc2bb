"""Runs on a Dask cluster: every ``joblib.Parallel`` of the library (utterances for features, folds
and grid points for models) goes to the cluster's workers, unchanged (DESIGN §4)."""
from __future__ import annotations

import contextlib
import os
import warnings

#: how long a run waits for the scheduler before it says it cannot reach it
CONNECT_TIMEOUT_S = 10


#: set by Dask's nannies in every worker's environment by default (to give memory back to the OS
#: sooner); it makes glibc serve every large allocation with a fresh mmap, and feature extraction,
#: which allocates many short-lived arrays, about twice as slow
TRIM_VARIABLE = "MALLOC_TRIM_THRESHOLD_"
#: the Dask setting that keeps it out of the workers a nanny starts
UNSET_TRIM = {f"distributed.nanny.pre-spawn-environ.{TRIM_VARIABLE}": None}


def trim_threshold_at_start():
    """This process's :data:`TRIM_VARIABLE` as glibc read it when the process started (Linux:
    ``/proc/self/environ``; a Dask worker may drop it from ``os.environ`` afterwards), or None."""
    try:
        with open("/proc/self/environ", "rb") as f:
            start = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
    except OSError:  # not Linux: what Python sees
        return os.environ.get(TRIM_VARIABLE)
    value = start.get(TRIM_VARIABLE.encode())
    return None if value is None else value.decode()


def warn_if_trimming(client, stacklevel=2):
    """Warn when the cluster's workers run with :data:`TRIM_VARIABLE` set (Dask's default)."""
    values = client.run(trim_threshold_at_start)
    trimming = sorted(worker for worker, value in values.items() if value is not None)
    if trimming:
        warnings.warn(f"{len(trimming)} of the cluster's {len(values)} worker(s) run with {TRIM_VARIABLE} set "
                      "(Dask's default), which makes feature extraction about twice as slow; start the workers "
                      f"with the Dask setting {next(iter(UNSET_TRIM))}: null (docs/scaling.md)",
                      UserWarning, stacklevel=stacklevel)


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used: the extra is not installed, or it does not answer."""


@contextlib.contextmanager
def dask_backend(scheduler):
    """Inside, joblib's parallel calls run on the Dask cluster of ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``); None leaves joblib's default backend. In Python, a caller with a
    ``distributed.Client`` of its own uses ``joblib.parallel_config(backend="dask")`` directly."""
    if scheduler is None:
        yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError("a Dask scheduler needs the dask extra: pip install 'sklearn-ser[dask]'") from None
    from joblib import parallel_config

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, ValueError, TypeError) as exc:  # none answers (OSError, TimeoutError) or a malformed address
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    with client, parallel_config(backend="dask", client=client):
        warn_if_trimming(client, stacklevel=4)  # the caller's `with`, past contextlib
        yield
