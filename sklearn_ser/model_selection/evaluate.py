"""Speaker-independent evaluation with per-fold and pooled UA/WA, confusion matrix and per-class scores."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import parallel_config
from sklearn import get_config
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from ..audio import as_utterances, check_no_missing, take_utterances
from ..metrics import check_known_labels, unweighted_accuracy, weighted_accuracy
from .multi_corpus import join_training_corpus, validating_on_main_speakers
from .splitters import LeaveOneSpeakerOut, SpeakerKFold, _check_groups, check_speaker_disjoint


def make_cv(cv, random_state=None):
    """A splitter from a spec: ``"loso"``, ``"loso:S1,S2"`` (only the folds testing speakers S1 and
    S2), ``"kfold:N"`` (speaker folds), or a splitter object."""
    if not isinstance(cv, str):
        return cv
    if cv == "loso":
        return LeaveOneSpeakerOut()
    if cv.startswith("loso:"):
        return LeaveOneSpeakerOut(test_speakers=cv.split(":", 1)[1].split(","))
    if cv.startswith("kfold:"):
        n = int(cv.split(":", 1)[1])
        if random_state is None:
            return SpeakerKFold(n_splits=n)
        return SpeakerKFold(n_splits=n, shuffle=True, random_state=random_state)
    raise ValueError(f"cv must be 'loso', 'loso:S1,S2,...', 'kfold:N' or a splitter, got {cv!r}")


def _stateless_prefix(estimator):
    """Number of leading pipeline steps that learn nothing from training data (tag requires_fit=False).

    Those steps map each utterance (or each speaker's utterances) on its own, so running them once
    on all of X gives what each fold would compute, at a tenth of the cost on ten folds.
    """
    if not isinstance(estimator, Pipeline):
        return 0
    n = 0
    for _, step in estimator.steps[:-1]:
        if step == "passthrough" or step is None:
            n += 1
            continue
        tags = getattr(step, "__sklearn_tags__", None)
        if tags is None or tags().requires_fit:
            break
        n += 1
    return n


#: utterances whose features are computed at a time when a cache is filled: the memory held
#: stays that of one block's features, whatever the corpus's size
CACHE_BLOCK = 1024


def _caches_utterances(prefix):
    """Whether every step of ``prefix`` keeps each utterance's output in a disk cache (``memory``)."""
    steps = [step for _, step in prefix.steps if step not in (None, "passthrough")]
    return bool(steps) and all(getattr(step, "memory", None) is not None and hasattr(step, "_cache_key")
                               for step in steps)


def _fill_cache(prefix, X, groups, block):
    """Run the caching steps ``prefix`` over X a block of utterances at a time, keeping nothing:
    afterwards each fold reads its utterances' features from the cache, in bounded memory. A block
    holds whole speakers, as a fold does, so that per-speaker gain finds the same range then."""
    order = np.argsort(groups.astype(str), kind="stable")
    starts = [0]
    for i in range(1, len(order)):
        if i - starts[-1] >= block and groups[order[i]] != groups[order[i - 1]]:
            starts.append(i)
    for begin, end in zip(starts, [*starts[1:], len(order)]):
        prefix.transform(take_utterances(X, np.sort(order[begin:end])))


def _utterance_ids(X):
    """The audio layer's names of X's utterances (paths, DataFrame rows), or None for features."""
    try:
        return as_utterances(X).ids
    except (TypeError, ValueError):
        return None


def speakers_of(X, groups=None):
    """``groups`` if given, else the ``speaker`` column of an utterance DataFrame X, else None."""
    if groups is not None:
        return np.asarray(groups)
    if isinstance(X, pd.DataFrame) and "speaker" in X.columns:
        return X["speaker"].to_numpy()
    return None


def speaker_fit_params(estimator, groups):
    """``fit`` keyword arguments that hand the speakers to the steps whose ``fit`` requests
    ``groups`` (a net's speaker-disjoint early stopping), by scikit-learn's public paths.

    With metadata routing on, ``{"groups": groups}`` when any step requests them (the Pipeline
    routes them there); with it off, ``{"<last step>__groups": groups}`` (``{"groups": groups}``
    for a lone estimator) when the final step requests them. A net with a speaker validation
    split and :class:`~sklearn_ser.ensemble.FunctionalsELM` request them by default; other
    estimators by ``__metadata_request__fit = {"groups": True}`` or, with routing on,
    ``set_fit_request(groups=True)``. ``{}`` when nothing requests them.
    """
    if get_config()["enable_metadata_routing"]:
        consumes = get_routing_for_object(estimator).consumes("fit", ["groups"])
        return {"groups": groups} if consumes else {}
    name, final = (estimator.steps[-1] if isinstance(estimator, Pipeline) else (None, estimator))
    if final is None or final == "passthrough" or not get_routing_for_object(final).consumes("fit", ["groups"]):
        return {}
    return {f"{name}__groups" if name else "groups": groups}


def _final_step(model):
    """The estimator a fitted model ends with: its last step if a Pipeline, else itself."""
    return model.steps[-1][1] if hasattr(model, "steps") else model


def _training_history(model):
    """The skorch history of the network a fitted model ends with (directly or inside a
    meta-estimator such as FunctionalsELM), or None."""
    final = _final_step(model)
    for candidate in (final, getattr(final, "estimator_", None)):
        if hasattr(candidate, "history_"):
            return candidate.history_
    return None


def _check_labels_trained(y, train, test, groups):
    """Refuse, before any fit, a fold whose test side holds a label its training side lacks: the
    model could not predict it (per target for a 2-D y)."""
    for h, column in enumerate(y.T if y.ndim == 2 else [y]):
        unseen = sorted(set(column[test].tolist()) - set(column[train].tolist()), key=str)
        if unseen:
            target = f" of target {h}" if y.ndim == 2 else ""
            raise ValueError(f"the fold testing speaker(s) {', '.join(map(str, np.unique(groups[test])))} has "
                             f"label(s) {unseen}{target} that its training speakers never have")


@dataclass
class _Fold:
    """One fold's work, handed to its task as one argument. joblib's Dask backend scatters every
    argument that Dask sizes above 1 kB to a single worker, where it dies with that worker and takes
    the run with it; an object reports its own size only, so this one travels inside its task, which
    the scheduler can rerun on another worker. Local backends memory-map its large arrays as ever."""

    estimator: object
    X: object
    y: np.ndarray
    groups: np.ndarray
    train: np.ndarray
    test: np.ndarray
    return_estimator: bool = False


def _in_dask_worker():
    try:
        from distributed import get_worker
    except ImportError:
        return False
    try:
        get_worker()
    except ValueError:  # not in a worker
        return False
    return True


def _fit_predict(fold):
    if not _in_dask_worker():
        return _fit_predict_here(fold)
    # On a Dask worker the folds are the parallel work: what a fold maps runs there. joblib would
    # otherwise send each of its maps back to the cluster as nested tasks (n_jobs=None meaning
    # every worker), costing more than it computes.
    with parallel_config(backend="sequential"):
        return _fit_predict_here(fold)


def _fit_predict_here(fold):
    estimator, X, y, groups, train, test = fold.estimator, fold.X, fold.y, fold.groups, fold.train, fold.test
    start = time.perf_counter()
    fit_params = speaker_fit_params(estimator, groups[train])
    model = clone(estimator).fit(take_utterances(X, train), y[train], **fit_params)
    stats = {"fit_seconds": time.perf_counter() - start}
    if y.ndim == 2:  # per target, its classes
        for h, classes in enumerate(model.classes_):
            check_known_labels(y[test][:, h], classes)
    else:
        check_known_labels(y[test], model.classes_)
    start = time.perf_counter()
    pred = model.predict(take_utterances(X, test))
    stats["predict_seconds"] = time.perf_counter() - start
    history = _training_history(model)
    if history is not None:
        stats["epochs"] = len(history)
        stats["epoch_seconds"] = float(np.mean(history[:, "dur"]))
    final = _final_step(model)
    if hasattr(final, "weights_"):  # score fusion: which mix each fold chose
        stats["fusion_weights"] = np.round(final.weights_, 4).tolist()
    return pred, stats, (model if fold.return_estimator else None)


@dataclass
class EvaluationReport:
    """Results of :func:`evaluate`. Pooled scores come from all out-of-fold predictions together;
    ``f1`` is the macro-averaged F1 over the classes (the F-measure of dimensional tasks)."""

    per_fold: pd.DataFrame
    ua: float
    wa: float
    f1: float
    confusion: pd.DataFrame
    per_class: pd.DataFrame
    y_true: np.ndarray = field(repr=False)
    y_pred: np.ndarray = field(repr=False)
    info: dict = field(default_factory=dict)
    #: with ``return_estimators=True``: per fold, the fitted model (it takes raw utterances) and
    #: the positions of its test utterances in X
    estimators: list | None = field(default=None, repr=False)
    test_indices: list | None = field(default=None, repr=False)

    def summary(self):
        """A text table: per-fold UA/WA, their mean ± std, and the pooled figures."""
        folds = self.per_fold.copy()
        folds["ua"] = folds["ua"].map("{:.3f}".format)
        folds["wa"] = folds["wa"].map("{:.3f}".format)
        folds["f1"] = folds["f1"].map("{:.3f}".format)
        lines = [folds[["fold", "test_speakers", "n_test", "ua", "wa", "f1"]].to_string(index=False), ""]
        for name in ("ua", "wa", "f1"):
            values = self.per_fold[name]
            lines.append(f"{name.upper()}: fold mean {values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0:.3f}, "
                         f"pooled {getattr(self, name):.3f}")
        return "\n".join(lines)

    def to_dict(self):
        return {
            "ua": self.ua, "wa": self.wa, "f1": self.f1,
            "per_fold": self.per_fold.to_dict(orient="records"),
            "confusion": {"labels": list(map(str, self.confusion.index)),
                          "counts": self.confusion.to_numpy().tolist()},
            "per_class": self.per_class.reset_index().to_dict(orient="records"),
            "info": self.info,
        }

    def to_json(self, path):
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, default=str))

    def plot_confusion(self, path, title=None):
        from ..inspection import plot_confusion_matrix

        return plot_confusion_matrix(self.confusion, path, title=title or f"UA {self.ua:.3f}, WA {self.wa:.3f}")


