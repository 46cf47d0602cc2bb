"""Speaker-independent splitters: they refuse to run without speaker groups."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state

from ..audio import check_no_missing


def _check_groups(groups, n_samples=None):
    if groups is None:
        raise ValueError(
            "speaker-independent splitting needs the speaker of every utterance: pass groups=speakers"
        )
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(f"groups must be 1-D (one speaker per utterance), got shape {groups.shape}")
    if n_samples is not None and len(groups) != n_samples:
        raise ValueError(f"groups has {len(groups)} entries for {n_samples} utterances")
    check_no_missing(groups, "speaker")
    return groups


class LeaveOneSpeakerOut(LeaveOneGroupOut):
    """One fold per speaker: train on all others, test on that one.

    Parameters
    ----------
    test_speakers : sequence, optional
        Only the folds that test these speakers (each still trains on every other speaker): a
        reduced protocol for systems too slow for all folds.

    Examples
    --------
    >>> from sklearn_ser.model_selection import LeaveOneSpeakerOut
    >>> LeaveOneSpeakerOut().get_n_splits(groups=["a", "a", "b", "c"])
    3
    >>> [test.tolist() for _, test in LeaveOneSpeakerOut(["c"]).split([0] * 4, groups=["a", "a", "b", "c"])]
    [[3]]
    """

    def __init__(self, test_speakers=None):
        self.test_speakers = test_speakers

    def _chosen(self, groups):
        if self.test_speakers is None:
            return None
        chosen = np.asarray(list(self.test_speakers))
        missing = sorted(set(chosen.tolist()) - set(np.asarray(groups).tolist()))
        if missing:
            raise ValueError(f"test_speakers {missing} are not among the speakers of the data")
        return chosen

    def split(self, X, y=None, groups=None):
        groups = _check_groups(groups, len(X))
        chosen = self._chosen(groups)
        for train, test in super().split(X, y, groups):
            if chosen is None or np.isin(groups[test[0]], chosen):
                yield train, test

    def get_n_splits(self, X=None, y=None, groups=None):
        groups = _check_groups(groups)
        chosen = self._chosen(groups)
        return super().get_n_splits(X, y, groups) if chosen is None else len(np.unique(chosen))


class SpeakerKFold(GroupKFold):
    """K folds of whole speakers (sklearn's GroupKFold, refusing to run without speakers).

    Examples
    --------
    >>> from sklearn_ser.model_selection import SpeakerKFold
    >>> SpeakerKFold(n_splits=2).get_n_splits(groups=["a", "b", "c"])
    2
    """

    def split(self, X, y=None, groups=None):
        _check_groups(groups, len(X))
        return super().split(X, y, groups)


def speaker_corpus(speakers):
    """Corpus of each speaker ID: the part before ``:`` (as ``combine_corpora`` writes), else ''."""
    return np.asarray([s.split(":", 1)[0] if ":" in s else "" for s in map(str, speakers)])


class KimSpeakerSplit(BaseCrossValidator):
    """Kim et al. 2017's protocol: per corpus, speakers shuffled into 60/20/20 train/validation/test,
    merged across corpora; repeated ``n_splits`` times with fresh shuffles.

    ``split`` yields (train + validation, test) so it plugs into ``cross_validate``; the estimator
    splits its own speaker-disjoint validation set for early stopping.
    :meth:`split_with_validation` yields the three parts as the paper used them. The corpus of a
    speaker is the prefix before ``:`` in its ID (see :func:`~sklearn_ser.datasets.combine_corpora`).

    Parameters
    ----------
    n_splits : int, default=5
    fractions : (float, float, float), default=(0.6, 0.2, 0.2)
    random_state : int, RandomState or None, default=None
    """

    def __init__(self, n_splits=5, fractions=(0.6, 0.2, 0.2), random_state=None):
        self.n_splits = n_splits
        self.fractions = fractions
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def split_with_validation(self, X, y=None, groups=None):
        groups = _check_groups(groups, len(X))
        if not np.isclose(sum(self.fractions), 1.0) or min(self.fractions) < 0:
            raise ValueError(f"fractions must be non-negative and sum to 1, got {self.fractions}")
        rng = check_random_state(self.random_state)
        corpora = speaker_corpus(groups)
        for _ in range(self.n_splits):
            parts = {"train": [], "valid": [], "test": []}
            for corpus in np.unique(corpora):
                speakers = np.unique(groups[corpora == corpus])
                if len(speakers) < 3:
                    raise ValueError(
                        f"corpus {corpus or '(unnamed)'} has {len(speakers)} speakers; "
                        "a train/validation/test split by speaker needs at least 3"
                    )
                speakers = rng.permutation(speakers)
                n_test = max(1, int(round(self.fractions[2] * len(speakers))))
                n_valid = max(1, int(round(self.fractions[1] * len(speakers))))
                parts["test"].extend(speakers[:n_test])
                parts["valid"].extend(speakers[n_test:n_test + n_valid])
                parts["train"].extend(speakers[n_test + n_valid:])
            yield tuple(np.flatnonzero(np.isin(groups, parts[k])) for k in ("train", "valid", "test"))

    def _iter_test_masks(self, X=None, y=None, groups=None):
        raise NotImplementedError  # split is overridden

    def split(self, X, y=None, groups=None):
        for train, valid, test in self.split_with_validation(X, y, groups):
            yield np.sort(np.concatenate([train, valid])), test


def check_speaker_disjoint(groups, *index_sets):
    """Raise if any speaker appears in more than one of the index sets (a speaker leak)."""
    groups = np.asarray(groups)
    seen = {}
    for k, idx in enumerate(index_sets):
        for speaker in np.unique(groups[np.asarray(idx, dtype=int)]):
            if speaker in seen and seen[speaker] != k:
                raise AssertionError(f"speaker {str(speaker)!r} appears in split parts {seen[speaker]} and {k}")
            seen[speaker] = k
