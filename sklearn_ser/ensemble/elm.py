"""Extreme Learning Machines (Huang et al. 2006/2012): a random hidden layer and a ridge-regularised
least-squares output layer, or its RBF-kernel form; as sklearn classifiers."""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted, check_random_state, validate_data


def _softmax(scores):
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


class ELMClassifier(ClassifierMixin, BaseEstimator):
    """Extreme Learning Machine classifier.

    ``kernel=None``: hidden layer ``H = sigmoid(X W + b)`` with random ``W``, ``b`` (uniform in
    [-1, 1], scaled by ``1 / sqrt(n_features)``) and output weights ``(H'H + alpha I)^-1 H' T`` for
    +-1 targets T. ``kernel="rbf"``: kernel ELM, output ``K(x, X) (K + alpha I)^-1 T``. Weighted
    samples (``class_weight``, ``sample_weight``) weigh their squared errors: ``(H'WH + alpha I)^-1
    H'WT`` and ``(K + alpha W^-1)^-1 T``.

    Parameters
    ----------
    n_hidden : int, default=500
    alpha : float, default=1.0
        Ridge regularisation (1 / C in Huang et al.'s notation).
    kernel : {None, "rbf"}, default=None
    gamma : float or None, default=None
        RBF width; None means 1 / n_features.
    class_weight : None, "balanced" or dict {label: weight}, default=None
        As in sklearn's classifiers: "balanced" weighs each class inversely to its frequency, so
        a small class counts as much as a large one in the least squares.
    random_state : int, RandomState or None, default=None

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_ser.ensemble import ELMClassifier
    >>> X, y = make_classification(200, 10, n_informative=5, random_state=0)
    >>> ELMClassifier(n_hidden=100, random_state=0).fit(X[:150], y[:150]).score(X[150:], y[150:]) > 0.8
    True
    """

    def __init__(self, n_hidden=500, alpha=1.0, kernel=None, gamma=None, class_weight=None, random_state=None):
        self.n_hidden = n_hidden
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.class_weight = class_weight
        self.random_state = random_state

    def _hidden(self, X):
        return 1.0 / (1.0 + np.exp(-(X @ self.input_weights_ + self.biases_)))

    def _kernel(self, X):
        gamma = self.gamma if self.gamma is not None else 1.0 / X.shape[1]
        return rbf_kernel(X, self.X_fit_, gamma=gamma)

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        check_consistent_length(y, weight)
        if weight.ndim != 1 or not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError("sample_weight must be one finite, non-negative weight per sample")
        if self.class_weight is not None:
            weight = weight * compute_sample_weight(self.class_weight, y)
        kept = weight > 0  # a sample of weight 0 adds nothing to the least squares (a kernel ELM would divide by it)
        if not kept.any():
            raise ValueError("every sample weight is zero (after class_weight): nothing to fit")
        X, y, weight = X[kept], y[kept], weight[kept]
        self.binarizer_ = LabelBinarizer(neg_label=-1, pos_label=1).fit(y)
        self.classes_ = self.binarizer_.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class only ({self.classes_[0]!r}) among the samples of non-zero "
                             "weight; a classifier needs at least 2")
        T = self.binarizer_.transform(y).astype(np.float64)
        if T.shape[1] == 1:  # binary: one column -> two, so both classes get a score
            T = np.hstack([-T, T])
        if self.kernel == "rbf":
            self.X_fit_ = X
            K = self._kernel(X)
            self.output_weights_ = solve(K + self.alpha * np.diag(1.0 / weight), T, assume_a="pos")
        elif self.kernel is None:
            rng = check_random_state(self.random_state)
            scale = 1.0 / np.sqrt(X.shape[1])
            self.input_weights_ = rng.uniform(-1, 1, (X.shape[1], self.n_hidden)) * scale
            self.biases_ = rng.uniform(-1, 1, self.n_hidden)
            H = self._hidden(X)
            weighted = H.T * weight
            self.output_weights_ = solve(weighted @ H + self.alpha * np.eye(self.n_hidden), weighted @ T,
                                         assume_a="pos")
        else:
            raise ValueError(f"kernel must be None or 'rbf', got {self.kernel!r}")
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        features = self._kernel(X) if self.kernel == "rbf" else self._hidden(X)
        scores = features @ self.output_weights_
        return scores[:, 1] if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """Softmax of the output scores (ELM scores are not calibrated probabilities)."""
        check_is_fitted(self)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        return _softmax(scores)

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
