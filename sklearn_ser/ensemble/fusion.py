"""Zhang et al. 2021's multi-CNN fusion as meta-estimators over member pipelines that all take the
same utterances: weighted utterance scores (score level) and concatenated utterance features
(feature level).

Unlike sklearn's ``StackingClassifier``, the weights are chosen on speaker-disjoint inner folds:
the speakers come from ``fit(X, y, groups=...)`` or, when X is an utterance DataFrame, from its
``speaker`` column, which is also how they reach ``fit`` inside ``cross_validate``.
"""
from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted, column_or_1d

from ..audio import take_utterances
from ..metrics import unweighted_accuracy
from ..model_selection.evaluate import speaker_fit_params, speakers_of
from ..model_selection.splitters import SpeakerKFold, check_speaker_disjoint


def simplex_grid(n_members, step=0.1):
    """Every weight vector of ``n_members`` non-negative multiples of ``step`` summing to 1."""
    n_steps = int(round(1 / step))
    if not np.isclose(n_steps * step, 1.0):
        raise ValueError(f"step must divide 1, got {step}")
    # stars and bars: choose where the n_members - 1 bars go among n_steps + n_members - 1 places
    grid = []
    for bars in itertools.combinations(range(n_steps + n_members - 1), n_members - 1):
        edges = (-1, *bars, n_steps + n_members - 1)
        grid.append([edges[i + 1] - edges[i] - 1 for i in range(n_members)])
    return np.asarray(grid, dtype=float) / n_steps


def best_weights(scores, y, classes, step=0.1, min_gain=0.0):
    """The simplex weights whose fused scores (``scores``: members x utterances x classes) give the
    highest UA on ``y``, and that UA.

    A mix of members is chosen only if it beats the best single member by at least ``min_gain``;
    otherwise that member alone (weight 1). UA on a few validation speakers is noisy, and a mix that
    wins by less than the noise is as likely to lose on new speakers, so the simpler model stands.
    Ties among the winners go to the weights nearest to uniform.
    """
    grid = simplex_grid(len(scores), step)
    fused = np.einsum("gm,mnk->gnk", grid, scores)
    uas = np.array([unweighted_accuracy(y, classes[f.argmax(1)]) for f in fused])
    singles = np.flatnonzero(np.isclose(grid.max(1), 1.0))
    best_single = singles[np.argmax(uas[singles])]
    winners = np.flatnonzero(uas >= uas[best_single] + min_gain)
    if len(winners) == 0:
        return grid[best_single], uas[best_single]
    spread = np.abs(grid[winners] - 1 / len(scores)).sum(1)
    best = winners[np.lexsort((spread, -uas[winners]))[0]]
    return grid[best], uas[best]


def _fit_member(member, X, y, groups):
    fit_params = {} if groups is None else speaker_fit_params(member, groups)
    return member.fit(X, y, **fit_params)


def _member_scores(member, X, classes):
    """``predict_proba`` of a member, with columns aligned to ``classes`` (a class the member never
    saw scores 0)."""
    proba = member.predict_proba(X)
    aligned = np.zeros((len(proba), len(classes)))
    aligned[:, np.searchsorted(classes, member.classes_)] = proba
    return aligned


def _fit_and_score(member, X, y, groups, train, valid, classes):
    fitted = _fit_member(member, take_utterances(X, train), y[train],
                         None if groups is None else groups[train])
    return _member_scores(fitted, take_utterances(X, valid), classes)


def _is_dropped(member):
    return isinstance(member, str) and member == "drop"


