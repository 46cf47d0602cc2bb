import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_ser.metrics import SCORING, check_known_labels, get_scorer, unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection import LeaveOneSpeakerOut


def test_ua_and_wa_by_hand():
    y_true = ["a"] * 8 + ["b"] * 2
    y_pred = ["a"] * 8 + ["a", "b"]
    assert weighted_accuracy(y_true, y_pred) == pytest.approx(0.9)
    assert unweighted_accuracy(y_true, y_pred) == pytest.approx((1.0 + 0.5) / 2)
    assert unweighted_accuracy(y_true, y_pred) == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    # a predicted class absent from y_true does not dilute UA
    assert unweighted_accuracy(["a", "a"], ["a", "c"]) == pytest.approx(0.5)


def test_unknown_labels_are_named():
    with pytest.raises(ValueError, match=r"labels \['fear'\] were not among"):
        check_known_labels(["sad", "fear"], ["sad", "angry"])


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["x", "y", "z"], 20)
    X = rng.standard_normal((60, 4)) + (np.searchsorted(["x", "y", "z"], y)[:, None] * 1.5)
    groups = np.tile(np.arange(5), 12)
    return X, y, groups


def test_scorers_by_name_in_cross_validate_and_grid_search():
    X, y, groups = _blobs()
    result = cross_validate(make_pipeline(StandardScaler(), SVC()), X, y, groups=groups,
                            cv=LeaveOneSpeakerOut(), scoring=SCORING)
    assert len(result["test_ua"]) == 5 and np.mean(result["test_ua"]) > 0.6
    search = GridSearchCV(SVC(), {"C": [0.1, 10]}, scoring=get_scorer("UA"), cv=LeaveOneSpeakerOut())
    search.fit(X, y, groups=groups)
    assert search.best_score_ > 0.6
    assert get_scorer("accuracy") is not None
