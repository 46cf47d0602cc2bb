"""Systems under the same speaker-independent folds on a corpus: per-fold UA/WA, mean ± std,
pooled UA, a paired Wilcoxon test of each system against a reference, and timings: training time,
time per epoch, inference time per utterance, peak memory, and for networks the speed figures of
netspeed.py (FLOPs per sample, achieved GFLOP/s beside a matmul ceiling measured in this run).

Run: python benchmarks/accuracy.py --systems baseline kim-3d-cnn-dnn-elm [--corpus emodb]
     [--data ../shared/data/emodb] [--cv loso] [--reference baseline] [--n-jobs 1]
     [--threads N] [--set key=value ...] [--add-corpus tess [--add-data DIR]] [--out benchmarks/results]

``--cv loso:03,08,14`` runs only the folds testing those speakers (a reduced protocol); ``--set``
overrides recipe parameters (values read as JSON when they parse, e.g. ``segment_hop_s=1.0``).
Each system's run is a new file ``<out>/<corpus>/<system>--<hash>.json`` (``_results.py``: the
hash covers every recipe setting and the cv; a rerun with the same ones gets ``-2``), holding the
figures, every recipe setting the run used, the command that reproduces it, the date, the commit
and the machine. Stored runs are never replaced, so any number of runs may go side by side, e.g.
two systems with ``--threads 1`` each on a 2-core machine. ``python benchmarks/report.py`` turns
the stored runs into docs/results.md.

The reference (default: the first system) is this invocation's run of it, or else the stored runs
of it at its current settings with the same ``--cv`` (their per-speaker mean over seeds).

``--add-corpus tess`` trains every fold on that corpus too (read from ``--add-data`` or
../shared/data/<name>; ``evaluate(..., extra_train=...)``): its labels outside the main corpus's
classes are dropped, its speakers prefixed, and the test folds stay the main corpus's. The run
stores ``add_corpus`` among its settings (so it is a configuration of its own, apart from the runs
without it, in the hash and in report.py's tables) and what was added under ``extra_train``.

Beside the batch figures (each test speaker's utterances predicted in one call, as ``evaluate``
does), a run stores ``alone``: UA, WA, per-fold UA/WA and per-class recall when each test
utterance is predicted in a call of its own by the same fitted fold model (no second fit), the
case of an application that receives one file; a per-speaker-normalised system then falls back
to its training population's statistics. ``per_class_recall`` holds the batch recall of each
class. The fold models are kept until the alone predictions are made, so the peak memory of a
run includes them; ``timings.alone_seconds`` is what the alone predictions cost.
"""
import argparse
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from sklearn_ser.datasets import load_corpus, make_synthetic_corpus
from sklearn_ser.model_selection import compare_systems, evaluate
from sklearn_ser.recipes import get_system, parse_settings, system_settings

from _modes import alone_predictions, mode_scores, per_class_recall
from _results import RESULTS, command, jsonable, provenance, write_run
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


def add_corpus_arguments(parser):
    """The options of a run whose folds also train on another corpus."""
    parser.add_argument("--add-corpus", metavar="NAME",
                        help="also train every fold on this corpus (tess, ...); test folds stay --corpus's")
    parser.add_argument("--add-data", type=Path, metavar="DIR",
                        help="the added corpus's folder (default: ../shared/data/<NAME>)")


def added_corpus(args):
    """``{name: utterances}`` of ``--add-corpus`` (None without it), read from ``--add-data`` or
    ../shared/data/<name>; refused when it is the corpus under test."""
    if not args.add_corpus:
        if args.add_data:
            raise SystemExit("--add-data is the folder of --add-corpus, which is not given")
        return None
    folder = added_data_folder(args)
    if args.add_corpus == args.corpus or (data_folder(args) and folder.resolve() == data_folder(args).resolve()):
        raise SystemExit(f"--add-corpus {args.add_corpus} is the corpus under test: its test speakers would train")
    return {args.add_corpus: load_corpus(args.add_corpus, folder)}


def added_data_folder(args):
    return args.add_data or HERE.parents[1] / "shared" / "data" / args.add_corpus


