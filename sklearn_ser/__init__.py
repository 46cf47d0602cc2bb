"""sklearn-ser: speech emotion recognition as scikit-learn estimators.

Submodules are imported on use, so that reading audio or fitting an SVM never pays for torch.
"""
from ._version import __version__
from .exceptions import InvalidUtteranceError

__all__ = ["__version__", "InvalidUtteranceError"]
