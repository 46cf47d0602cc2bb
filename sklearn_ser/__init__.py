"""sklearn-ser: speech emotion recognition as scikit-learn estimators.

Submodules are imported on use, so that reading audio or fitting an SVM never pays for torch.
"""
from ._version import __version__
from .exceptions import InvalidUtteranceError

__all__ = ["__version__", "InvalidUtteranceError", "enroll"]


def enroll(model, X):
    """Store the statistics of the speakers of X in a fitted model's per-speaker steps (see
    :func:`sklearn_ser.features.enroll`)."""
    from .features.speaker import enroll as _enroll

    return _enroll(model, X)
