"""skorch wrappers of the networks (DESIGN §2): sklearn classifiers over the representations."""
from .net import SERNetClassifier, SERStepNetClassifier

__all__ = ["SERNetClassifier", "SERStepNetClassifier"]
