"""skorch wrappers of the networks (DESIGN §2): sklearn classifiers over the representations, and
the autoencoders that learn segment codes (Latif et al. 2017) and a net with a head per target
(Wieser et al. 2020); the augmentations of their training batches."""
from .augment import BatchAugmentation, Compose, FrequencyWarp
from .augment_masking import SpecAugment
from .augment_names import make_augmentation
from .augment_waveform import AdditiveNoise, PitchShift, SpeedPerturbation
from .autoencoders import AEEncoder, CVAEEncoder, VAEEncoder
from .multihead import HEAD_UPDATES, MultiHeadNetClassifier
from .net import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier, pool_posteriors
from .sequence import LatentLSTMClassifier

__all__ = ["AEEncoder", "AdditiveNoise", "BatchAugmentation", "CVAEEncoder", "Compose", "FrequencyWarp",
           "HEAD_UPDATES", "LatentLSTMClassifier", "MultiHeadNetClassifier", "PitchShift",
           "SegmentNetClassifier", "SERNetClassifier", "SERStepNetClassifier", "SpecAugment",
           "SpeedPerturbation", "VAEEncoder", "make_augmentation", "pool_posteriors"]
