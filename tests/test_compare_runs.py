"""benchmarks/compare_runs.py: seeds of two configurations paired by position, folds by speaker."""
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wilcoxon

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from compare_runs import compare_runs  # noqa: E402


def _run(fold_ua, speakers):
    return dict(ua=float(np.mean(fold_ua)), fold_ua=list(fold_ua), fold_speakers=list(speakers))


def test_fold_pairs_of_all_seeds_are_matched_by_speaker_and_tested_together():
    rng = np.random.default_rng(0)
    speakers = [f"{i:02d}" for i in range(10)]
    a = [rng.uniform(0.4, 0.7, 10) for _ in range(2)]
    b = [rng.uniform(0.4, 0.7, 10) for _ in range(2)]
    results = {"a0": _run(a[0], speakers), "a1": _run(a[1], speakers),
               # stored in another fold order: pairing must follow the speakers, not the positions
               "b0": _run(b[0][::-1], speakers[::-1]), "b1": _run(b[1], speakers)}
    lines = compare_runs(results, ["a0", "a1"], ["b0", "b1"])
    expected = wilcoxon(np.concatenate(a), np.concatenate(b)).pvalue
    assert f"over the 20 fold pairs: mean fold UA A-B {np.mean(np.concatenate(a) - np.concatenate(b)):+.3f}" in lines[-1]
    assert f"Wilcoxon p = {expected:.3f}" in lines[-1]
    assert lines[0].endswith(f"p = {wilcoxon(a[0], b[0]).pvalue:.3f}  (a0 vs b0)")


def test_unpaired_or_missing_runs_are_refused():
    run = _run([0.5] * 10, range(10))
    with pytest.raises(SystemExit, match="pair by position"):
        compare_runs({"a": run, "b": run}, ["a"], ["a", "b"])
    with pytest.raises(SystemExit, match="not in the results: c"):
        compare_runs({"a": run}, ["a"], ["c"])