class _Members(ClassifierMixin, BaseEstimator):
    """Shared parts: members as nested parameters, member validation, parallel fitting, label
    bookkeeping.

    As in sklearn's ``VotingClassifier``, each member is a parameter under its name, and its own
    parameters are ``<name>__<param>``: ``set_params(**{"2d-small__net__lr": 1e-4})`` tunes one
    member (also in ``GridSearchCV``), ``set_params(<name>=estimator)`` replaces it and
    ``set_params(<name>="drop")`` leaves it out of the fit.
    """

    # the speakers feed the inner speaker folds: requested by default, as group splitters do, so
    # evaluate() and routed cross_validate hand them over when X has no speaker column
    __metadata_request__fit = {"groups": True}

    def get_params(self, deep=True):
        """Parameters of the fusion; with ``deep=True`` also every member under its name and the
        members' parameters as ``<name>__<param>``."""
        params = super().get_params(deep=deep)
        if not deep:
            return params
        try:
            members = dict(self.estimators)
        except (TypeError, ValueError):  # a malformed list is fit's to report, not set_params'
            return params
        for name, member in members.items():
            params[name] = member
            if hasattr(member, "get_params"):
                params.update({f"{name}__{key}": value
                               for key, value in member.get_params(deep=True).items()})
        return params

    def set_params(self, **params):
        """Set parameters: ``estimators`` first, then whole members by name, then the rest
        (``<name>__<param>`` included)."""
        if "estimators" in params:
            self.estimators = params.pop("estimators")
        try:
            names = [name for name, _ in self.estimators]
        except (TypeError, ValueError):
            names = []
        replaced = {name: params.pop(name) for name in names if name in params}
        if replaced:
            self.estimators = [(name, replaced.get(name, member)) for name, member in self.estimators]
        return super().set_params(**params)

    def _check_members(self):
        """The members that are not ``"drop"``, after checking the names nest as parameters."""
        if not self.estimators:
            raise ValueError("estimators must be a non-empty list of (name, classifier) pairs")
        names = [name for name, _ in self.estimators]
        if len(set(names)) != len(names):
            raise ValueError(f"member names must be unique, got {names}")
        nested = [name for name in names if "__" in name]
        if nested:
            raise ValueError(f"member names must not contain '__' (it nests parameters), got {nested}")
        taken = sorted(set(names) & set(self.get_params(deep=False)))
        if taken:
            raise ValueError(f"member names conflict with constructor parameters: {taken}")
        active = [(name, member) for name, member in self.estimators if not _is_dropped(member)]
        if not active:
            raise ValueError("all members are 'drop': at least one must be an estimator")
        return active

    def _check_y(self, X, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        if issparse(X):
            raise TypeError("sparse input is not supported: members take utterances (or dense features)")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        if len(y) == 0:
            raise ValueError("no utterances to fit (X is empty)")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class only ({y[0]!r}); a classifier needs at least 2")
        return y

    def _fit_all(self, members, X, y, groups):
        jobs = (delayed(_fit_member)(clone(est), X, y, groups) for _, est in members)
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(jobs)
        self.named_estimators_ = dict(zip([name for name, _ in members], self.estimators_))
        if len(getattr(X, "shape", ())) == 2 and not hasattr(X, "columns"):
            self.n_features_in_ = X.shape[1]

    def predict(self, X):
        check_is_fitted(self, "estimators_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class ScoreFusionClassifier(_Members):
    """Score-level fusion: ``sum_m w_m * predict_proba_m(X)`` with weights on the simplex.

    Parameters
    ----------
    estimators : list of (name, classifier or "drop")
        Members with ``predict_proba``, each taking the same X (e.g. whole pipelines from audio).
        Each is also a parameter under its name, its own parameters ``<name>__<param>`` (as in
        sklearn's ``VotingClassifier``); a member set to ``"drop"`` is left out.
    weights : "search" or sequence of floats, default="search"
        "search" tries every point of the simplex grid (``step``) on out-of-fold scores of
        speaker-disjoint inner folds (``cv``) and keeps the best UA (ties: nearest to uniform),
        but a mix only if it beats the best single member by ``min_gain`` (see
        :func:`best_weights`); fixed weights (one per member, "drop" ones included; those kept
        are normalised to sum 1) skip the inner folds.
    step : float, default=0.1
    min_gain : float, default=0.01
        Inner-fold UA a mix must gain over the best single member to be chosen; 0 is the paper's
        plain argmax over the grid.
    cv : int or splitter, default=3
        Inner folds: an int is :class:`~sklearn_ser.model_selection.SpeakerKFold` with that many
        folds (speakers required). A splitter gets the speakers as ``groups``; with speakers, every
        inner split is checked to share none between its sides.
    n_jobs : int, default=None
        Members (and inner folds) fitted in parallel through joblib.

    Attributes
    ----------
    weights_ : ndarray (n_fitted_members,)
        The weights of ``estimators_`` (members not dropped), summing to 1.
    inner_ua_ : float or None
        UA of the chosen weights on the inner folds.
    estimators_ : list of the members (not dropped) refitted on all of the training data
    named_estimators_ : dict
        The same, by name.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV, GroupKFold
    >>> from sklearn_ser.ensemble import ScoreFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile(["angry", "sad"], 60)
    >>> X = rng.normal(size=(120, 2)) + (y == "angry")[:, None]
    >>> speakers = np.repeat(np.arange(6), 20)
    >>> members = [("lr", LogisticRegression()), ("lr2", LogisticRegression())]
    >>> fusion = ScoreFusionClassifier(members, weights=[0.5, 0.5])  # "search" needs speakers in fit
    >>> search = GridSearchCV(fusion, {"lr__C": [0.1, 1.0]}, cv=GroupKFold(3))
    >>> search.fit(X, y, groups=speakers).best_estimator_.named_estimators_["lr"].C in (0.1, 1.0)
    True
    """

    def __init__(self, estimators, weights="search", step=0.1, min_gain=0.01, cv=3, n_jobs=None):
        self.estimators = estimators
        self.weights = weights
        self.step = step
        self.min_gain = min_gain
        self.cv = cv
        self.n_jobs = n_jobs

    def fit(self, X, y, groups=None):
        members = self._check_members()
        y = self._check_y(X, y)
        groups = speakers_of(X, groups)
        if isinstance(self.weights, str) and self.weights == "search":
            self.weights_, self.inner_ua_ = self._search(members, X, y, groups)
        else:
            self.weights_, self.inner_ua_ = self._fixed_weights(), None
        self._fit_all(members, X, y, groups)
        return self

    def _fixed_weights(self):
        """``weights`` (one per member, "drop" ones included) of the kept members, summing to 1."""
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (len(self.estimators),) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"weights must be 'search' or {len(self.estimators)} non-negative "
                             f"numbers with a positive sum, got {self.weights!r}")
        kept = w[[not _is_dropped(member) for _, member in self.estimators]]
        if kept.sum() <= 0:
            raise ValueError(f"the members not dropped all have weight 0: {self.weights!r}")
        return kept / kept.sum()

    def _search(self, members, X, y, groups):
        if groups is None and isinstance(self.cv, int):
            raise ValueError(
                "searching fusion weights needs speakers for speaker-disjoint inner folds: pass "
                "fit(X, y, groups=speakers) or a DataFrame X with a 'speaker' column, or fix weights")
        # an explicit splitter without speakers is the caller's choice (e.g. one utterance a speaker)
        cv = SpeakerKFold(self.cv) if isinstance(self.cv, int) else self.cv
        splits = list(cv.split(np.zeros(len(y)), y, groups))
        if groups is not None:
            for train, valid in splits:
                check_speaker_disjoint(groups, train, valid)
        jobs = (delayed(_fit_and_score)(clone(est), X, y, groups, train, valid, self.classes_)
                for _, est in members for train, valid in splits)
        fold_scores = Parallel(n_jobs=self.n_jobs)(jobs)
        order = np.concatenate([valid for _, valid in splits])
        scores = np.empty((len(members), len(order), len(self.classes_)))
        for m in range(len(members)):
            scores[m] = np.concatenate(fold_scores[m * len(splits):(m + 1) * len(splits)])
        return best_weights(scores, y[order], self.classes_, self.step, self.min_gain)

    def member_scores(self, X):
        """Each member's utterance scores, ``(n_members, n_utterances, n_classes)``."""
        check_is_fitted(self, "estimators_")
        return np.stack([_member_scores(m, X, self.classes_) for m in self.estimators_])

    def predict_proba(self, X):
        check_is_fitted(self, "weights_")
        return np.einsum("m,mnk->nk", self.weights_, self.member_scores(X))


def utterance_features(model, X):
    """Utterance-level features of a fitted member: for a pipeline ending in a network, the
    average over each utterance's segments of its top fully-connected layer
    (``embed_utterances``/``embed``); otherwise the member's class scores."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    for method in ("embed_utterances", "embed"):
        if hasattr(final, method):
            Xt = model[:-1].transform(X) if isinstance(model, Pipeline) and len(model) > 1 else X
            return np.asarray(getattr(final, method)(Xt), dtype=np.float64)
    return model.predict_proba(X)


def _linear_svm():
    """The paper's linear SVM, on standardised features, with Platt-scaled probabilities (one SVM
    fitted on all the data, as the baseline's; ``predict_proba`` serves the CLI and score fusion)."""
    return make_pipeline(StandardScaler(), CalibratedClassifierCV(
        LinearSVC(C=0.01), method="sigmoid", ensemble=False))


def _classifier_has(method):
    """For ``available_if``: the (fitted, else configured, else default) classifier has ``method``."""
    def check(self):
        classifier = getattr(self, "classifier_", None) or self.classifier or _linear_svm()
        return hasattr(classifier, method)
    return check


class FeatureFusionClassifier(_Members):
    """Feature-level fusion: the utterance-level features of every member (see
    :func:`utterance_features`) concatenated, then ``classifier``.

    As in Zhang et al., the members are trained on the training utterances first and the classifier
    learns from those members' features of the same utterances.

    Parameters
    ----------
    estimators : list of (name, classifier or "drop")
        Members, as in :class:`ScoreFusionClassifier` (nested parameters ``<name>__<param>``,
        ``"drop"`` leaves one out).
    classifier : sklearn classifier, default=StandardScaler + LinearSVC (the paper's linear SVM)
        with Platt-scaled probabilities
    n_jobs : int, default=None
        Members fitted in parallel.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ser.ensemble import FeatureFusionClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile(["angry", "sad"], 60)
    >>> X = rng.normal(size=(120, 2)) + (y == "angry")[:, None]
    >>> fusion = FeatureFusionClassifier([("lr", LogisticRegression()), ("lr2", LogisticRegression())])
    >>> fusion.set_params(lr2__C=0.1).fit(X, y).fused_features(X).shape  # 2 class scores per member
    (120, 4)
    """

    def __init__(self, estimators, classifier=None, n_jobs=None):
        self.estimators = estimators
        self.classifier = classifier
        self.n_jobs = n_jobs

    def fit(self, X, y, groups=None):
        members = self._check_members()
        y = self._check_y(X, y)
        self._fit_all(members, X, y, speakers_of(X, groups))
        self.classifier_ = clone(self.classifier if self.classifier is not None else _linear_svm())
        self.classifier_.fit(self.fused_features(X), y)
        return self

    def fused_features(self, X):
        """The fused utterance features, ``(n_utterances, sum of member feature sizes)``."""
        check_is_fitted(self, "estimators_")  # also before classifier_ is set, inside fit
        return np.hstack([utterance_features(m, X) for m in self.estimators_])

    def predict(self, X):
        check_is_fitted(self, "classifier_")
        return self.classifier_.predict(self.fused_features(X))

    @available_if(_classifier_has("decision_function"))
    def decision_function(self, X):
        check_is_fitted(self, "classifier_")
        return self.classifier_.decision_function(self.fused_features(X))

    @available_if(_classifier_has("predict_proba"))
    def predict_proba(self, X):
        check_is_fitted(self, "classifier_")
        return self.classifier_.predict_proba(self.fused_features(X))
