"""Dimensional tasks as Latif et al.'s Table 2: each of arousal, power (dominance) and valence binned
low (< 3) / mid (= 3) / high (> 3) and classified by its own model of each system under the same
speaker-independent folds; macro F1, UAR and WAR per dimension and the mean F1, with paired Wilcoxon tests between the systems.

Run: python benchmarks/dimensional.py --systems baseline latif-ae-lstm latif-vae-lstm latif-cvae-lstm
     [--corpus emodb] [--cv loso] [--n-jobs 2] [--threads 1] [--set key=value ...]
     [--dimensions arousal dominance valence] [--levels low-mid-high|five] [--joint]

Wieser et al.'s set-up: ``--dimensions valence arousal --levels five --joint`` bins each rating
into five levels and trains one model per system on both at once (a 2-D y: a head per target);
its figures are WAR and UAR per target, as the paper's Table 5. A system whose classifier takes no
2-D y (the baseline's SVM) gets a model per dimension all the same; the run records which
(``joint``).

A corpus with ratings (IEMOCAP, ``--data``) is binned from them; EmoDB and TESS carry none, so their
targets come from ``sklearn_ser.datasets.CATEGORY_RATINGS_PROXY`` (a coarsening of the categories,
not ratings: every stored run and printed table says "proxy"). Each system's run is a new file
``<out>/<corpus>/<kind>--<system>--<hash>.json``, the kind ``dimensional`` (low/mid/high, a model
per dimension), with ``-five`` for five levels and ``-joint`` for one model on all dimensions.
"""
import argparse
import time

import numpy as np

from sklearn_ser.datasets import DIMENSIONS, five_levels, low_mid_high, ratings_of
from sklearn_ser.model_selection import compare_systems, evaluate
from sklearn_ser.recipes import get_system, parse_settings

from _results import command, write_run
from accuracy import add_results_arguments, add_run_arguments, run_record, run_settings, start_run

#: the paper's order and letters (Table 2: A, P, V)
ORDER = (("arousal", "A"), ("dominance", "P"), ("valence", "V"))
LEVELS = {"low-mid-high": low_mid_high, "five": five_levels}


def fold_scores(run, dimension=None):
    """Per test speaker: the fold's UAR of ``dimension``, or without one the mean over the
    dimensions of the fold's macro F1."""
    if dimension is not None:
        d = run["dimensions"][dimension]
        return dict(zip(d["fold_speakers"], d["fold_ua"]))
    by_speaker = {}
    for d in run["dimensions"].values():
        for speaker, f1 in zip(d["fold_speakers"], d["fold_f1"]):
            by_speaker.setdefault(speaker, []).append(f1)
    return {s: float(np.mean(v)) for s, v in by_speaker.items()}


def paired_test(run, other, names, dimension=None):
    own, ref = fold_scores(run, dimension), fold_scores(other, dimension)
    speakers = sorted(own)
    if set(own) != set(ref) or len(speakers) < 2:
        return None
    return compare_systems([own[s] for s in speakers], [ref[s] for s in speakers], names=names)


