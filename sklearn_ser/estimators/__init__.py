"""skorch wrappers of the networks (DESIGN §2): sklearn classifiers over the representations, and
the autoencoders that learn segment codes (Latif et al. 2017) and a net with a head per target
(Wieser et al. 2020)."""
from .augment import FrequencyWarp
from .autoencoders import AEEncoder, CVAEEncoder, VAEEncoder
from .multihead import HEAD_UPDATES, MultiHeadNetClassifier
from .net import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier, pool_posteriors
from .sequence import LatentLSTMClassifier

__all__ = ["AEEncoder", "CVAEEncoder", "FrequencyWarp", "HEAD_UPDATES", "LatentLSTMClassifier",
           "MultiHeadNetClassifier", "SegmentNetClassifier",
           "SERNetClassifier", "SERStepNetClassifier", "VAEEncoder", "pool_posteriors"]
