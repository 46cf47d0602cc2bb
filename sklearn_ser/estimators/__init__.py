"""skorch wrappers of the networks (DESIGN §2): sklearn classifiers over the representations."""
from .net import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier, pool_posteriors

__all__ = ["SegmentNetClassifier", "SERNetClassifier", "SERStepNetClassifier", "pool_posteriors"]
