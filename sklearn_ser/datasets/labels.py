"""Label maps across corpora, multi-corpus aggregation, and dimensional-to-categorical mappings."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Kim et al. 2017's four-class subset: every corpus label that means one of them, else dropped.
KIM_LABEL_MAP = {
    "neutral": "neutral", "happy": "happy", "joy": "happy", "excited": "happy",
    "sad": "sad", "sadness": "sad", "angry": "angry", "anger": "angry",
}

#: FEELTRACE landmarks (valence, arousal) of the four categories, Kim et al. 2017, Table 2.
FEELTRACE_LANDMARKS = {
    "neutral": (0.00, 0.00),
    "happy": (0.74, 0.52),
    "angry": (-0.77, 0.75),
    "sad": (-0.70, -0.48),
}


def combine_corpora(corpora, label_map=None):
    """Stack corpora into one DataFrame with a ``corpus`` column and corpus-prefixed speakers.

    Parameters
    ----------
    corpora : dict of str -> DataFrame
        Each as returned by a reader (``audio``, ``speaker``, ``label``, ...).
    label_map : dict, or dict of str -> dict, optional
        Maps each corpus's labels to shared names; rows whose label is not in the map are dropped
        (e.g. :data:`KIM_LABEL_MAP`). A dict of dicts keyed by corpus name gives each corpus its
        own map; a corpus without one keeps its labels.

    Speakers become ``"<corpus>:<speaker>"`` so IDs never collide across corpora.
    """
    per_corpus = bool(label_map) and all(isinstance(v, dict) for v in label_map.values())
    frames = []
    for name, frame in corpora.items():
        if ":" in name:
            raise ValueError(f"corpus name {name!r} must not contain ':'")
        frame = frame.copy()
        mapping = label_map.get(name) if per_corpus else label_map
        if mapping is not None:
            frame["label"] = frame["label"].map(mapping)
            frame = frame.dropna(subset=["label"])
        frame["speaker"] = name + ":" + frame["speaker"].astype(str)
        frame.insert(0, "corpus", name)
        frames.append(frame)
    if not frames:
        raise ValueError("no corpora to combine")
    return pd.concat(frames, ignore_index=True)


def shared_label_map(corpora, label_map=None):
    """The label map of a cross-corpus test: each label that every corpus has (after ``label_map``,
    as :func:`combine_corpora` applies it) to itself, to pass to :func:`combine_corpora`, which then
    drops every other label.

    Parameters
    ----------
    corpora : dict of str -> DataFrame
        Each with a ``label`` column.
    label_map : dict, or dict of str -> dict, optional
        Applied first, as in :func:`combine_corpora` (e.g. :data:`KIM_LABEL_MAP`).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"label": ["angry", "boredom", "sad"]})
    >>> b = pd.DataFrame({"label": ["sad", "surprise", "angry"]})
    >>> shared_label_map({"emodb": a, "tess": b})
    {'angry': 'angry', 'sad': 'sad'}
    """
    per_corpus = bool(label_map) and all(isinstance(v, dict) for v in label_map.values())
    label_sets = []
    for name, frame in corpora.items():
        mapping = label_map.get(name) if per_corpus else label_map
        labels = frame["label"] if mapping is None else frame["label"].map(mapping).dropna()
        label_sets.append(set(labels))
    shared = sorted(set.intersection(*label_sets), key=str) if label_sets else []
    if len(shared) < 2:
        raise ValueError(f"the corpora {sorted(corpora)} share {len(shared)} class(es) {shared}; a "
                         "cross-corpus test needs at least 2 (map their labels to common names first)")
    if label_map is None:
        return {label: label for label in shared}
    if per_corpus:  # each corpus's own names to the shared ones
        return {name: {k: v for k, v in label_map.get(name, {}).items() if v in shared} or
                {label: label for label in shared} for name in corpora}
    return {k: v for k, v in label_map.items() if v in shared}


def feeltrace_category(valence, arousal, landmarks=None):
    """Category whose FEELTRACE landmark is nearest on average (Kim et al. 2017, §3).

    ``valence`` and ``arousal`` are, per utterance, a number or a sequence of traced values in
    [-1, 1]; the Euclidean distance to each landmark is averaged over the sequence and the category
    with the smallest mean distance wins. Returns an array of category names.
    """
    landmarks = FEELTRACE_LANDMARKS if landmarks is None else landmarks
    names = list(landmarks)
    points = np.asarray([landmarks[n] for n in names], dtype=float)
    out = []
    for v, a in zip(np.atleast_1d(np.asarray(valence, dtype=object)),
                    np.atleast_1d(np.asarray(arousal, dtype=object))):
        trace = np.column_stack([np.atleast_1d(np.asarray(v, float)), np.atleast_1d(np.asarray(a, float))])
        if not np.all(np.isfinite(trace)):
            raise ValueError("valence/arousal traces must be finite")
        distances = np.linalg.norm(trace[:, None, :] - points[None], axis=2).mean(axis=0)
        out.append(names[int(np.argmin(distances))])
    return np.asarray(out, dtype=object)


def bin_low_mid_high(values, centre=3.0):
    """Latif et al. 2017: low (< centre), mid (== centre), high (> centre) on IEMOCAP's 1-5 scale."""
    values = np.asarray(values, dtype=float)
    return np.where(values < centre, "low", np.where(values > centre, "high", "mid")).astype(object)


def bin_five_levels(values, low=1.0, high=5.0):
    """Wieser et al. 2020: five classes 1..5, rounding mean ratings to the nearest level."""
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("ratings must be finite")
    scaled = (values - low) / (high - low) * 4 + 1
    return np.clip(np.floor(scaled + 0.5), 1, 5).astype(int)
