"""Time and peak memory of an evaluation against corpus size, on a Dask LocalCluster of 1 or 2 workers.

For each size, a synthetic corpus of that many utterances is written as WAV files (what travels to
a worker is a path). Each system is then evaluated on it (speaker k-fold), in a new process (so
that no run's memory includes what an earlier one left behind), on a fresh LocalCluster of
``--workers`` worker processes (one thread each), with a fresh feature cache (``memory=``: the
features are computed, not read, and each fold reads its own from the cache). The workers have
imported the library and compiled its numba kernels before the clock starts (once in a worker's
life, not once per run), and run without Dask's eager memory trimming (``UNSET_TRIM``, as
docs/scaling.md starts them). A sampler adds up the resident memory of that process (which runs
the cluster's scheduler and nannies) and of its workers every 50 ms: ``peak_rss_mb`` is the
highest sum, ``peak_process_mb`` the highest single process, and ``peak_process_anon_mb`` the
highest single process's anonymous memory (resident memory less the pages mapped from files:
with the cache, a fold's features lie in a memory-mapped file, whose pages the kernel drops and
reads back as it needs room, so they count in RSS while there is room but never need it).

Run: python benchmarks/scaling.py [--systems baseline dnn-elm] [--sizes 1000 5000 20000] [--workers 1 2]

Each run is a new file ``<out>/synthetic/scaling--<system>--<hash>.json`` (``_results.py``).
"""
import argparse
import multiprocessing
import tempfile
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import psutil
import soundfile as sf
from distributed import Client, LocalCluster
from joblib import parallel_config

from sklearn_ser._dask import UNSET_TRIM
from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.model_selection import evaluate
from sklearn_ser.recipes import get_system, system_settings

from _results import command, provenance, write_run

# the net is trained briefly: this measures how its cost grows, not what it learns
SETTINGS = {"dnn-elm": {"max_epochs": 2}}
CV = "kfold:5"
N_SPEAKERS = 20
UNIQUE_PER_SPEAKER_CLASS = 10


def write_corpus(folder, n, duration):
    """``n`` utterances of ``duration`` seconds as WAV files in ``folder``: the synthetic corpus's
    speakers and classes, each unique utterance written again at other gains until there are n
    (every file differs, and generating 20 000 utterances anew would take longer than the run)."""
    unique = make_synthetic_corpus(n_speakers=N_SPEAKERS, n_per_class=UNIQUE_PER_SPEAKER_CLASS,
                                   duration=(duration, duration), random_state=0).sample(frac=1, random_state=0)
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        row = unique.iloc[i % len(unique)]
        path = folder / f"u{i:05d}.wav"
        sf.write(path, (row["audio"] * rng.uniform(0.3, 1.0)).astype(np.float32), 16000, subtype="PCM_16")
        rows.append({"audio": str(path), "speaker": row["speaker"], "label": row["label"]})
    return pd.DataFrame(rows)


class PeakRSS(threading.Thread):
    """Samples the resident memory of this process and all its descendants until stopped."""

    def __init__(self, interval=0.05):
        super().__init__(daemon=True)
        self.interval, self.total, self.single, self.anon = interval, 0, 0, 0
        self._done = threading.Event()

    def run(self):
        me = psutil.Process()
        while not self._done.is_set():
            sizes, anon = [], []
            for process in [me, *me.children(recursive=True)]:
                try:
                    info = process.memory_info()
                except psutil.Error:  # it ended between listing and reading
                    continue
                sizes.append(info.rss)
                anon.append(info.rss - info.shared)  # shared: resident pages mapped from files
            self.total, self.single = max(self.total, sum(sizes)), max(self.single, max(sizes))
            self.anon = max(self.anon, max(anon))
            time.sleep(self.interval)

    def stop(self):
        self._done.set()
        self.join()


def warm_up():
    """What a worker does once in its life, not once per run: import the library, compile its
    numba kernels."""
    from sklearn_ser.features.lld import compile_numba_kernels
    from sklearn_ser.recipes import get_system  # noqa: F401 (torch, skorch, librosa, ...)

    compile_numba_kernels()


def measure(system, corpus, workers, cache):
    warnings.simplefilter("ignore")  # synthetic audio draws outlier and convergence warnings by the hundred
    dask.config.set(UNSET_TRIM)  # workers as docs/scaling.md starts them: without eager memory trimming
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0, env={"OMP_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
        client.run(warm_up)
        model = get_system(system, n_jobs=workers, **SETTINGS.get(system, {}))
        model.set_params(features__memory=str(cache))
        sampler = PeakRSS()
        sampler.start()
        start = time.perf_counter()
        with parallel_config(backend="dask", client=client):
            report = evaluate(model, corpus, corpus["label"], cv=CV, n_jobs=workers)
        seconds = time.perf_counter() - start
        sampler.stop()
    return dict(seconds=round(seconds, 1), extraction_seconds=report.info["precompute_seconds"],
                peak_rss_mb=round(sampler.total / 2**20), peak_process_mb=round(sampler.single / 2**20),
                peak_process_anon_mb=round(sampler.anon / 2**20),
                ua=round(report.ua, 3))


def measure_in_new_process(*args):
    """:func:`measure` in a process of its own: the memory a row reports is its run's, not also
    what the runs before it left in this process's heap."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, *args).result()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", default=["baseline", "dnn-elm"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 5000, 20000])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--duration", type=float, default=1.0, help="seconds per utterance")
    parser.add_argument("--corpus", choices=["synthetic"], default="synthetic",
                        help="the corpus generated here (the only one: its size is the variable)")
    parser.add_argument("--out", type=Path, help="results root (default: benchmarks/results)")
    args = parser.parse_args()
    rows = {system: [] for system in args.systems}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            folder = Path(tmp) / f"corpus-{n}"
            folder.mkdir()
            corpus = write_corpus(folder, n, args.duration)
            for system in args.systems:
                for workers in args.workers:
                    with tempfile.TemporaryDirectory(dir=tmp) as cache:
                        result = measure_in_new_process(system, corpus, workers, cache)
                    row = dict(utterances=n, workers=workers, **result)
                    rows[system].append(row)
                    print(f"{system:>9} {n:>6} utterances, {workers} worker(s): {row['seconds']:7.1f} s "
                          f"(features {row['extraction_seconds']:6.1f} s), peak RSS {row['peak_rss_mb']:6d} MB "
                          f"(largest process {row['peak_process_mb']} MB, anonymous {row['peak_process_anon_mb']} MB), "
                          f"UA {row['ua']:.3f}", flush=True)
    for system, measured in rows.items():
        overrides = SETTINGS.get(system, {})
        settings = {"system": system_settings(system, **overrides), "sizes": args.sizes,
                    "workers": args.workers, "duration_s": args.duration, "n_speakers": N_SPEAKERS}
        out = write_run("scaling", "synthetic", system, settings, dict(
            overrides=overrides, settings_recorded=True, cv=CV, rows=measured, process_per_row=True,
            command=command("scaling.py", system, corpus="synthetic", extra=[
                "--sizes", *map(str, args.sizes), "--workers", *map(str, args.workers),
                "--duration", f"{args.duration:g}"]),
            **provenance(threads=1),
        ), root=args.out)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
