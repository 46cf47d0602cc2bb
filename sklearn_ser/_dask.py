"""Runs on a Dask cluster: every ``joblib.Parallel`` of the library (utterances for features, folds
and grid points for models) goes to the cluster's workers, unchanged (DESIGN §4)."""
from __future__ import annotations

import contextlib

#: how long a run waits for the scheduler before it says it cannot reach it
CONNECT_TIMEOUT_S = 10


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
        yield
