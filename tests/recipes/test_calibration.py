"""The SVM recipes' calibration: probabilities from cross-validated decision values, and with
temperature scaling the prediction stays the SVM's own decision."""
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.svm import SVC, LinearSVC

from sklearn_ser.recipes import baseline, functionals_svm
from sklearn_ser.recipes._presets import calibrated


@pytest.fixture(scope="module")
def data():
    # overlapping classes, so per-class sigmoids and the SVM's argmax can disagree
    return make_classification(400, 20, n_informative=6, n_classes=5, n_clusters_per_class=2,
                               class_sep=0.6, random_state=0)


@pytest.mark.parametrize("svm", [LinearSVC(C=0.1), SVC()], ids=["linear", "rbf"])
def test_temperature_scaling_predicts_the_svms_own_decision(data, svm):
    X, y = data
    model = calibrated(svm, "temperature").fit(X, y)
    (fitted,) = model.calibrated_classifiers_  # one SVM, fitted on all the data
    decision = fitted.estimator.decision_function(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[decision.argmax(axis=1)])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), decision.argmax(axis=1))


def test_platt_scaling_stays_available_and_may_overrule_the_svm(data):
    X, y = data
    model = calibrated(LinearSVC(C=0.1), "sigmoid").fit(X, y)
    decision = model.calibrated_classifiers_[0].estimator.decision_function(X)
    # the reason temperature scaling is the default: per-class sigmoids reorder some utterances
    assert (model.predict(X) != model.classes_[decision.argmax(axis=1)]).any()


def test_the_recipes_take_the_calibration_and_refuse_an_unknown_one():
    assert baseline().named_steps["classifier"].method == "temperature"
    assert baseline(calibration="sigmoid").named_steps["classifier"].method == "sigmoid"
    assert functionals_svm(C=0.01, calibration="sigmoid").named_steps["classifier"].method == "sigmoid"
    with pytest.raises(ValueError, match="calibration must be one of"):
        functionals_svm(calibration="isotonic-ish")
    with pytest.raises(ValueError, match="calibration must be one of"):
        baseline(calibration="platt")
