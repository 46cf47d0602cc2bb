"""The foundation issue's accuracy targets, measured on EmoDB when it is present."""
import pytest

from sklearn_ser.datasets import read_emodb
from sklearn_ser.model_selection import evaluate
from sklearn_ser.recipes import get_system


@pytest.mark.parametrize("system, target", [("baseline", 0.60), ("baseline-spknorm", 0.70)])
def test_baseline_loso_ua_on_emodb(emodb_dir, system, target):
    corpus = read_emodb(emodb_dir)
    report = evaluate(get_system(system, n_jobs=2), corpus, corpus["label"], cv="loso", n_jobs=2)
    assert len(report.per_fold) == 10
    assert report.ua >= target, report.summary()
