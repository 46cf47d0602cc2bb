"""Per-speaker normalisation (DESIGN §1): a speaker's own statistics when enough of its audio is at
hand, statistics that need no other utterance otherwise.

A speaker's statistics come from, in this order: an earlier enrolment (:func:`enroll`), or at
least ``min_utterances`` of its utterances in the same call. An utterance whose speaker has
neither, or is unknown, falls back: to the training population's statistics for z-scoring, to its
own range for min-max gain. So an utterance's output never depends on other speakers' utterances
in the call, and a lone utterance is never standardised against itself (which zeroes it).
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: utterances of a speaker in one call before its own statistics replace the population's: enough
#: for stable means and deviations of a few hundred features, fewer than a speaker has in the corpora
MIN_UTTERANCES = 10

ENROLLED, OWN, FALLBACK = "enrolled", "own", "fallback"


@dataclass(frozen=True)
class ZStats:
    """Mean and deviation of each bin (last axis), and how many utterances they came from."""

    mean: np.ndarray
    scale: np.ndarray
    n_utterances: int


@dataclass(frozen=True)
class SpeakerProfile:
    """What enrolment stores for a speaker: its gain range and/or its z-score statistics."""

    gain: tuple | None = None
    zscore: ZStats | None = None


def zscore_stats(blocks, flat_scale=1.0):
    """:class:`ZStats` over the rows (last axis = bins) of all ``blocks`` (one per utterance); a bin
    that does not vary (one utterance of one row each, or a constant feature) gets ``flat_scale``."""
    rows = np.concatenate([np.asarray(b).reshape(-1, np.shape(b)[-1]) for b in blocks])
    std = rows.std(axis=0, dtype=np.float64)
    return ZStats(mean=rows.mean(axis=0, dtype=np.float64).astype(np.float32),
                  scale=np.where(std > 1e-6, std, flat_scale).astype(np.float32), n_utterances=len(blocks))


def average_speaker(stats):
    """Population statistics: the mean of the speakers' means and the root mean of their variances,
    each speaker weighing the same. The within-speaker spread, not the between-speaker one, so a
    fallback utterance lands on the scale the classifier was trained on."""
    stats = list(stats)
    mean = np.mean([s.mean for s in stats], axis=0)
    scale = np.sqrt(np.mean([np.square(s.scale, dtype=np.float64) for s in stats], axis=0))
    return ZStats(mean=mean.astype(np.float32), scale=scale.astype(np.float32),
                  n_utterances=sum(s.n_utterances for s in stats))


def apply_zscore(x, stats):
    return (np.asarray(x, dtype=np.float32) - stats.mean) / stats.scale


def spoken_rows(item, silence=None):
    """The rows (last axis = bins) of one utterance's output that are not all ``silence`` (padding);
    all rows if every one is."""
    rows = np.asarray(item).reshape(-1, np.shape(item)[-1])
    if silence is None:
        return rows
    spoken = (rows > silence).any(axis=1)
    return rows[spoken] if spoken.any() else rows


def known_speakers(speakers, n):
    """Speaker of each of ``n`` utterances as an object array, None where unknown (no column, NaN)."""
    if speakers is None:
        return np.full(n, None, dtype=object)
    # one type of key: speaker 3 read from a CSV and "3" from the command line are one speaker
    return np.array([None if pd.isna(s) else str(s) for s in speakers], dtype=object)


def statistics_plan(speakers, enrolled, min_utterances):
    """Where each utterance's speaker statistics come from: ``(ENROLLED, s)``, ``(OWN, s)`` (its
    speaker's utterances in this call) or ``(FALLBACK, s)``; and the speakers that fell back."""
    count = Counter(s for s in speakers if s is not None)
    plan, fell_back = [], []
    for s in speakers:
        if s is not None and s in enrolled:
            plan.append((ENROLLED, s))
        elif s is not None and count[s] >= min_utterances:
            plan.append((OWN, s))
        else:
            plan.append((FALLBACK, s))
            fell_back.append(s)
    return plan, fell_back


def rows_of(plan, source):
    """Indices of the utterances planned ``source``, grouped by speaker."""
    groups = {}
    for i, (kind, speaker) in enumerate(plan):
        if kind == source:
            groups.setdefault(speaker, []).append(i)
    return groups


def warn_fallback(fell_back, min_utterances, instead):
    """One warning per call naming the speakers that fell back."""
    if not fell_back:
        return
    unknown = sum(s is None for s in fell_back)
    named = sorted({str(s) for s in fell_back if s is not None})
    parts = []
    if named:
        shown = ", ".join(map(repr, named[:10])) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
        parts.append(f"speaker(s) {shown} with fewer than min_utterances={min_utterances} utterances "
                     "in this call and not enrolled")
    if unknown:
        parts.append(f"{unknown} utterance(s) without a speaker (no 'speaker' column, or NaN)")
    warnings.warn(f"per-speaker normalisation: {'; '.join(parts)}: {instead} "
                  "(enroll a speaker's audio first to use its own statistics: sklearn_ser.enroll)",
                  UserWarning, stacklevel=4)


