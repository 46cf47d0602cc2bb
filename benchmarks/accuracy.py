"""Systems under the same speaker-independent folds on a corpus: per-fold UA/WA, mean ± std,
pooled UA, a paired Wilcoxon test of each system against a reference, and timings: training time,
time per epoch, inference time per utterance, peak memory, and for networks the speed figures of
netspeed.py (FLOPs per sample, achieved GFLOP/s beside a matmul ceiling measured in this run).

Run: python benchmarks/accuracy.py --systems baseline kim-3d-cnn-dnn-elm [--corpus emodb]
     [--data ../shared/data/emodb] [--cv loso] [--reference baseline] [--n-jobs 1]
     [--out benchmarks/results/accuracy-emodb.json] [--threads N] [--set key=value ...]

``--cv loso:03,08,14`` runs only the folds testing those speakers (a reduced protocol); ``--set``
overrides recipe parameters (values read as JSON when they parse, e.g. ``segment_hop_s=1.0``), and
the results are stored under ``name[key=value,...]`` with every recipe setting the run used
(``settings``, defaults included). A run refuses, before any work, to replace a stored result whose
settings differ from its own or were never recorded (a default may have changed since): choose other
``--set`` values, or pass ``--overwrite``.

Two runs may share one results file (each rereads it before writing its own systems), e.g. two
systems side by side with ``--threads 1`` each on a 2-core machine.
"""
import argparse
import json
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from sklearn_ser.datasets import load_corpus, make_synthetic_corpus
from sklearn_ser.model_selection import compare_systems, evaluate
from sklearn_ser.recipes import get_system, parse_settings, system_settings

from netspeed import matmul_ceiling, measure

HERE = Path(__file__).resolve().parent


def add_run_arguments(parser):
    """The options every benchmark run shares: corpus, data folder, torch threads, recipe settings."""
    parser.add_argument("--corpus", default="emodb", help="emodb, tess or synthetic")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, one per core)")
    # "extend": a repeated --set adds to the earlier ones instead of silently replacing them
    parser.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                        help="recipe parameters")


def add_results_arguments(parser):
    """The options of a run that stores its results: the file, and whether it may replace results
    stored with other settings."""
    parser.add_argument("--out", type=Path, help="results JSON (default: results/accuracy-<corpus>.json)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace stored results whose recorded settings differ from this run's")


