"""Probability calibration on speaker folds: a new speaker's decision values are less sure than
those of a speaker the classifier has seen, so the calibration learns from held-out speakers."""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.utils.metadata_routing import get_routing_for_object

from .model_selection import SpeakerKFold

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
    three speakers, a class only one fold's speakers have) too, with a warning that says why. Every other
    parameter is ``CalibratedClassifierCV``'s.
    """

    __metadata_request__fit = {"groups": True}

    def fit(self, X, y, sample_weight=None, groups=None, **fit_params):
        if groups is None:
            return super().fit(X, y, sample_weight=sample_weight, **fit_params)
        groups = np.asarray(groups)
        if get_routing_for_object(self.estimator).consumes("fit", ["groups"]):
            fit_params["groups"] = groups
        n_splits = DEFAULT_FOLDS if self.cv is None else self.cv
        if not isinstance(n_splits, numbers.Integral):
            raise ValueError(f"with speakers, cv is the number of speaker folds, got {self.cv!r}")
        folds, reason = speaker_calibration_folds(np.asarray(y), groups, n_splits)
        if folds is None:
            warnings.warn(f"calibrating on utterance folds, not speaker folds: {reason}", UserWarning)
            return super().fit(X, y, sample_weight=sample_weight, **fit_params)
        given = self.cv
        self.cv = folds  # CalibratedClassifierCV takes explicit folds; restored below
        try:
            return super().fit(X, y, sample_weight=sample_weight, **fit_params)
        finally:
            self.cv = given
