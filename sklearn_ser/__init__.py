"""sklearn-ser: speech emotion recognition as scikit-learn estimators.

Submodules are imported on use, so that reading audio or fitting an SVM never pays for torch.
"""
from ._version import __version__
from .exceptions import InvalidUtteranceError, ModelFormatError

__all__ = ["__version__", "InvalidUtteranceError", "ModelFormatError", "enroll", "load", "save"]


def enroll(model, X):
    """Store the statistics of the speakers of X in a fitted model's per-speaker steps (see
    :func:`sklearn_ser.features.enroll`)."""
    from .features.speaker import enroll as _enroll

    return _enroll(model, X)


def save(model, path):
    """Save a fitted model in the safe format (see :mod:`sklearn_ser.persistence`)."""
    from .persistence import save as _save

    return _save(model, path)


def load(path):
    """Load a model saved by :func:`save`; no code from the file runs (see :mod:`sklearn_ser.persistence`)."""
    from .persistence import load as _load

    return _load(path)