def check_min_utterances(min_utterances):
    if not isinstance(min_utterances, (int, np.integer)) or min_utterances < 2:
        raise ValueError(f"min_utterances must be an integer of at least 2, got {min_utterances!r}: "
                         "one utterance standardised against itself is all zeros")
    return int(min_utterances)


def require_speakers(speakers, what):
    if speakers is None or any(s is None for s in speakers):
        raise ValueError(f"{what} needs the speaker of every utterance: pass X as a DataFrame with a "
                         "'speaker' column (no missing values)")


def standardize_per_speaker(features, speakers):
    """Z-score each speaker's rows with that speaker's own mean and standard deviation, however few
    they are (a pure function; the transformers' ``speaker_norm`` adds the population fallback).

    Examples
    --------
    >>> import numpy as np
    >>> z = standardize_per_speaker(np.array([[1.], [3.], [10.], [20.]]), ["a", "a", "b", "b"])
    >>> z.ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    features = np.asarray(features, dtype=np.float32)
    require_speakers(known_speakers(speakers, len(features)), "standardize_per_speaker")
    speakers = np.asarray(speakers)
    out = np.empty_like(features)
    for speaker in np.unique(speakers):
        rows = speakers == speaker
        out[rows] = apply_zscore(features[rows], zscore_stats(features[rows]))
    return out


def gain_range(waves):
    """(lowest, highest) sample over ``waves``."""
    return (float(min(w.min() for w in waves)), float(max(w.max() for w in waves)))


def apply_gain_range(y, low, high):
    """Map ``low`` to -1 and ``high`` to +1 (a flat range only shifts)."""
    span = high - low if high > low else 1.0
    scale = 2.0 / span
    out = np.multiply(y, np.float32(scale), dtype=np.float32)
    out -= np.float32(low * scale + 1.0)
    return out


def minmax_gain_per_speaker(waves, speakers):
    """Scale each speaker's audio so that its smallest sample maps to -1 and its largest to +1
    (Kim et al. 2017: "min-max normalisation of gains per speaker"), with one range per speaker over
    all of that speaker's utterances in ``waves`` (a pure function; ``gain_norm="speaker"`` of the
    representations adds the lone-utterance fallback)."""
    speakers = known_speakers(speakers, len(waves))
    require_speakers(speakers, "minmax_gain_per_speaker")
    ranges = {s: gain_range([w for w, t in zip(waves, speakers) if t == s]) for s in set(speakers)}
    return [apply_gain_range(w, *ranges[s]) for w, s in zip(waves, speakers)]


def _adaptive_steps(model):
    """The fitted steps of ``model`` (a Pipeline, a fusion of members, or a step) that adapt to
    speakers, each with the input it receives: [(step, steps before it in its pipeline)]."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        found = []
        steps = [step for _, step in model.steps if step not in (None, "passthrough")]
        for i, step in enumerate(steps):
            found += [(inner, steps[:i] + before) for inner, before in _adaptive_steps(step)]
        return found
    if getattr(model, "adapts_to_speakers", False):
        return [(model, [])]
    members = getattr(model, "estimators_", None) or []
    return [found for member in members
            for found in _adaptive_steps(member[1] if isinstance(member, tuple) else member)]


def enroll(model, X):
    """Store the statistics of the speakers of ``X`` in every per-speaker step of a fitted model
    (a Pipeline, a fusion of members, or a transformer), so that their utterances are later
    normalised with them even when predicted one at a time. ``X`` is a DataFrame with ``audio``
    and ``speaker`` columns (unlabelled audio of those speakers; the more the better, 10
    utterances or more as a rule). Enrolling a speaker again replaces its statistics. A step with
    ``domain_norm=True`` stores the statistics of the domains of X's ``domain`` (or ``corpus``)
    column the same way (a domain-only step needs no ``speaker`` column).

    Returns the model. Raises ValueError if the model has no per-speaker step.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_ser.features import LLDFunctionals, enroll
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"audio": [rng.uniform(-.5, .5, 8000) for _ in range(4)],
    ...                       "speaker": ["a", "a", "b", "b"]})
    >>> step = LLDFunctionals(speaker_norm=True, min_utterances=2).fit(train)
    >>> new = pd.DataFrame({"audio": [rng.uniform(-.1, .1, 8000) for _ in range(3)], "speaker": "c"})
    >>> sorted(enroll(step, new).enrolled_)
    ['c']
    """
    found = _adaptive_steps(model)
    if not found:
        raise ValueError(f"{type(model).__name__} has no per-speaker normalisation step to enroll "
                         "speakers in (speaker_norm=True, gain_norm='speaker' or domain_norm=True)")
    for step, before in found:
        Xt = X
        for previous in before:
            Xt = previous.transform(Xt)
        step.enroll(Xt)
    return model