def start_run(args):
    """Apply ``--threads`` and load ``--corpus`` (from ``--data`` or ../shared/data/<corpus>)."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.corpus == "synthetic":
        return make_synthetic_corpus(random_state=0)
    return load_corpus(args.corpus, args.data or HERE.parents[1] / "shared" / "data" / args.corpus)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    parser.add_argument("--cv", default="loso")
    parser.add_argument("--reference", help="system the others are tested against (default: the first)")
    parser.add_argument("--n-jobs", type=int, default=1, help="folds in parallel")
    add_run_arguments(parser)
    add_results_arguments(parser)
    args = parser.parse_args()
    out = results_path(args)
    results = load_results(out)
    overrides = parse_settings(args.set)
    run_names = [system + (f"[{','.join(args.set)}]" if args.set else "") for system in args.systems]
    settings = {name: run_settings(system, overrides) for name, system in zip(run_names, args.systems)}
    for name in run_names:  # all of them before any heavy work
        check_replaceable(results, name, settings[name], args.overwrite)
    corpus = start_run(args)
    ceiling = matmul_ceiling()
    for system, name in zip(args.systems, run_names):
        tracemalloc.start()
        start = time.perf_counter()
        report = evaluate(get_system(system, **overrides), corpus, corpus["label"], cv=args.cv,
                          n_jobs=args.n_jobs)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        folds = report.per_fold
        results[name] = dict(
            ua=report.ua, wa=report.wa, fold_ua=folds["ua"].tolist(), fold_wa=folds["wa"].tolist(),
            fold_speakers=folds["test_speakers"].tolist(),
            seconds=seconds, peak_mb_python=peak,
            # whole process (torch's buffers included), highest so far in this run
            peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, fit_seconds=folds["fit_seconds"].tolist(),
            precompute_seconds=report.info.get("precompute_seconds"),
            predict_ms_per_utterance=float(1e3 * folds["predict_seconds"].sum() / folds["n_test"].sum()),
            cv=args.cv, n_utterances=len(corpus), system=system, settings=settings[name],
        )
        if "fusion_weights" in folds:
            results[name]["fold_fusion_weights"] = folds["fusion_weights"].tolist()
        results = _save(out, results, name)  # before the speed figures: a failure there keeps the folds
        if "epochs" in folds:
            results[name].update(epochs=folds["epochs"].tolist(),
                                 epoch_seconds=float(np.average(folds["epoch_seconds"], weights=folds["epochs"])))
            speed = measure(system, n_classes=corpus["label"].nunique(), **overrides)
            ceiling = max(ceiling, matmul_ceiling())  # best of the run: the machine is shared
            results[name]["speed"] = dict(speed, matmul_ceiling_gflops=ceiling,
                                          share_of_ceiling=speed["train_gflops"] / ceiling)
        results = _save(out, results, name)  # after every system: a long run keeps its parts
        print(f"{name}: pooled UA {report.ua:.3f}, WA {report.wa:.3f} ({seconds:.0f} s)", flush=True)
        if "speed" in results[name]:
            sp = results[name]["speed"]
            print(f"  {sp['train_gflop']:.3f} GFLOP per training sample, {sp['train_samples_per_second']:.0f} "
                  f"samples/s = {sp['train_gflops']:.0f} GFLOP/s ({sp['share_of_ceiling']:.0%} of the "
                  f"{ceiling:.0f} GFLOP/s matmul ceiling); {results[name]['epoch_seconds']:.1f} s/epoch; "
                  f"infer one utterance {sp['infer_ms']:.1f} ms", flush=True)

    reference = args.reference or args.systems[0]
    header = f"{'system':22s} {'pooled UA':>9s} {'WA':>6s} {'fold UA mean ± std':>19s} {'time':>7s}  vs {reference}"
    print("\n" + header + "\n" + "-" * len(header))
    for name, r in results.items():
        fold = np.array(r["fold_ua"])
        spread = f"{fold.std(ddof=1):.3f}" if len(fold) > 1 else "  -  "  # one fold: no spread
        line = f"{name:22s} {r['ua']:9.3f} {r['wa']:6.3f} {fold.mean():10.3f} ± {spread} {r['seconds']:6.0f}s"
        paired = _paired_folds(r, results.get(reference)) if name != reference else None
        if paired is not None:
            test = compare_systems(*paired, names=(name, reference))
            r["vs_reference"] = dict(reference=reference, n_folds=len(paired[0]), **test.to_dict())
            line += f"  p={test.pvalue:.3f} on {len(paired[0])} folds: {test.verdict}"
        print(line)
    # store the test only for this run's systems: the others keep the reference they were run with
    for name in run_names:
        if "vs_reference" in results[name]:
            _save(out, results, name)
    print(f"\nwrote {out}")


def _paired_folds(result, reference, min_folds=5):
    """Fold UAs of ``result`` and ``reference`` on the test speakers both have (folds in order when
    an older result has no speakers); None below ``min_folds`` pairs."""
    if reference is None:
        return None
    if "fold_speakers" in result and "fold_speakers" in reference:
        ref = dict(zip(reference["fold_speakers"], reference["fold_ua"]))
        pairs = [(ua, ref[s]) for s, ua in zip(result["fold_speakers"], result["fold_ua"]) if s in ref]
    elif len(result["fold_ua"]) == len(reference["fold_ua"]):
        pairs = list(zip(result["fold_ua"], reference["fold_ua"]))
    else:
        return None
    return tuple(map(list, zip(*pairs))) if len(pairs) >= min_folds else None


def run_settings(system, overrides):
    """Every recipe setting of ``system`` under ``overrides``, as JSON stores it (tuples as lists)."""
    return json.loads(json.dumps(system_settings(system, **overrides), default=repr))


def check_replaceable(results, name, settings, overwrite=False):
    """Refuse to replace ``results[name]`` unless it was run with ``settings``: a result stored
    before a recipe default changed keeps its key, and a rerun under that key measures something else."""
    if name not in results or overwrite:
        return
    stored = results[name].get("settings")
    if stored is None:
        why = "records no settings (it predates their recording; a default may have changed since)"
    elif stored != settings:
        changed = sorted(k for k in stored.keys() | settings.keys() if stored.get(k) != settings.get(k))
        why = "was run with other settings: " + ", ".join(
            f"{k} {stored.get(k)!r} then, {settings.get(k)!r} now" for k in changed)
    else:
        return
    raise SystemExit(f"the stored result {name!r} {why}. Name the differing settings with --set "
                     "to store this run beside it, or pass --overwrite to replace it.")


def results_path(args):
    return args.out or HERE / "results" / f"accuracy-{args.corpus}.json"


def load_results(out):
    """The results stored in ``out`` (none if it does not exist yet)."""
    return json.loads(out.read_text()) if out.exists() else {}


def _save(out, results, name):
    """Write ``results[name]`` into ``out`` over whatever is there now (another run may have added
    systems since this one started) and return the merged results."""
    merged = load_results(out)
    merged[name] = results[name]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=2))
    tmp.replace(out)  # atomic: a reader never sees half a file
    return merged


if __name__ == "__main__":
    main()
