"""Dimensional tasks as Latif et al.'s Table 2: each of arousal, power (dominance) and valence binned
low (< 3) / mid (= 3) / high (> 3) and classified by its own model of each system under the same
speaker-independent folds; macro F1 per dimension and their mean, with paired Wilcoxon tests.

Run: python benchmarks/dimensional.py --systems baseline latif-ae-lstm latif-vae-lstm latif-cvae-lstm
     [--corpus emodb] [--cv loso] [--reference baseline] [--n-jobs 2] [--threads 1] [--set key=value ...]

A corpus with ratings (IEMOCAP, ``--data``) is binned from them; EmoDB and TESS carry none, so their
targets come from ``sklearn_ser.datasets.CATEGORY_RATINGS_PROXY`` (a coarsening of the categories,
not ratings: every stored run and printed table says "proxy"). Each system's run is a new file
``<out>/<corpus>/dimensional--<system>--<hash>.json``.
"""
import argparse
import time

import numpy as np

from sklearn_ser.datasets import DIMENSIONS, low_mid_high, ratings_of
from sklearn_ser.model_selection import compare_systems, evaluate
from sklearn_ser.recipes import get_system, parse_settings

from _results import command, write_run
from accuracy import add_results_arguments, add_run_arguments, run_record, run_settings, start_run

#: the paper's order and letters (Table 2: A, P, V)
ORDER = (("arousal", "A"), ("dominance", "P"), ("valence", "V"))


def fold_mean_f1(run):
    """Per test speaker, the mean over the dimensions of the fold's macro F1."""
    by_speaker = {}
    for d, _ in ORDER:
        for speaker, f1 in zip(run["dimensions"][d]["fold_speakers"], run["dimensions"][d]["fold_f1"]):
            by_speaker.setdefault(speaker, []).append(f1)
    return {s: float(np.mean(v)) for s, v in by_speaker.items()}


def paired_test(run, other, names):
    own, ref = fold_mean_f1(run), fold_mean_f1(other)
    speakers = sorted(own)
    if set(own) != set(ref) or len(speakers) < 2:
        return None
    return compare_systems([own[s] for s in speakers], [ref[s] for s in speakers], names=names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    parser.add_argument("--cv", default="loso")
    parser.add_argument("--reference", help="system the others are tested against (default: the first)")
    parser.add_argument("--n-jobs", type=int, default=1, help="folds in parallel")
    add_run_arguments(parser)
    add_results_arguments(parser)
    args = parser.parse_args()
    overrides = parse_settings(args.set)
    settings = {system: run_settings(system, overrides) for system in args.systems}
    corpus = start_run(args)
    proxy = ratings_of(corpus, proxy=True).attrs["proxy"]
    source = "proxy" if proxy else "ratings"
    runs = {}
    for system in args.systems:
        start = time.perf_counter()
        dims = {}
        for dimension in DIMENSIONS:
            y = low_mid_high(corpus, dimension, proxy=True)
            report = evaluate(get_system(system, **overrides), corpus, y, cv=args.cv, n_jobs=args.n_jobs)
            folds = report.per_fold
            dims[dimension] = dict(
                f1=report.f1, ua=report.ua, wa=report.wa, fold_f1=folds["f1"].tolist(),
                fold_ua=folds["ua"].tolist(), fold_speakers=folds["test_speakers"].tolist(),
                classes={str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True))},
                per_class_f1={str(k): float(v) for k, v in report.per_class["f1"].items()},
            )
            print(f"{system} {dimension} ({source}): macro F1 {report.f1:.3f}, UA {report.ua:.3f}", flush=True)
        run = dict(
            run_record(args, args.cv, overrides, corpus),
            command=command("dimensional.py", system, corpus=args.corpus, cv=args.cv, overrides=overrides),
            targets=source, dimensions=dims, mean_f1=float(np.mean([d["f1"] for d in dims.values()])),
            timings=dict(seconds=time.perf_counter() - start),
        )
        path = write_run("dimensional", args.corpus, system, settings[system], run, root=args.out)
        runs[system] = run
        print(f"{system}: mean macro F1 {run['mean_f1']:.3f} -> {path}", flush=True)
    print_table(runs, args.reference or args.systems[0], source)


def print_table(runs, reference, source):
    header = f"{'system':18s} " + " ".join(f"{letter:>6s}" for _, letter in ORDER) + f" {'Mean':>6s}  (macro F1, {source})"
    print("\n" + header + "\n" + "-" * len(header))
    for system, run in runs.items():
        line = f"{system:18s} " + " ".join(f"{run['dimensions'][d]['f1']:6.3f}" for d, _ in ORDER)
        line += f" {run['mean_f1']:6.3f}"
        if system != reference and reference in runs:
            test = paired_test(run, runs[reference], (system, reference))
            if test is not None:
                line += f"  vs {reference}: p={test.pvalue:.3f} ({test.verdict})"
        print(line)
    names = [s for s in runs if s.startswith("latif-")]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            test = paired_test(runs[a], runs[b], (a, b))
            if test is not None:
                print(f"{a} vs {b}: fold mean F1 {test.mean_difference:+.3f}, p={test.pvalue:.3f} ({test.verdict})")


if __name__ == "__main__":
    main()
