"""A speaker-disjoint validation split, for early stopping (skorch's ``train_split``)."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import BaseCrossValidator, GroupShuffleSplit

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


class SpeakerHoldout(BaseCrossValidator):
    """A splitter with one split: :func:`speaker_validation_split`, about ``valid_fraction`` of the
    speakers held out.

    Like scikit-learn's group splitters it requests ``groups`` by default, so metadata routing
    hands it the speakers.

    Parameters
    ----------
    valid_fraction : float, default=0.2
    random_state : int, RandomState or None, default=None

    Examples
    --------
    >>> from sklearn_ser.model_selection import SpeakerHoldout
    >>> [valid.tolist() for _, valid in SpeakerHoldout(0.5, random_state=0).split(
    ...     [0] * 4, groups=["a", "a", "b", "b"])]
    [[2, 3]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, valid_fraction=0.2, random_state=None):
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    def split(self, X, y=None, groups=None):
        groups = _check_groups(groups, len(X))
        yield speaker_validation_split(groups, self.valid_fraction, self.random_state)

    def get_n_splits(self, X=None, y=None, groups=None):
        return 1


class SpeakerValidSplit:
    """skorch ``train_split`` that holds out whole speakers for validation: skorch's
    :class:`~skorch.dataset.ValidSplit` over a :class:`SpeakerHoldout`.

    Pass speakers at fit: ``net.fit(X, y, groups=speakers)`` (through a Pipeline:
    ``pipe.fit(X, y, net__groups=speakers)``, or ``groups`` routed to it under metadata routing:
    skorch routes to a ``train_split``'s ``cv``); skorch forwards them here. Refuses to split
    without them, because a random utterance split would put a speaker on both sides.

    Parameters
    ----------
    valid_fraction : float, default=0.2
    random_state : int, RandomState or None, default=None
        Draws the held-out speakers. :class:`~sklearn_ser.estimators.SERNetClassifier` fills a
        None with its own ``random_state``; used by another net, None is unseeded.
    """

    def __init__(self, valid_fraction=0.2, random_state=None):
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    @property
    def cv(self):
        """The splitter skorch routes ``groups`` to and splits with."""
        return SpeakerHoldout(self.valid_fraction, self.random_state)

    def __call__(self, dataset, y=None, groups=None):
        from skorch.dataset import ValidSplit  # torch only once a net splits

        return ValidSplit(self.cv)(dataset, y, groups=groups)

    def __repr__(self):
        return f"SpeakerValidSplit(valid_fraction={self.valid_fraction}, random_state={self.random_state})"
