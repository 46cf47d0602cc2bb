"""Compare stored runs of two configurations over several seeds: pooled UA of each run, their means,
a paired Wilcoxon test per pair of runs and one over all their fold pairs.

Run: python benchmarks/compare_runs.py --a 'kim-3d-cnn-dnn-spknorm[refit=average,random_state=0]' ...
     --b kim-3d-cnn-dnn-spknorm--96e3d18f 'kim-3d-cnn-dnn-spknorm[random_state=1]' ...
     [--corpus emodb] [--results benchmarks/results]

A run is named by its file (``kim-3d-cnn-dnn-spknorm--96e3d18f``, with or without ``.json``) or by
its key ``system[overrides as given]@member`` (a migrated run: the key it had in the old shared
files, ``legacy.key``); a key that names several runs is refused with their files. The n-th run of
``--a`` is paired with the n-th of ``--b`` (the same seed, as a rule), their folds matched by test
speaker: both must have tested the same speakers. Reads the runs through ``_results.load_runs``;
runs nothing.
"""
import argparse
from pathlib import Path

import numpy as np

from sklearn_ser.model_selection import compare_systems

from _results import RESULTS, load_runs, set_arguments


def run_key(run):
    """``system[key=value,...]@member``: the key of the old shared files (kept by migrated runs)."""
    if "legacy" in run and "key" in run["legacy"]:
        return run["legacy"]["key"]
    overrides = set_arguments(run.get("overrides") or {})
    return (run["system"] + (f"[{','.join(overrides)}]" if overrides else "")
            + (f"@{run['member']}" if run.get("member") else ""))


def find_run(runs, name):
    """The run named ``name`` (file name or key) among ``runs``."""
    name = name.removesuffix(".json")
    found = [r for r in runs if r["id"] == name] or [r for r in runs if run_key(r) == name]
    if not found:
        raise SystemExit(f"not in the results: {name}")
    if len(found) > 1:
        raise SystemExit(f"{name} names {len(found)} runs; name one by its file: "
                         + ", ".join(r["id"] for r in found))
    return found[0]


def paired_folds(a, b):
    """Fold UAs of runs ``a`` and ``b``, matched by test speaker; None unless both tested the same
    speakers."""
    ua_a, ua_b = dict(zip(a["fold_speakers"], a["fold_ua"])), dict(zip(b["fold_speakers"], b["fold_ua"]))
    if set(ua_a) != set(ua_b):
        return None
    speakers = sorted(ua_a)
    return [ua_a[s] for s in speakers], [ua_b[s] for s in speakers]


def compare_runs(runs, names_a, names_b, min_folds=5):
    """Lines of the comparison of the runs ``names_a`` with ``names_b`` (paired by position)."""
    if len(names_a) != len(names_b):
        raise SystemExit(f"--a has {len(names_a)} runs and --b {len(names_b)}: they pair by position")
    lines, all_a, all_b, ua_a, ua_b = [], [], [], [], []
    for name_a, name_b in zip(names_a, names_b):
        a, b = find_run(runs, name_a), find_run(runs, name_b)
        paired = paired_folds(a, b)
        if paired is None:
            raise SystemExit(f"{name_a} and {name_b} tested other speakers: they cannot be paired")
        if len(paired[0]) < min_folds:
            raise SystemExit(f"{name_a} and {name_b} share {len(paired[0])} folds, fewer than {min_folds}")
        test = compare_systems(*paired, names=("A", "B"))
        all_a += paired[0]
        all_b += paired[1]
        ua_a.append(a["ua"])
        ua_b.append(b["ua"])
        lines.append(f"A {a['ua']:.3f}  B {b['ua']:.3f}  fold UA A-B {test.mean_difference:+.3f}"
                     f"  p = {test.pvalue:.3f}  ({name_a} vs {name_b})")
    ua_a, ua_b = np.array(ua_a), np.array(ua_b)
    overall = compare_systems(all_a, all_b, names=("A", "B"))
    lines.append(f"pooled UA mean: A {ua_a.mean():.3f} (range {ua_a.min():.3f}-{ua_a.max():.3f}), "
                 f"B {ua_b.mean():.3f} (range {ua_b.min():.3f}-{ua_b.max():.3f})")
    lines.append(f"over the {len(all_a)} fold pairs: mean fold UA A-B {overall.mean_difference:+.3f}, "
                 f"Wilcoxon p = {overall.pvalue:.3f}; {overall.verdict}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", nargs="+", required=True, help="configuration A's runs (files or keys)")
    parser.add_argument("--b", nargs="+", required=True, help="configuration B's runs (files or keys)")
    parser.add_argument("--corpus", default="emodb")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results root")
    args = parser.parse_args()
    runs = load_runs(args.corpus, kind="accuracy", root=args.results)
    print("\n".join(compare_runs(runs, args.a, args.b)))


if __name__ == "__main__":
    main()
