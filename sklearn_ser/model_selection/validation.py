"""A speaker-disjoint validation split, for early stopping (skorch's ``train_split``)."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupShuffleSplit

from .splitters import _check_groups


def speaker_validation_split(groups, valid_fraction=0.2, random_state=None):
    """Indices (train, valid) with whole speakers held out: about ``valid_fraction`` of speakers.

    Needs at least two speakers; the validation side always has at least one.
    """
    groups = _check_groups(groups)
    n_speakers = len(np.unique(groups))
    if n_speakers < 2:
        raise ValueError("a speaker-disjoint validation split needs at least 2 speakers")
    n_valid = min(max(1, int(round(valid_fraction * n_speakers))), n_speakers - 1)
    splitter = GroupShuffleSplit(n_splits=1, test_size=n_valid, random_state=random_state)
    return next(splitter.split(np.zeros(len(groups)), groups=groups))


class SpeakerValidSplit:
    """skorch ``train_split`` that holds out whole speakers for validation.

    Pass speakers at fit: ``net.fit(X, y, groups=speakers)`` (through a Pipeline:
    ``pipe.fit(X, y, net__groups=speakers)``); skorch forwards them here. Refuses to split
    without them, because a random utterance split would put a speaker on both sides.

    Parameters
    ----------
    valid_fraction : float, default=0.2
    random_state : int or None, default=0
    """

    def __init__(self, valid_fraction=0.2, random_state=0):
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    def __call__(self, dataset, y=None, groups=None):
        from torch.utils.data import Subset

        if groups is None:
            raise ValueError(
                "SpeakerValidSplit needs the speaker of every training utterance: "
                "fit(X, y, groups=speakers)"
            )
        if len(groups) != len(dataset):
            raise ValueError(f"groups has {len(groups)} entries for {len(dataset)} training samples")
        train, valid = speaker_validation_split(groups, self.valid_fraction, self.random_state)
        return Subset(dataset, train), Subset(dataset, valid)

    def __repr__(self):
        return f"SpeakerValidSplit(valid_fraction={self.valid_fraction}, random_state={self.random_state})"