def evaluate(estimator, X, y, groups=None, cv="loso", n_jobs=None, precompute=True,
             progress=False, random_state=None, return_estimators=False, extra_train=None,
             extra_label_map=None):
    """Speaker-independent cross-validation of ``estimator`` on utterances X with labels y.

    Parameters
    ----------
    estimator : classifier or Pipeline
    X, y : utterances (DESIGN §1) and their labels
    groups : array-like, optional
        Speaker of each utterance; taken from ``X["speaker"]`` when X is a DataFrame and this is None.
        They also reach the estimator's steps that request them (a net's validation split), with
        scikit-learn's metadata routing on or off: see :func:`speaker_fit_params`.
    cv : "loso", "kfold:N" or a splitter taking groups, default="loso"
    n_jobs : int, default=None
        Folds fitted in parallel through joblib.
    precompute : bool, default=True
        Run the leading stateless steps of a Pipeline (tag ``requires_fit=False``, e.g. feature
        extraction) once on all of X instead of once per fold. Their output for an utterance
        does not depend on the training data, so the results are the same. When those steps cache
        each utterance's output on disk (their ``memory``), they run over X a block of
        :data:`CACHE_BLOCK` utterances at a time, keeping nothing in memory, and each fold carries
        its utterances (paths) and reads their features from the cache into a memory-mapped
        file, which the steps after them and a net's training read from (:mod:`sklearn_ser._disk`):
        a corpus whose features exceed the memory is evaluated in the memory of a fold's model.
    progress : bool, default=False
    random_state : int, optional
        Shuffles speaker k-folds.
    return_estimators : bool, default=False
        Keep each fold's fitted model and test positions in the report (``estimators``,
        ``test_indices``), as ``cross_validate(return_estimator=True, return_indices=True)`` does,
        e.g. to inspect each fold's net. A model takes raw utterances: precomputed steps are put back
        in front of it.
    extra_train : DataFrame, or dict of corpus name -> DataFrame, optional
        Utterances of another corpus (``audio``, ``speaker``, ``label`` columns, as a reader
        returns them) added to the training side of every fold and never to a test side: the folds
        and their test utterances are those of X alone. X must then be a DataFrame. Their labels
        go through ``extra_label_map`` and only those among the classes of y are kept (the others
        are dropped, and ``info["extra_train"]`` says which and how many); their speakers become
        ``"<corpus>:<speaker>"`` (the DataFrame's ``corpus`` column, else "extra"), so they never
        coincide with X's (a speaker of X named so is an error). The precomputed stateless steps
        run on them too. A net's early stopping (:class:`SpeakerValidSplit`) holds out speakers of
        X's training side only, the same ones as without ``extra_train``; the added corpus always
        trains. Other inner speaker splits (FunctionalsELM's share for its ELM, a fusion's inner
        folds) draw from all training speakers, the added ones included.
    extra_label_map : dict, or dict of corpus name -> dict, optional
        The extra corpus's labels to the names of y's classes, as
        :func:`~sklearn_ser.datasets.combine_corpora` takes it; default: as they are.

    Every split (with ``extra_train``: every joined one) is checked to share no speaker between
    its training and test side.

    With a 2-D y (one column per target, for a multi-output classifier such as Wieser et al.'s
    two-headed nets), each fold is fitted once on all targets and a list of reports is returned,
    one per column of y.
    """
    ids = _utterance_ids(X)
    y = check_no_missing(np.asarray(y), "label", ids)
    groups = speakers_of(X, groups)
    groups = _check_groups(groups if groups is None else check_no_missing(groups, "speaker", ids), len(y))
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D, or 2-D (one column per target), got shape {y.shape}")
    for column in (y.T if y.ndim == 2 else [y]):
        if len(np.unique(column)) < 2:
            raise ValueError(f"y holds a single class ({column[0]!r}); a classifier needs at least 2")
    splitter = make_cv(cv, random_state)
    splits = list(splitter.split(np.zeros(len(y)), y, groups))
    info = {"cv": str(splitter), "n_utterances": int(len(y)), "n_speakers": int(len(np.unique(groups)))}
    if extra_train is not None:  # appended after X's rows: test indices still point into X
        X, y, groups, splits, info["extra_train"] = join_training_corpus(
            X, y, groups, splits, extra_train, extra_label_map)
        added = {s for corpus in info["extra_train"].values() for s in corpus["speakers"]}
        estimator = validating_on_main_speakers(estimator, added)
    for train, test in splits:
        check_speaker_disjoint(groups, train, test)
        _check_labels_trained(y, train, test, groups)
    n_pre = _stateless_prefix(estimator) if precompute else 0
    model = estimator
    if n_pre:
        start = time.perf_counter()
        prefix = Pipeline(estimator.steps[:n_pre])
        if _caches_utterances(prefix):  # features to the disk cache, a block at a time; the folds
            _fill_cache(prefix, X, groups, CACHE_BLOCK)  # carry utterances and read their features from the cache
            n_pre = 0
        else:
            X = prefix.transform(X)
            model = Pipeline(estimator.steps[n_pre:])
        info["precompute_seconds"] = round(time.perf_counter() - start, 3)
    jobs = (delayed(_fit_predict)(_Fold(model, X, y, groups, train, test, return_estimators)) for train, test in splits)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    if progress:
        results = tqdm(results, total=len(splits), desc="folds", unit="fold", leave=False)
    results = list(results)

    fitted = None
    if return_estimators:  # stateless steps are fitted as they are: the precomputed ones go back in front,
        # cloned so that no fold's model shares a step with another's or with the caller's estimator
        fitted = [type(estimator)(clone(Pipeline(estimator.steps[:n_pre])).steps + model.steps) if n_pre else model
                  for _, _, model in results]
    common = dict(info=info, estimators=fitted,
                  test_indices=[test for _, test in splits] if return_estimators else None)
    if y.ndim == 2:  # a multi-output classifier: a report per target, from the same fits
        return [_report(y[:, h], splits, [(np.asarray(pred)[:, h], stats) for pred, stats, _ in results],
                        groups, **common) for h in range(y.shape[1])]
    return _report(y, splits, [(pred, stats) for pred, stats, _ in results], groups, **common)


