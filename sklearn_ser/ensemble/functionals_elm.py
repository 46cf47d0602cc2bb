"""Han et al. 2014's utterance-level classifier: functionals of segment posteriors, then an ELM."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_consistent_length
from sklearn.utils.validation import check_is_fitted

from ..audio import take_utterances
from ..model_selection.evaluate import speaker_fit_params
from ..model_selection.validation import speaker_validation_split
from .elm import ELMClassifier


def posterior_functionals(posteriors, threshold=0.2):
    """Per class: max, min, mean of the segment posteriors and the share of segments whose
    posterior exceeds ``threshold`` (Han et al. 2014). ``(n_segments, K)`` -> ``(4 K,)``."""
    p = np.asarray(posteriors, dtype=np.float64)
    return np.concatenate([p.max(0), p.min(0), p.mean(0), (p > threshold).mean(0)])


class FunctionalsELM(ClassifierMixin, BaseEstimator):
    """Wrap a segment-level probabilistic model: its posteriors over an utterance's segments (or
    steps) become Han et al.'s functionals, which ``classifier`` (an ELM by default) classifies.

    ``estimator`` must have ``fit(X, y)`` and ``predict_segment_proba(X)`` returning one
    ``(n_segments, K)`` array per utterance (e.g. :class:`~sklearn_ser.estimators.SERStepNetClassifier`).
    The speakers of ``fit(X, y, groups=...)`` reach it when its ``fit`` requests ``groups`` (a net
    does; see :func:`~sklearn_ser.model_selection.evaluate.speaker_fit_params`). Like the nets,
    it requests ``groups`` under metadata routing by default.

    Parameters
    ----------
    estimator : segment-level classifier
    classifier : sklearn classifier, default=ELMClassifier(n_hidden=120, random_state=0)
    threshold : float, default=0.2
    elm_fraction : float or None, default=None
        None trains the inner model and the ELM on the same utterances, as Han et al. do. A fraction
        holds out that share of the training speakers (needs ``groups``) for the ELM, so that it
        learns from posteriors on unseen speakers.
    class_weight : None, "balanced" or dict, default=None
        The default ELM's class weights (:class:`~sklearn_ser.ensemble.ELMClassifier`); a given
        ``classifier`` keeps its own, so both together are refused.
    random_state : int, default=0
    """

    __metadata_request__fit = {"groups": True}  # for its net's validation split, and elm_fraction

    def __init__(self, estimator, classifier=None, threshold=0.2, elm_fraction=None, class_weight=None,
                 random_state=0):
        self.estimator = estimator
        self.classifier = classifier
        self.threshold = threshold
        self.elm_fraction = elm_fraction
        self.class_weight = class_weight
        self.random_state = random_state

    def _functionals(self, X):
        return np.vstack([posterior_functionals(p, self.threshold)
                          for p in self.estimator_.predict_segment_proba(X)])

    def fit(self, X, y, groups=None):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        check_consistent_length(X, y)  # take_utterances would cut a longer X silently
        y = np.asarray(y)
        if self.classifier is not None and self.class_weight is not None:
            raise ValueError("class_weight is for the default ELM; with a classifier of your own set "
                             "class_weight=None here (the net recipes set 'balanced') and weigh the "
                             "classes on that classifier")
        inner_idx = elm_idx = np.arange(len(y))
        if self.elm_fraction:
            if groups is None:
                raise ValueError("elm_fraction needs the speakers: fit(X, y, groups=speakers)")
            inner_idx, elm_idx = speaker_validation_split(groups, self.elm_fraction, self.random_state)
        self.estimator_ = clone(self.estimator)
        speakers = {} if groups is None else speaker_fit_params(self.estimator_, np.asarray(groups)[inner_idx])
        self.estimator_.fit(take_utterances(X, inner_idx), y[inner_idx], **speakers)
        self.classifier_ = clone(self.classifier if self.classifier is not None
                                 else ELMClassifier(n_hidden=120, class_weight=self.class_weight,
                                                    random_state=self.random_state))
        self.classifier_.fit(self._functionals(take_utterances(X, elm_idx)), y[elm_idx])
        self.classes_ = self.classifier_.classes_
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.classifier_.predict_proba(self._functionals(X))

    def predict(self, X):
        check_is_fitted(self)
        return self.classifier_.predict(self._functionals(X))