def with_added_corpus(settings, name):
    """A run's settings with the corpus its folds also trained on: part of what it measured (its
    hash, and report.py's configuration), absent when none was added, as in the runs before."""
    return settings if not name else {**settings, "add_corpus": name}


def add_results_arguments(parser):
    """The option of a run that stores its results: the results root."""
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="results root; each run is a new file <out>/<corpus>/... (default: benchmarks/results)")


def data_folder(args):
    """The corpus folder ``start_run`` reads (None for the synthetic corpus)."""
    if args.corpus == "synthetic":
        return None
    return args.data or HERE.parents[1] / "shared" / "data" / args.corpus


def start_run(args):
    """Apply ``--threads`` and load ``--corpus`` (from ``--data`` or ../shared/data/<corpus>)."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.corpus == "synthetic":
        return make_synthetic_corpus(random_state=0)
    return load_corpus(args.corpus, data_folder(args))


def run_record(args, cv, overrides, corpus):
    """What every stored run of this invocation records beside its figures: the overrides as given,
    the cv, the data folder by name only, the corpus size, date, commit and machine."""
    folder = data_folder(args)
    return dict(overrides=overrides, settings_recorded=True, cv=cv, data=folder.name if folder else None,
                n_utterances=len(corpus), **provenance(args.threads))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    parser.add_argument("--cv", default="loso")
    parser.add_argument("--reference", help="system the others are tested against (default: the first)")
    parser.add_argument("--n-jobs", type=int, default=1, help="folds in parallel")
    add_run_arguments(parser)
    add_corpus_arguments(parser)
    add_results_arguments(parser)
    args = parser.parse_args()
    overrides = parse_settings(args.set)
    settings = {system: with_added_corpus(run_settings(system, overrides), args.add_corpus)
                for system in args.systems}  # refuses a bad --set now
    corpus = start_run(args)
    extra = added_corpus(args)
    ceiling = matmul_ceiling()
    runs = {}
    for system in args.systems:
        tracemalloc.start()
        start = time.perf_counter()
        report = evaluate(get_system(system, **overrides), corpus, corpus["label"], cv=args.cv,
                          n_jobs=args.n_jobs, return_estimators=True, extra_train=extra)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        start = time.perf_counter()
        alone = alone_figures(report, corpus, corpus["label"].to_numpy())
        alone_seconds = time.perf_counter() - start
        report.estimators = None  # the fold models are no longer needed
        folds = report.per_fold
        run = dict(
            run_record(args, args.cv, overrides, corpus),
            command=command("accuracy.py", system, corpus=args.corpus, cv=args.cv, overrides=overrides,
                            extra=["--add-corpus", args.add_corpus] if args.add_corpus else []),
            ua=report.ua, wa=report.wa, fold_ua=folds["ua"].tolist(), fold_wa=folds["wa"].tolist(),
            fold_speakers=folds["test_speakers"].tolist(),
            per_class_recall=batch_per_class_recall(report), alone=alone,
            timings=dict(
                seconds=seconds, peak_mb_python=peak, alone_seconds=alone_seconds,
                # whole process (torch's buffers included), highest so far in this run
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                fit_seconds=folds["fit_seconds"].tolist(), precompute_seconds=report.info.get("precompute_seconds"),
                predict_ms_per_utterance=float(1e3 * folds["predict_seconds"].sum() / folds["n_test"].sum()),
            ),
        )
        if extra is not None:  # what the folds trained on besides the main corpus: utterances, dropped labels
            run["extra_train"] = dict(report.info["extra_train"], data=added_data_folder(args).name)
        if "fusion_weights" in folds:
            run["fold_fusion_weights"] = folds["fusion_weights"].tolist()
        failure = None
        if "epochs" in folds:
            run["epochs"] = folds["epochs"].tolist()
            run["timings"]["epoch_seconds"] = float(np.average(folds["epoch_seconds"], weights=folds["epochs"]))
            try:
                speed = measure(system, n_classes=corpus["label"].nunique(), **overrides)
                ceiling = max(ceiling, matmul_ceiling())  # best of the run: the machine is shared
                run["speed"] = dict(speed, matmul_ceiling_gflops=ceiling,
                                    share_of_ceiling=speed["train_gflops"] / ceiling)
            except Exception as exc:  # the folds are stored all the same
                failure = exc
        path = write_run("accuracy", args.corpus, system, settings[system], run, root=args.out)
        runs[system] = run
        print(f"{system}: pooled UA {report.ua:.3f}, WA {report.wa:.3f} ({seconds:.0f} s); each utterance alone: "
              f"UA {alone['ua']:.3f} ({alone_seconds:.0f} s) -> {path}", flush=True)
        if failure is not None:
            raise failure
        if "speed" in run:
            sp = run["speed"]
            print(f"  {sp['train_gflop']:.3f} GFLOP per training sample, {sp['train_samples_per_second']:.0f} "
                  f"samples/s = {sp['train_gflops']:.0f} GFLOP/s ({sp['share_of_ceiling']:.0%} of the "
                  f"{ceiling:.0f} GFLOP/s matmul ceiling); {run['timings']['epoch_seconds']:.1f} s/epoch; "
                  f"infer one utterance {sp['infer_ms']:.1f} ms", flush=True)
            if "encoder" in sp:
                enc = sp["encoder"]
                print(f"  its {enc['kind']}: {enc['train_gflop'] * 1e3:.3g} MFLOP per training segment, "
                      f"{enc['train_samples_per_second']:.0f} segments/s = {enc['train_gflops']:.0f} GFLOP/s "
                      f"({enc['train_gflops'] / ceiling:.0%} of the ceiling)", flush=True)
    print_comparison(runs, args.reference or args.systems[0], args.corpus, args.cv, args.out)


def alone_figures(report, X, y):
    """UA, WA, per-fold UA/WA and per-class recall of the test utterances of ``report`` (evaluated
    with ``return_estimators=True`` on X, y) each predicted alone by its fold's fitted model."""
    pred = alone_predictions(report, X)
    tested = np.concatenate(report.test_indices)
    return dict(mode_scores(y, pred, report.test_indices), per_class_recall=per_class_recall(y[tested], pred[tested]))


