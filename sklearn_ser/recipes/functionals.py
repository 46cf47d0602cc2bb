"""Broad functionals -> linear SVM with C chosen on speaker folds of the training data: the
library's own feature set, and openSMILE's ComParE_2016 and eGeMAPSv02 as reproducible peers
(issue 29)."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ..features import BroadFunctionals, OpenSmileFunctionals
from ..features.opensmile import FEATURE_SETS as OPENSMILE_SETS
from ..metrics import ua_scorer
from ..model_selection import SpeakerKFold
from ._presets import calibrated, ser_pipeline
from ._registry import System

#: speaker folds of the inner search for C
INNER_FOLDS = 3
#: LinearSVC's iteration cap: its default 1000 leaves C = 1 on thousands of features unconverged
_MAX_ITER = 10000


class _InnerSpeakerFolds(SpeakerKFold):
    """Speaker folds for the search of C inside a training set: ``n_splits`` of them, or one per
    speaker when the training set has fewer speakers, and a message that says how the speakers
    reach the search when they do not."""

    def split(self, X, y=None, groups=None):
        return SpeakerKFold(n_splits=self.get_n_splits(X, y, groups)).split(X, y, groups)

    def get_n_splits(self, X=None, y=None, groups=None):
        if groups is None:
            raise ValueError(
                "choosing C on speaker folds needs the speaker of every training utterance: "
                "fit(X, y, classifier__groups=speakers) (evaluate() and the sklearn-ser command pass "
                "them), or fix C (functionals_svm(C=0.01))")
        n_speakers = len(np.unique(groups))
        if n_speakers < 2:
            raise ValueError(f"choosing C on speaker folds needs at least 2 training speakers, got "
                             f"{n_speakers}; fix C instead (functionals_svm(C=0.01))")
        return min(self.n_splits, n_speakers)


def _features(feature_set, speaker_norm, n_jobs):
    if feature_set == "native":
        return BroadFunctionals(speaker_norm=speaker_norm, n_jobs=n_jobs)
    if feature_set in OPENSMILE_SETS:
        return OpenSmileFunctionals(feature_set, speaker_norm=speaker_norm, n_jobs=n_jobs)
    raise ValueError(f"feature_set must be 'native' or one of openSMILE's {OPENSMILE_SETS}, got {feature_set!r}")


def functionals_svm(feature_set="native", speaker_norm=False, C=None, Cs=(1e-3, 1e-2, 1e-1, 1),
                    calibration="temperature", n_jobs=None, random_state=0):
    """Utterance functionals -> standardisation -> linear SVM with calibrated probabilities.

    Parameters
    ----------
    feature_set : "native" or an openSMILE set, default="native"
        "native": the library's :class:`~sklearn_ser.features.BroadFunctionals` (3604, librosa and
        numpy only); "ComParE_2016" (6373), "eGeMAPSv02" (88) or another of
        :class:`~sklearn_ser.features.OpenSmileFunctionals`' sets (the ``opensmile`` extra).
    speaker_norm : bool, default=False
        Standardise features per speaker (``speaker`` column of X) before the global scaler.
    C : float, default=None
        The SVM's regularisation. None chooses it among ``Cs`` by the unweighted accuracy on
        :data:`INNER_FOLDS` speaker folds of the training data (``GridSearchCV``; one fold per
        speaker when there are fewer): ``fit`` then needs the speakers, as
        ``fit(X, y, classifier__groups=speakers)``, which :func:`~sklearn_ser.model_selection.evaluate`
        and the ``sklearn-ser`` command pass. The search runs inside each of the calibration's
        folds too, so the probabilities are calibrated on scores of SVMs that never saw them.
    Cs : sequence of float, default=(1e-3, 1e-2, 1e-1, 1)
        The candidates of the search.
    calibration : {"temperature", "sigmoid"}, default="temperature"
        How the SVM's decision values become probabilities (one SVM fitted on all the training
        data, calibrated on speaker folds: ``SpeakerCalibratedClassifierCV``): temperature scaling
        keeps the argmax of the SVM's decision function as the prediction; "sigmoid" is Platt
        scaling per class, whose largest probability need not be the SVM's decision.
    n_jobs : int, default=None
        Parallel feature extraction.
    random_state : int, default=0
        Passed to the LinearSVC.

    Examples
    --------
    >>> from sklearn_ser.recipes import functionals_svm
    >>> model = functionals_svm()
    >>> model.named_steps["classifier"].estimator.param_grid
    {'C': [0.001, 0.01, 0.1, 1]}
    >>> functionals_svm(C=0.01).named_steps["classifier"].estimator.C
    0.01
    """
    features = _features(feature_set, speaker_norm, n_jobs)  # an unknown set fails here, before any fit
    svm = LinearSVC(C=1.0 if C is None else C, class_weight="balanced", max_iter=_MAX_ITER,
                    random_state=random_state)
    if C is None:
        svm = GridSearchCV(svm, {"C": list(Cs)}, scoring=ua_scorer, cv=_InnerSpeakerFolds(INNER_FOLDS))
    return ser_pipeline([
        ("features", features),
        ("scale", StandardScaler()),
        ("classifier", calibrated(svm, calibration)),
    ])


SYSTEMS = (
    System("functionals", functionals_svm,
           "124 broad LLDs (mel bands, MFCC, spectral shape, pitch, voice quality + deltas) -> 3604 "
           "functionals -> linear SVM, C by inner speaker CV"),
    System("functionals-spknorm", functionals_svm,
           "functionals with per-speaker feature standardisation", (("speaker_norm", True),)),
    System("compare", functionals_svm,
           "openSMILE ComParE_2016 (6373 functionals; the opensmile extra) -> linear SVM, C by inner speaker CV",
           (("feature_set", "ComParE_2016"),)),
    System("compare-spknorm", functionals_svm,
           "compare with per-speaker feature standardisation",
           (("feature_set", "ComParE_2016"), ("speaker_norm", True))),
    System("egemaps", functionals_svm,
           "openSMILE eGeMAPSv02 (88 functionals; the opensmile extra) -> linear SVM, C by inner speaker CV",
           (("feature_set", "eGeMAPSv02"),)),
    System("egemaps-spknorm", functionals_svm,
           "egemaps with per-speaker feature standardisation",
           (("feature_set", "eGeMAPSv02"), ("speaker_norm", True))),
)
