"""Probability calibration on speaker folds: a new speaker's decision values are less sure than
those of a speaker the classifier has seen, so the calibration learns from held-out speakers."""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets

from .model_selection import SpeakerKFold
from .model_selection.evaluate import speaker_fit_params

__all__ = ["SpeakerCalibratedClassifierCV", "speaker_calibration_folds"]

#: calibration folds when ``cv`` is None, as scikit-learn's default
DEFAULT_FOLDS = 5


def speaker_calibration_folds(y, groups, n_splits):
    """Up to ``n_splits`` folds of whole speakers, or None (with the reason) when there are fewer
    than three speakers (a fold's classifier would learn from one, and a speaker search inside it
    could not split them) or a fold's training side would lack a class (it could not score it)."""
    speakers = np.unique(groups)
    if len(speakers) < 3:
        return None, f"{len(speakers)} speaker(s), speaker folds need 3"
    folds = list(SpeakerKFold(n_splits=min(n_splits, len(speakers))).split(np.zeros(len(y)), y, groups))
    classes = np.unique(y)
    for train, _ in folds:
        missing = np.setdiff1d(classes, y[train])
        if missing.size:
            return None, f"a fold's other speakers have no {missing[0].tolist()!r} utterance"
    return folds, None


class SpeakerCalibratedClassifierCV(CalibratedClassifierCV):
    """scikit-learn's ``CalibratedClassifierCV`` whose calibration folds hold whole speakers.

    Given the speakers at fit (``fit(X, y, groups=speakers)``; in a Pipeline
    ``classifier__groups``, which :func:`~sklearn_ser.model_selection.evaluate` passes because this
    estimator requests them), the decision values the calibration is fitted on come from
    classifiers that never saw their speaker; ``cv`` (an int, default 5) is then the number of
    speaker folds, fewer when there are fewer speakers. A classifier inside that takes speakers
    too (a ``GridSearchCV`` over speaker folds) receives each fold's. Without speakers the folds
    are scikit-learn's stratified utterance folds; where speaker folds cannot work (fewer than
    three speakers, a class only one fold's speakers have) too, with a warning that says why;
    ``calibration_folds_`` says which ran. Every other parameter is ``CalibratedClassifierCV``'s.

    Labels of any type work with ``method="temperature"`` (scikit-learn's own encodes only string
    labels there and gives uniform probabilities for, e.g., levels 1-5).

    A ``GridSearchCV`` around a Pipeline holding it hands the speakers to its splitter only: pass
    them on as well (``search.fit(X, y, groups=spk, classifier__groups=spk)``) or turn metadata
    routing on, else this calibration runs on utterance folds.
    """

    __metadata_request__fit = {"groups": True}

    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = np.asarray(y)
        check_classification_targets(y)  # before any encoding could hide a continuous y
        labels = None
        if self.method == "temperature" and y.ndim == 1 and len(y) and not isinstance(y[0], str):
            # scikit-learn encodes only string labels for temperature scaling; others must be 0..K-1
            labels = LabelEncoder().fit(y)
            y = labels.transform(y)
        folds = None
        if groups is not None:
            groups = np.asarray(groups)
            fit_params.update(speaker_fit_params(self._get_estimator(), groups))
            n_splits = DEFAULT_FOLDS if self.cv is None else self.cv
            if not isinstance(n_splits, numbers.Integral) or n_splits < 2:
                raise ValueError(f"with speakers, cv is the number of speaker folds (>= 2), got {self.cv!r}")
            folds, reason = speaker_calibration_folds(y, groups, n_splits)
            if folds is None:
                warnings.warn(f"calibrating on utterance folds, not speaker folds: {reason}", UserWarning)
        given = self.cv
        if folds is not None:
            self.cv = folds  # CalibratedClassifierCV takes explicit folds; restored below
        try:
            super().fit(X, y, sample_weight=sample_weight, **fit_params)
        finally:
            self.cv = given
        if labels is not None:
            self.classes_ = labels.classes_
        self.calibration_folds_ = "utterance" if folds is None else "speaker"
        return self