def batch_per_class_recall(report):
    """{class: recall} of the pooled batch predictions of an evaluate() report."""
    return {str(label): float(r) for label, r in report.per_class["recall"].items()}


def print_comparison(runs, reference, corpus, cv, root):
    """This invocation's runs beside each other and a paired test of each against ``reference``."""
    from report import reference_folds

    if reference in runs:
        ref, where = dict(zip(runs[reference]["fold_speakers"], runs[reference]["fold_ua"])), "this run"
    else:
        ref, where = reference_folds(reference, corpus, cv, root)
    header = (f"{'system':22s} {'pooled UA':>9s} {'WA':>6s} {'alone UA':>8s} {'fold UA mean ± std':>19s} {'time':>7s}"
              f"  vs {reference} ({where})")
    print("\n" + header + "\n" + "-" * len(header))
    for system, r in runs.items():
        fold = np.array(r["fold_ua"])
        spread = f"{fold.std(ddof=1):.3f}" if len(fold) > 1 else "  -  "  # one fold: no spread
        line = (f"{system:22s} {r['ua']:9.3f} {r['wa']:6.3f} {r['alone']['ua']:8.3f} {fold.mean():10.3f} ± {spread} "
                f"{r['timings']['seconds']:6.0f}s")
        if system != reference and ref:
            own = dict(zip(r["fold_speakers"], r["fold_ua"]))
            if set(own) != set(ref):
                line += "  not paired: other test speakers"
            elif len(own) < 2:
                line += "  one fold: no test"
            else:
                speakers = sorted(own)
                test = compare_systems([own[s] for s in speakers], [ref[s] for s in speakers],
                                       names=(system, reference))
                line += f"  p={test.pvalue:.3f} on {len(speakers)} folds: {test.verdict}"
        print(line)


def run_settings(system, overrides):
    """Every recipe setting of ``system`` under ``overrides``, as JSON stores it (tuples as lists)."""
    return jsonable(system_settings(system, **overrides))


if __name__ == "__main__":
    main()
