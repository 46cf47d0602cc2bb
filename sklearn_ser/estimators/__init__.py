"""skorch wrappers of the networks (DESIGN §2): sklearn classifiers over the representations."""
from .augment import FrequencyWarp
from .net import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier, pool_posteriors

__all__ = ["FrequencyWarp", "SegmentNetClassifier", "SERNetClassifier", "SERStepNetClassifier", "pool_posteriors"]
