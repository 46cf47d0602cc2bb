"""Ways of predicting a fitted fold model's test utterances, and their scores, shared by
``accuracy.py`` (batch and alone), ``speaker_adaptation.py`` (batch, enrolled, alone) and
``cross_corpus.py`` (per-class recall).

    one_at_a_time(model, X) -> one prediction per utterance, each from a call of its own
    alone_predictions(report, X) -> each test utterance of an evaluate() report predicted alone
    mode_scores(y, pred, test_indices) -> {ua, wa, fold_ua, fold_wa} of one way of predicting
    per_class_recall(y_true, y_pred) -> {label: recall} over the labels of y_true
"""
import warnings

import numpy as np
from sklearn.metrics import recall_score

from sklearn_ser.audio import take_utterances
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy


def one_at_a_time(model, X):
    """Predictions of each utterance of X in a call of its own: no other utterance of its speaker
    (or of anyone) in the call, as an application that receives one file sees it."""
    with warnings.catch_warnings():  # the population fallback warns once per call, by design
        warnings.simplefilter("ignore", UserWarning)
        return np.concatenate([model.predict(take_utterances(X, [i])) for i in range(len(X))])


def alone_predictions(report, X):
    """Each test utterance of ``report`` (an ``evaluate(..., return_estimators=True)`` report on X)
    predicted alone by its own fold's fitted model (no second fit), at its position in X; None
    where X was not tested."""
    if report.estimators is None:
        raise ValueError("the report keeps no fold models: evaluate(..., return_estimators=True)")
    pred = np.full(len(X), None, dtype=object)
    for model, test in zip(report.estimators, report.test_indices):
        pred[test] = one_at_a_time(model, take_utterances(X, test))
    return pred


def mode_scores(y, pred, test_indices):
    """Pooled UA/WA over all tested utterances and per-fold UA/WA of predictions ``pred`` (aligned
    with ``y``; folds as evaluate's ``test_indices``)."""
    y = np.asarray(y)
    tested = np.concatenate(test_indices)
    pred = np.asarray(pred, dtype=object)

    def cast(idx):
        return pred[idx].astype(y.dtype)

    return dict(
        ua=unweighted_accuracy(y[tested], cast(tested)),
        wa=weighted_accuracy(y[tested], cast(tested)),
        fold_ua=[unweighted_accuracy(y[t], cast(t)) for t in test_indices],
        fold_wa=[weighted_accuracy(y[t], cast(t)) for t in test_indices],
    )


def per_class_recall(y_true, y_pred):
    """Recall of each label of ``y_true`` (sorted), as ``{label: recall}`` with string keys (JSON)."""
    y_true = np.asarray(y_true)
    labels = np.unique(y_true)
    recall = recall_score(y_true, np.asarray(y_pred).astype(y_true.dtype), labels=labels, average=None,
                          zero_division=0)
    return {str(label): float(r) for label, r in zip(labels, recall)}