def _report(y, splits, predictions, groups, info, estimators, test_indices):
    """The report of one target: per-fold and pooled scores of the folds' predictions."""
    y_pred = np.empty(len(y), dtype=object)
    rows = []
    for k, ((train, test), (pred, stats)) in enumerate(zip(splits, predictions)):
        y_pred[test] = pred
        rows.append(dict(
            fold=k, test_speakers=",".join(map(str, np.unique(groups[test]))), n_test=len(test),
            ua=unweighted_accuracy(y[test], pred), wa=weighted_accuracy(y[test], pred),
            f1=f1_score(y[test], pred.astype(y.dtype), average="macro", zero_division=0),
            **{name: round(value, 4) if np.isscalar(value) else value for name, value in stats.items()},
        ))
    tested = np.concatenate([test for _, test in splits])
    y_true, y_hat = y[tested], y_pred[tested].astype(y.dtype)
    labels = np.unique(y)
    cm = confusion_matrix(y_true, y_hat, labels=labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_hat, labels=labels, zero_division=0
    )
    return EvaluationReport(
        per_fold=pd.DataFrame(rows),
        ua=unweighted_accuracy(y_true, y_hat, labels=labels),
        wa=weighted_accuracy(y_true, y_hat),
        f1=float(np.mean(f1)),
        confusion=pd.DataFrame(cm, index=pd.Index(labels, name="true"),
                               columns=pd.Index(labels, name="predicted")),
        per_class=pd.DataFrame({"recall": recall, "precision": precision, "f1": f1, "support": support},
                               index=pd.Index(labels, name="label")),
        y_true=y_true, y_pred=y_hat, info=dict(info), estimators=estimators, test_indices=test_indices,
    )
