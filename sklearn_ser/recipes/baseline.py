"""The handcrafted baseline: frame LLDs -> utterance functionals -> SVM."""
from __future__ import annotations

from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..features import LLDFunctionals
from ._presets import calibrated, ser_pipeline
from ._registry import System


def baseline(speaker_norm=False, C=1.0, classifier=None, calibration="temperature", n_jobs=None,
             random_state=0):
    """Handcrafted baseline: 32 LLDs -> 12 functionals each (384) -> standardisation -> classifier.

    Parameters
    ----------
    speaker_norm : bool, default=False
        Standardise features per speaker (``speaker`` column of X) before the global scaler.
    C : float, default=1.0
        The default classifier's SVM regularisation. ``GridSearchCV`` reaches it in a built
        pipeline as ``classifier__estimator__C`` (the SVC inside ``CalibratedClassifierCV``).
    classifier : sklearn classifier, default=RBF SVC (``C``, balanced class weights) with
        calibrated probabilities (``CalibratedClassifierCV(..., ensemble=False)``: one SVC fitted
        on all the training data)
    calibration : {"temperature", "sigmoid"}, default="temperature"
        The default classifier's calibration: temperature scaling keeps the argmax of the SVC's
        decision function as the prediction; "sigmoid" is Platt scaling per class, whose largest
        probability need not be the SVC's decision.
    n_jobs : int, default=None
        Parallel feature extraction.
    random_state : int, default=0
        Passed to the SVC.
    """
    default = calibrated(SVC(C=C, class_weight="balanced", random_state=random_state), calibration)
    return ser_pipeline([
        ("features", LLDFunctionals(speaker_norm=speaker_norm, n_jobs=n_jobs)),
        ("scale", StandardScaler()),
        ("classifier", default if classifier is None else classifier),
    ])


SYSTEMS = (
    System("baseline", baseline,
           "32 LLDs (F0, voicing, ZCR, MFCC 1-12, RMS + deltas) -> 384 functionals -> RBF SVM"),
    System("baseline-spknorm", baseline,
           "baseline with per-speaker feature standardisation", (("speaker_norm", True),)),
)