def multi_output(model):
    """Whether the model's classifier takes a 2-D y (one column per target)."""
    from sklearn.utils import get_tags

    return bool(get_tags(model[-1] if hasattr(model, "steps") else model).target_tags.multi_output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    parser.add_argument("--cv", default="loso")
    parser.add_argument("--n-jobs", type=int, default=1, help="folds in parallel")
    parser.add_argument("--dimensions", nargs="+", default=list(DIMENSIONS), choices=DIMENSIONS)
    parser.add_argument("--levels", default="low-mid-high", choices=sorted(LEVELS))
    parser.add_argument("--joint", action="store_true", help="one multi-output model on all dimensions")
    add_run_arguments(parser)
    add_results_arguments(parser)
    args = parser.parse_args()
    overrides = parse_settings(args.set)
    settings = {system: run_settings(system, overrides) for system in args.systems}
    corpus = start_run(args)
    proxy = ratings_of(corpus, proxy=True).attrs["proxy"]
    source = "proxy" if proxy else "ratings"
    kind = "dimensional" + ("-five" if args.levels == "five" else "") + ("-joint" if args.joint else "")
    targets = {d: LEVELS[args.levels](corpus, d, proxy=True) for d in args.dimensions}
    runs = {}
    for system in args.systems:
        start = time.perf_counter()
        joint = args.joint and multi_output(get_system(system, **overrides))
        if joint:  # one fit per fold for all the dimensions: a report per column of Y
            reports = evaluate(get_system(system, **overrides), corpus, np.stack(list(targets.values()), axis=1),
                               cv=args.cv, n_jobs=args.n_jobs)
        else:
            reports = [evaluate(get_system(system, **overrides), corpus, y, cv=args.cv, n_jobs=args.n_jobs)
                       for y in targets.values()]
        dims = {}
        for (dimension, y), report in zip(targets.items(), reports):
            folds = report.per_fold
            dims[dimension] = dict(
                f1=report.f1, ua=report.ua, wa=report.wa, fold_f1=folds["f1"].tolist(),
                fold_ua=folds["ua"].tolist(), fold_wa=folds["wa"].tolist(),
                fold_speakers=folds["test_speakers"].tolist(),
                classes={str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True))},
                per_class_f1={str(k): float(v) for k, v in report.per_class["f1"].items()},
                per_class_recall={str(k): float(v) for k, v in report.per_class["recall"].items()},
            )
            print(f"{system} {dimension} ({source}): macro F1 {report.f1:.3f}, UAR {report.ua:.3f}, "
                  f"WAR {report.wa:.3f}", flush=True)
        extra = [*(["--dimensions", *args.dimensions] if args.dimensions != list(DIMENSIONS) else []),
                 *(["--levels", args.levels] if args.levels != "low-mid-high" else []),
                 *(["--joint"] if args.joint else [])]
        run = dict(
            run_record(args, args.cv, overrides, corpus),
            command=command("dimensional.py", system, corpus=args.corpus, cv=args.cv, overrides=overrides,
                            extra=extra),
            targets=source, levels=args.levels, joint=joint, dimensions=dims,
            mean_f1=float(np.mean([d["f1"] for d in dims.values()])),
            timings=dict(seconds=time.perf_counter() - start),
        )
        path = write_run(kind, args.corpus, system, settings[system], run, root=args.out)
        runs[system] = run
        print(f"{system}: mean macro F1 {run['mean_f1']:.3f} -> {path}", flush=True)
    print_table(runs, source)


def print_table(runs, source):
    """Each system's figures per dimension, then a paired test of every pair of systems."""
    shown = [(d, letter) for d, letter in ORDER if d in next(iter(runs.values()))["dimensions"]]
    header = (f"{'system':18s} " + " ".join(f"{letter + ' F1':>6s} {'UAR':>6s} {'WAR':>6s}" for _, letter in shown)
              + f" {'mean F1':>8s}  ({source})")
    print("\n" + header + "\n" + "-" * len(header))
    for system, run in runs.items():
        line = f"{system:18s} " + " ".join(
            f"{run['dimensions'][d]['f1']:6.3f} {run['dimensions'][d]['ua']:6.3f} {run['dimensions'][d]['wa']:6.3f}"
            for d, _ in shown)
        line += f" {run['mean_f1']:8.3f}"
        print(line)
    names = list(runs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            tests = [("mean F1", paired_test(runs[a], runs[b], (a, b)))]
            tests += [(f"{d} UAR", paired_test(runs[a], runs[b], (a, b), d)) for d, _ in shown]
            cells = [f"{what} {t.mean_difference:+.3f} p={t.pvalue:.3f}" for what, t in tests if t is not None]
            if cells:
                print(f"{a} - {b} (fold means, paired Wilcoxon): " + "; ".join(cells))


if __name__ == "__main__":
    main()
