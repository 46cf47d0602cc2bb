"""EmoDB leave-one-speaker-out: the handcrafted baseline with and without per-speaker
standardisation, and a paired Wilcoxon test between them on the ten folds.

Run: python examples/emodb_loso.py [PATH_TO_EMODB]     (default ../shared/data/emodb; ~30 s)
"""
import sys
from pathlib import Path

from sklearn_ser.datasets import read_emodb
from sklearn_ser.model_selection import compare_systems, evaluate
from sklearn_ser.recipes import get_system

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[2] / "shared" / "data" / "emodb")
corpus = read_emodb(root)
reports = {}
for name in ("baseline", "baseline-spknorm"):
    reports[name] = evaluate(get_system(name, n_jobs=-1), corpus, corpus["label"], cv="loso", n_jobs=-1)
    print(f"== {name}\n{reports[name].summary()}\n")

a, b = reports["baseline-spknorm"], reports["baseline"]
result = compare_systems(a.per_fold["ua"], b.per_fold["ua"], names=("baseline-spknorm", "baseline"))
print(f"Wilcoxon on per-fold UA: statistic {result.statistic}, p = {result.pvalue:.4f}: {result.verdict}")
