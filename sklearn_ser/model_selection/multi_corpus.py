"""Training folds that also hold another corpus: the utterances of ``evaluate(...,
extra_train=...)``, added to the training side of every fold and never to a test side."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..datasets import combine_corpora
from .validation import SpeakerValidSplit

REQUIRED_COLUMNS = ("audio", "speaker", "label")


def _per_corpus(extra_train):
    """``extra_train`` as {corpus name: DataFrame}: a dict as it is, a DataFrame split by its
    ``corpus`` column, or named "extra" without one."""
    if isinstance(extra_train, pd.DataFrame):
        if "corpus" in extra_train.columns:
            return {str(name): frame.drop(columns="corpus")
                    for name, frame in extra_train.groupby("corpus", sort=True)}
        return {"extra": extra_train}
    if isinstance(extra_train, dict) and extra_train and all(isinstance(f, pd.DataFrame) for f in extra_train.values()):
        return {str(name): frame.drop(columns="corpus", errors="ignore") for name, frame in extra_train.items()}
    raise TypeError("extra_train must be a DataFrame of utterances (audio, speaker, label columns) or a "
                    f"dict of them by corpus name, got {type(extra_train).__name__}")


def extra_training_utterances(extra_train, classes, label_map=None):
    """The utterances of ``extra_train`` as they join a corpus whose classes are ``classes``.

    Each corpus's labels go through ``label_map`` (one dict for all, or a dict of dicts by corpus
    name, as :func:`~sklearn_ser.datasets.combine_corpora` takes them; default: the labels as they
    are), then every utterance whose label is not in ``classes`` is dropped: a class the main
    corpus lacks cannot be tested, and a model trained on it would spend outputs on it. Speakers
    become ``"<corpus>:<speaker>"`` and a ``corpus`` column names each row's corpus.

    Returns
    -------
    utterances : DataFrame (``corpus``, ``audio``, ``speaker``, ``label``, ...)
    summary : dict, per corpus: the utterances kept, their speakers, and the labels dropped with
        their counts

    Examples
    --------
    >>> import pandas as pd
    >>> tess = pd.DataFrame({"audio": ["a.wav", "b.wav", "c.wav"], "speaker": ["OAF", "OAF", "YAF"],
    ...                      "label": ["angry", "surprise", "sad"]})
    >>> rows, summary = extra_training_utterances({"tess": tess}, ["angry", "boredom", "sad"])
    >>> rows["speaker"].tolist(), summary["tess"]["dropped"]
    (['tess:OAF', 'tess:YAF'], {'surprise': 1})
    """
    corpora = _per_corpus(extra_train)
    per_corpus_map = bool(label_map) and all(isinstance(v, dict) for v in label_map.values())
    classes = set(np.asarray(classes).tolist())
    maps, summary = {}, {}
    for name, frame in corpora.items():
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"extra_train corpus {name!r} lacks the column(s) {missing}; it needs {list(REQUIRED_COLUMNS)}")
        own = label_map.get(name) if per_corpus_map else label_map
        labels = frame["label"].map(own) if own is not None else frame["label"]
        maps[name] = {label: target for label, target in zip(frame["label"], labels)
                      if pd.notna(target) and target in classes}
        dropped = frame["label"][~frame["label"].isin(list(maps[name]))].value_counts()
        summary[name] = {"dropped": {str(k): int(v) for k, v in sorted(dropped.items(), key=lambda kv: str(kv[0]))}}
    rows = combine_corpora(corpora, label_map=maps)
    if rows.empty:
        raise ValueError(f"extra_train shares no class with the main corpus ({sorted(classes, key=str)}); "
                         "map its labels onto them with extra_label_map")
    for name in corpora:
        mine = rows[rows["corpus"] == name]
        summary[name].update(n_utterances=int(len(mine)), speakers=sorted(mine["speaker"].unique().tolist()))
    return rows, summary


def _as_sortable_strings(groups):
    """Speakers as strings that sort as they did (beside the added corpus's names): integer IDs
    zero-padded to one width, so speaker splits drawn over the sorted speakers hold out the same
    speakers with and without an added corpus."""
    groups = np.asarray(groups)
    if np.issubdtype(groups.dtype, np.integer) and (groups >= 0).all():
        width = len(str(groups.max()))
        return np.array([str(g).zfill(width) for g in groups])
    return groups.astype(str)


def join_training_corpus(X, y, groups, splits, extra_train, label_map=None):
    """X, y, speakers and splits with the utterances of ``extra_train`` appended after X's rows
    and added to the training side of every split (its test sides unchanged): what
    :func:`~sklearn_ser.model_selection.evaluate` runs with ``extra_train``.

    The added rows keep X's columns (their ``speaker`` and ``corpus`` as
    :func:`extra_training_utterances` gives them; a column X has and they lack is empty). Speakers
    are compared as strings: one of X named like an added one (``"tess:OAF"``) is an error, and so
    is a file path in both.

    Returns X, y, groups, splits, and a summary of what was added (per corpus).
    """
    if not isinstance(X, pd.DataFrame) or "audio" not in X.columns:
        raise TypeError("extra_train needs X as a DataFrame of utterances (an 'audio' column), so that "
                        "its rows can join X's")
    if y.ndim != 1:
        raise ValueError("extra_train is for a 1-D y (one label per utterance); got a y of shape "
                         f"{y.shape}")
    extra, summary = extra_training_utterances(extra_train, np.unique(y), label_map)
    added = sorted(set(extra["speaker"]))
    clash = sorted(set(map(str, groups)) & set(added))
    if clash:
        raise ValueError(f"the main corpus has speaker(s) {clash}, named as the added corpus's are "
                         "(<corpus>:<speaker>); rename them so that no speaker is on both sides")
    same = sorted({a for a in X["audio"] if isinstance(a, str)} & {a for a in extra["audio"] if isinstance(a, str)})
    if same:  # the corpus under test added to itself: its test utterances would train
        raise ValueError(f"extra_train holds {len(same)} of X's own files (e.g. {same[0]!r}); an added "
                         "corpus must be another one")
    rows = extra.reindex(columns=X.columns)
    rows.index = [f"{corpus}:{i}" for i, corpus in enumerate(extra["corpus"])]
    joined = pd.concat([X, rows])
    joined_groups = np.concatenate([_as_sortable_strings(groups), extra["speaker"].to_numpy(dtype=str)]).astype(object)
    joined_y = np.concatenate([y.astype(object), extra["label"].to_numpy(dtype=object)])
    if y.dtype != object:
        joined_y = joined_y.astype(y.dtype)
    extra_rows = np.arange(len(X), len(joined))
    joined_splits = [(np.concatenate([train, extra_rows]), test) for train, test in splits]
    return joined, joined_y, joined_groups, joined_splits, summary


def validating_on_main_speakers(estimator, added_speakers):
    """A clone of ``estimator`` whose nets' early-stopping splits (every
    :class:`~sklearn_ser.model_selection.SpeakerValidSplit` among its parameters, through
    Pipelines, FunctionalsELM and fusions) never hold out ``added_speakers``: early stopping
    watches speakers of the corpus under test, and the added corpus trains whole."""
    if not hasattr(estimator, "get_params"):
        return estimator
    estimator = clone(estimator)
    splits = {key: split for key, split in estimator.get_params(deep=True).items()
              if (key == "train_split" or key.endswith("__train_split")) and isinstance(split, SpeakerValidSplit)}
    return estimator.set_params(**{
        key: SpeakerValidSplit(split.valid_fraction, split.random_state,
                               frozenset(split.always_train) | frozenset(added_speakers))
        for key, split in splits.items()})
