"""Compare stored runs of two configurations over several seeds: pooled UA of each run, their means,
a paired Wilcoxon test per pair of runs and one over all their fold pairs.

Run: python benchmarks/compare_runs.py --a 'kim-3d-cnn-dnn-spknorm[refit=average,random_state=0]' ...
     --b kim-3d-cnn-dnn-spknorm 'kim-3d-cnn-dnn-spknorm[random_state=1]' ...
     [--results benchmarks/results/accuracy-emodb.json]

The n-th key of ``--a`` is paired with the n-th of ``--b`` (the same seed, as a rule), their folds
matched by test speaker. Reads the JSON ``accuracy.py`` writes; runs nothing.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from sklearn_ser.model_selection import compare_systems

from accuracy import _paired_folds

HERE = Path(__file__).resolve().parent


def compare_runs(results, keys_a, keys_b):
    """Lines of the comparison of the runs ``keys_a`` with ``keys_b`` (paired by position)."""
    if len(keys_a) != len(keys_b):
        raise SystemExit(f"--a has {len(keys_a)} runs and --b {len(keys_b)}: they pair by position")
    missing = [k for k in (*keys_a, *keys_b) if k not in results]
    if missing:
        raise SystemExit(f"not in the results: {', '.join(missing)}")
    lines, all_a, all_b = [], [], []
    for a, b in zip(keys_a, keys_b):
        paired = _paired_folds(results[a], results[b])
        if paired is None:
            raise SystemExit(f"{a} and {b} share fewer than 5 test speakers")
        test = compare_systems(*paired, names=("A", "B"))
        all_a += paired[0]
        all_b += paired[1]
        lines.append(f"A {results[a]['ua']:.3f}  B {results[b]['ua']:.3f}  fold UA A-B {test.mean_difference:+.3f}"
                     f"  p = {test.pvalue:.3f}  ({a} vs {b})")
    ua_a = np.array([results[k]["ua"] for k in keys_a])
    ua_b = np.array([results[k]["ua"] for k in keys_b])
    overall = compare_systems(all_a, all_b, names=("A", "B"))
    lines.append(f"pooled UA mean: A {ua_a.mean():.3f} (range {ua_a.min():.3f}-{ua_a.max():.3f}), "
                 f"B {ua_b.mean():.3f} (range {ua_b.min():.3f}-{ua_b.max():.3f})")
    lines.append(f"over the {len(all_a)} fold pairs: mean fold UA A-B {overall.mean_difference:+.3f}, "
                 f"Wilcoxon p = {overall.pvalue:.3f}; {overall.verdict}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", nargs="+", required=True, help="JSON keys of configuration A's runs")
    parser.add_argument("--b", nargs="+", required=True, help="JSON keys of configuration B's runs")
    parser.add_argument("--results", type=Path, default=HERE / "results" / "accuracy-emodb.json")
    args = parser.parse_args()
    print("\n".join(compare_runs(json.loads(args.results.read_text()), args.a, args.b)))


if __name__ == "__main__":
    main()
