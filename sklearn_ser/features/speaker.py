"""Per-speaker normalisation (DESIGN §1): statistics of each speaker's own utterances."""
from __future__ import annotations

import warnings

import numpy as np


def standardize_per_speaker(features, speakers):
    """Z-score each speaker's rows with that speaker's own mean and standard deviation.

    This is unsupervised speaker adaptation: it uses a test speaker's features, never labels.
    With ``speakers=None`` every row is treated as one speaker, with a warning. Constant columns
    (and speakers with a single utterance) are centred only.
    """
    features = np.asarray(features, dtype=np.float64)
    if speakers is None:
        warnings.warn(
            "per-speaker standardisation needs a 'speaker' column in X; "
            "standardising the whole batch as if it were one speaker",
            UserWarning,
            stacklevel=3,
        )
        speakers = np.zeros(len(features))
    speakers = np.asarray(speakers)
    out = np.empty_like(features)
    for speaker in np.unique(speakers):
        rows = speakers == speaker
        block = features[rows]
        std = block.std(axis=0)
        out[rows] = (block - block.mean(axis=0)) / np.where(std > 1e-12, std, 1.0)
    return out.astype(np.float32)
