"""UA (unweighted accuracy: mean per-class recall) and WA (weighted accuracy: plain accuracy).

As functions, as scorers, and by name: ``scoring=SCORING`` (or ``scoring="ua"`` through
:func:`get_scorer`) in ``cross_validate`` / ``GridSearchCV``; :func:`head_scorer` scores one target
of a multi-output classifier. UA equals sklearn's
``"balanced_accuracy"`` when every class occurs in ``y_true``.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, get_scorer as _sk_get_scorer, make_scorer, recall_score


def check_known_labels(y_true, classes):
    """Raise naming the labels of ``y_true`` that a fitted classifier never saw."""
    unknown = sorted(set(np.asarray(y_true).tolist()) - set(np.asarray(classes).tolist()), key=str)
    if unknown:
        raise ValueError(
            f"labels {unknown} were not among the classes seen in fit ({list(classes)}); "
            "a model cannot be scored on classes it was not trained on"
        )


def unweighted_accuracy(y_true, y_pred, labels=None):
    """Mean of per-class recalls over the classes present in ``y_true`` (or ``labels``)."""
    y_true = np.asarray(y_true)
    if labels is None:
        labels = np.unique(y_true)
    return float(recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def weighted_accuracy(y_true, y_pred):
    """Share of utterances classified correctly."""
    return float(accuracy_score(y_true, y_pred))


ua_scorer = make_scorer(unweighted_accuracy)
wa_scorer = make_scorer(weighted_accuracy)

#: Multi-metric scoring for ``cross_validate(..., scoring=SCORING)``.
SCORING = {"ua": ua_scorer, "wa": wa_scorer}


def head_scorer(metric="uar", head=0):
    """A scorer of one target of a multi-output classifier (e.g. Wieser et al.'s valence and
    arousal heads): ``"uar"`` (unweighted average recall, the UA) or ``"war"`` (weighted average
    recall, the accuracy) of column ``head`` of ``predict(X)`` against column ``head`` of y, for
    ``cross_validate(..., scoring={"uar_valence": head_scorer("uar", 0), ...})``.
    """
    metrics = {"uar": unweighted_accuracy, "war": weighted_accuracy}
    if metric not in metrics:
        raise ValueError(f"metric must be 'uar' or 'war', got {metric!r}")

    def score(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.ndim != 2 or not 0 <= head < y_true.shape[1]:
            raise ValueError(f"head {head} is not a column of y (shape {y_true.shape})")
        return metrics[metric](y_true[:, head], y_pred[:, head])

    return make_scorer(score)


def get_scorer(name):
    """``"ua"`` / ``"wa"`` (any case), else sklearn's scorer of that name."""
    key = name.lower() if isinstance(name, str) else name
    if key in SCORING:
        return SCORING[key]
    return _sk_get_scorer(name)
