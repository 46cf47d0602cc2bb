"""A speaker-disjoint validation split, for early stopping (skorch's ``train_split``)."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import BaseCrossValidator, GroupShuffleSplit

from .splitters import _check_groups


def speaker_validation_split(groups, valid_fraction=0.2, random_state=None, always_train=()):
    """Indices (train, valid) with whole speakers held out: about ``valid_fraction`` of speakers.

    Needs at least two speakers; the validation side always has at least one. The speakers of
    ``always_train`` are never held out (nor counted in the fraction): the rest are split as if
    they were alone, so the same speakers are held out with or without them, and they all train.

    Examples
    --------
    >>> from sklearn_ser.model_selection import speaker_validation_split
    >>> groups = ["a", "a", "b", "b", "tess:OAF", "tess:OAF"]
    >>> [v.tolist() for v in speaker_validation_split(groups, 0.5, 0, always_train={"tess:OAF"})]
    [[0, 1, 4, 5], [2, 3]]
    """
    groups = _check_groups(groups)
    candidates = np.flatnonzero(~np.isin(groups, list(always_train))) if len(always_train) else np.arange(len(groups))
    n_speakers = len(np.unique(groups[candidates]))
    trains_anyway = len(candidates) < len(groups)
    if n_speakers < (1 if trains_anyway else 2):
        raise ValueError("a speaker-disjoint validation split needs at least 2 speakers"
                         + (" (besides those that always train)" if len(always_train) else ""))
    n_valid = min(max(1, int(round(valid_fraction * n_speakers))), n_speakers - (0 if trains_anyway else 1))
    splitter = GroupShuffleSplit(n_splits=1, test_size=n_valid, random_state=random_state)
    _, valid = next(splitter.split(np.zeros(len(candidates)), groups=groups[candidates]))
    valid = candidates[valid]
    return np.setdiff1d(np.arange(len(groups)), valid), valid


class SpeakerHoldout(BaseCrossValidator):
    """A splitter with one split: :func:`speaker_validation_split`, about ``valid_fraction`` of the
    speakers held out.

    Like scikit-learn's group splitters it requests ``groups`` by default, so metadata routing
    hands it the speakers.

    Parameters
    ----------
    valid_fraction : float, default=0.2
    random_state : int, RandomState or None, default=None
    always_train : collection of speakers, default=()
        Never held out (see :func:`speaker_validation_split`).

    Examples
    --------
    >>> from sklearn_ser.model_selection import SpeakerHoldout
    >>> [valid.tolist() for _, valid in SpeakerHoldout(0.5, random_state=0).split(
    ...     [0] * 4, groups=["a", "a", "b", "b"])]
    [[2, 3]]
    """

    __metadata_request__split = {"groups": True}
    always_train = ()  # what a splitter saved before it had the parameter reads

    def __init__(self, valid_fraction=0.2, random_state=None, always_train=()):
        self.valid_fraction = valid_fraction
        self.random_state = random_state
        self.always_train = always_train

    def split(self, X, y=None, groups=None):
        groups = _check_groups(groups, len(X))
        yield speaker_validation_split(groups, self.valid_fraction, self.random_state, self.always_train)

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
    always_train : collection of speakers, default=()
        Speakers never held out: :func:`~sklearn_ser.model_selection.evaluate` sets those of an
        added training corpus (``extra_train``) here, so that early stopping watches speakers of
        the corpus under test only.
    """

    always_train = ()  # what a net saved before the parameter existed reads

    def __init__(self, valid_fraction=0.2, random_state=None, always_train=()):
        self.valid_fraction = valid_fraction
        self.random_state = random_state
        self.always_train = always_train

    @property
    def cv(self):
        """The splitter skorch routes ``groups`` to and splits with."""
        return SpeakerHoldout(self.valid_fraction, self.random_state, self.always_train)

    def __call__(self, dataset, y=None, groups=None):
        from skorch.dataset import ValidSplit  # torch only once a net splits

        return ValidSplit(self.cv)(dataset, y, groups=groups)

    def with_random_state(self, random_state):
        """A copy drawing its speakers from ``random_state``."""
        return SpeakerValidSplit(self.valid_fraction, random_state, self.always_train)

    def __repr__(self):
        extra = f", always_train={sorted(self.always_train, key=str)}" if len(self.always_train) else ""
        return f"SpeakerValidSplit(valid_fraction={self.valid_fraction}, random_state={self.random_state}{extra})"
