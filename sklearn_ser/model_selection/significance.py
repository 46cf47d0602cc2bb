"""Paired comparison of two systems' per-fold scores (Wilcoxon signed-rank, scipy)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import wilcoxon


@dataclass(frozen=True)
class Comparison:
    statistic: float
    pvalue: float
    alpha: float
    mean_difference: float  # mean of (a - b) over folds
    verdict: str

    def to_dict(self):
        return asdict(self)


def compare_systems(scores_a, scores_b, alpha=0.05, alternative="two-sided", names=("A", "B")):
    """Wilcoxon signed-rank test of paired per-fold scores of systems A and B on the same folds.

    Returns a :class:`Comparison` whose verdict says which system is better at level ``alpha``, or
    that the difference is not significant. With fewer than 6 folds a two-sided test can never reach
    p < 0.05: the verdict then says so rather than suggesting equality.
    """
    a, b = np.asarray(scores_a, float), np.asarray(scores_b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"per-fold scores must be paired 1-D arrays, got shapes {a.shape} and {b.shape}")
    if len(a) < 2:
        raise ValueError("a paired test needs scores from at least 2 folds")
    diff = a - b
    if not np.any(diff):
        return Comparison(0.0, 1.0, alpha, 0.0, f"{names[0]} and {names[1]} scored identically on every fold")
    result = wilcoxon(a, b, alternative=alternative)
    stat, p = float(result.statistic), float(result.pvalue)
    if p < alpha:
        better, worse = (names[0], names[1]) if diff.mean() > 0 else (names[1], names[0])
        verdict = f"{better} is better than {worse} (p={p:.3g} < {alpha})"
    else:
        verdict = f"no significant difference between {names[0]} and {names[1]} (p={p:.3g} >= {alpha})"
        if len(a) < 6:
            verdict += f"; with {len(a)} folds the test cannot reach p < 0.05"
    return Comparison(stat, p, alpha, float(diff.mean()), verdict)
