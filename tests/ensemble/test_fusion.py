"""Score- and feature-level fusion: weights on the simplex chosen on speaker-disjoint inner folds,
speakers reaching fit inside cross_validate, members' parameters nested as in sklearn's ensembles
(sklearn's estimator checks are in test_common.py)."""
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, LeaveOneGroupOut, cross_validate
from sklearn.pipeline import make_pipeline

from sklearn_ser.ensemble import (
    FeatureFusionClassifier, ScoreFusionClassifier, best_weights, simplex_grid, utterance_features,
)

CALLS = []  # (member, "fit" | "score", speakers) in call order, recorded by SpeakerSpy


class SpeakerSpy(ClassifierMixin, BaseEstimator):
    """A logistic regression on the numeric columns of an utterance table that records whose
    utterances it is fitted on and asked to score."""

    def __init__(self, columns=("a",), tag="m"):
        self.columns = columns
        self.tag = tag

    def fit(self, X, y):
        CALLS.append((self.tag, "fit", set(X["speaker"])))
        self.model_ = LogisticRegression().fit(X[list(self.columns)], y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        CALLS.append((self.tag, "score", set(X["speaker"])))
        return self.model_.predict_proba(X[list(self.columns)])


def speaker_table(n_speakers=6, n_per=20, seed=0):
    """Utterance table: column a carries the label, b is noise, speaker IDs s0..s5."""
    rng = np.random.default_rng(seed)
    y = np.tile(["angry", "sad", "happy"], n_speakers * n_per // 3 + 1)[:n_speakers * n_per]
    codes = pd.Series(y).map({"angry": 0, "sad": 1, "happy": 2}).to_numpy()
    X = pd.DataFrame({
        "a": codes + rng.normal(0, 0.6, len(y)), "b": rng.normal(0, 1, len(y)),
        "speaker": np.repeat([f"s{i}" for i in range(n_speakers)], n_per),
    })
    return X, y


def test_simplex_grid_covers_the_simplex_at_the_step():
    grid = simplex_grid(3, 0.1)
    assert grid.shape == (66, 3)  # C(12, 2)
    np.testing.assert_allclose(grid.sum(1), 1)
    assert {tuple(np.round(w, 1)) for w in grid} >= {(1.0, 0.0, 0.0), (0.3, 0.3, 0.4), (0.2, 0.5, 0.3)}
    assert simplex_grid(2, 0.5).tolist() == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    with pytest.raises(ValueError, match="divide 1"):
        simplex_grid(3, 0.3)


def test_best_weights_prefer_the_informative_member_and_break_ties_towards_uniform():
    classes = np.array(["a", "b"])
    y = np.array(["a", "b", "a", "b"])
    good = np.array([[.9, .1], [.2, .8], [.7, .3], [.4, .6]])
    bad = good[:, ::-1]
    weights, ua = best_weights(np.stack([bad, good]), y, classes)
    assert ua == 1.0 and weights[1] > 0.5
    same = best_weights(np.stack([good, good]), y, classes)[0]
    np.testing.assert_allclose(same, [0.5, 0.5])
    # with a required gain, a mix that only ties the best single member loses to it
    alone = best_weights(np.stack([good, good]), y, classes, min_gain=0.01)[0]
    assert sorted(alone) == [0.0, 1.0]


def test_a_mix_is_chosen_only_if_it_beats_the_best_single_member_by_min_gain():
    classes = np.array(["a", "b"])
    y = np.array(["a"] * 5 + ["b"] * 5)
    # member 0 is right on the a's, 1 on the b's: alone they reach UA 0.7 and 0.8, their sum 1.0
    first = np.array([[.9, .1]] * 5 + [[.4, .6]] * 2 + [[.6, .4]] * 3)
    second = np.array([[.6, .4]] * 3 + [[.4, .6]] * 2 + [[.1, .9]] * 5)
    scores = np.stack([first, second])
    weights, ua = best_weights(scores, y, classes, min_gain=0.1)
    assert ua == 1.0 and 0 < weights[0] < 1  # a gain of 0.2 >= 0.1: the mix
    weights, ua = best_weights(scores, y, classes, min_gain=0.25)
    assert ua == 0.8 and sorted(weights) == [0.0, 1.0]  # 0.2 < 0.25: a single member


def test_score_fusion_weights_the_informative_member():
    X, y = speaker_table()
    fusion = ScoreFusionClassifier([("noise", SpeakerSpy(("b",), "noise")), ("a", SpeakerSpy(("a",), "a"))])
    fusion.fit(X, y)
    # the noise member's scores are nearly flat, so any weight on "a" decides: fused predictions are
    # "a"'s
    assert fusion.weights_[1] > 0
    a_alone = fusion.named_estimators_["a"].predict_proba(X).argmax(1)
    assert (fusion.predict_proba(X).argmax(1) == a_alone).mean() > 0.95
    assert fusion.inner_ua_ > 0.6  # chance 1/3
    assert fusion.predict_proba(X).shape == (len(y), 3)
    np.testing.assert_allclose(fusion.predict_proba(X).sum(1), 1)
    assert set(fusion.predict(X)) <= set(y)


def test_cross_validate_never_lets_a_speaker_cross_an_inner_or_outer_split():
    X, y = speaker_table()
    spk = X["speaker"].to_numpy()
    fusion = ScoreFusionClassifier([("a", SpeakerSpy(("a",), "a")), ("b", SpeakerSpy(("b",), "b"))], cv=3)
    CALLS.clear()
    result = cross_validate(fusion, X, y, groups=spk, cv=LeaveOneGroupOut(), return_estimator=True)
    assert len(result["estimator"]) == 6
    # per outer fold and member: 3 inner (fit, score) pairs, then the refit on all training speakers
    per_fold = 2 * (3 * 2 + 1) + 2  # + the outer test scoring of both members
    assert len(CALLS) == 6 * per_fold
    for k, test_speaker in enumerate(sorted(set(spk))):
        calls = CALLS[k * per_fold:(k + 1) * per_fold]
        outer_training = set(spk) - {test_speaker}
        inner = [c for c in calls[:12]]
        for (tag_f, what_f, fit_spk), (tag_s, what_s, valid_spk) in zip(inner[::2], inner[1::2]):
            assert (what_f, what_s, tag_f) == ("fit", "score", tag_s)
            assert not fit_spk & valid_spk  # inner training and validation speakers are disjoint
            assert test_speaker not in fit_spk | valid_spk  # the outer test speaker is never seen
            assert fit_spk | valid_spk == outer_training
        refits = [c for c in calls[12:] if c[1] == "fit"]
        assert [c[2] for c in refits] == [outer_training] * 2


def test_speakers_can_come_from_groups_and_fixed_weights_need_none():
    X, y = speaker_table()
    numeric, spk = X[["a", "b"]].to_numpy(), X["speaker"].to_numpy()
    members = [("lr", LogisticRegression()), ("prior", DummyClassifier())]
    with pytest.raises(ValueError, match="needs speakers"):
        ScoreFusionClassifier(members).fit(numeric, y)
    searched = ScoreFusionClassifier(members).fit(numeric, y, groups=spk)
    assert searched.weights_[0] >= 0.5
    fixed = ScoreFusionClassifier(members, weights=[3, 1]).fit(numeric, y)
    np.testing.assert_allclose(fixed.weights_, [0.75, 0.25])
    assert fixed.inner_ua_ is None
    with pytest.raises(ValueError, match="non-negative"):
        ScoreFusionClassifier(members, weights=[1, -1]).fit(numeric, y)
    with pytest.raises(ValueError, match="unique"):
        ScoreFusionClassifier([("x", LogisticRegression()), ("x", DummyClassifier())]).fit(numeric, y, groups=spk)


def test_members_fitted_in_parallel_give_the_same_fusion():
    X, y = speaker_table()
    numeric, spk = X[["a", "b"]].to_numpy(), X["speaker"].to_numpy()
    members = [("lr", LogisticRegression()), ("lr_b", LogisticRegression(C=0.01))]
    serial = ScoreFusionClassifier(members).fit(numeric, y, groups=spk)
    parallel = ScoreFusionClassifier(members, n_jobs=2).fit(numeric, y, groups=spk)
    np.testing.assert_allclose(serial.weights_, parallel.weights_)
    np.testing.assert_allclose(serial.predict_proba(numeric), parallel.predict_proba(numeric))


def test_members_missing_a_class_score_it_zero():
    X, y = speaker_table()
    numeric = X[["a", "b"]].to_numpy()
    fusion = ScoreFusionClassifier([("lr", LogisticRegression())], weights=[1]).fit(numeric, y)
    partial = LogisticRegression().fit(numeric[y != "sad"], y[y != "sad"])
    fusion.estimators_[0] = partial
    proba = fusion.predict_proba(numeric)
    assert (proba[:, list(fusion.classes_).index("sad")] == 0).all()


def test_feature_fusion_concatenates_member_features():
    X, y = speaker_table()
    numeric = X[["a", "b"]].to_numpy()
    fusion = FeatureFusionClassifier([("a", LogisticRegression()), ("b", LogisticRegression())])
    fusion.fit(numeric, y)
    assert fusion.fused_features(numeric).shape == (len(y), 6)  # no embedding: 3 class scores each
    assert (fusion.predict(numeric) == y).mean() > 0.6
    assert fusion.predict_proba(numeric).shape == (len(y), 3)  # Platt-scaled linear SVM
    from sklearn.svm import LinearSVC

    bare = FeatureFusionClassifier([("a", LogisticRegression())], classifier=LinearSVC())
    assert not hasattr(bare, "predict_proba") and hasattr(bare, "decision_function")
    assert bare.fit(numeric, y).decision_function(numeric).shape == (len(y), 3)


def test_utterance_features_average_a_segment_net_top_layer():
    from sklearn_ser.estimators import SegmentNetClassifier
    from sklearn_ser.nets import FrameDNN

    rng = np.random.default_rng(0)
    lengths = [3, 1, 5, 2] * 5
    y = np.array(["x", "y"] * 10)
    X = np.empty(len(lengths), dtype=object)
    X[:] = [rng.standard_normal((n, 8)).astype("float32") + (yy == "x") for n, yy in zip(lengths, y)]
    net = SegmentNetClassifier(FrameDNN, module__n_hidden=16, max_epochs=2, batch_size=8, verbose=0,
                               train_split=None).fit(X, y)
    features = utterance_features(net, X)
    assert features.shape == (20, 16)
    np.testing.assert_allclose(features[2], net.embed(X[2]).mean(0), rtol=1e-5)


def test_evaluate_records_the_weights_each_fold_chose():
    from sklearn_ser.model_selection import evaluate

    X, y = speaker_table()
    fusion = ScoreFusionClassifier([("noise", SpeakerSpy(("b",), "noise")), ("a", SpeakerSpy(("a",), "a"))])
    report = evaluate(fusion, X, y, cv="loso")
    weights = np.array(report.per_fold["fusion_weights"].tolist())
    assert weights.shape == (6, 2)
    np.testing.assert_allclose(weights.sum(1), 1)
    assert (weights[:, 1] > 0).all()  # every fold leans on the informative member


def _column_lr(column, C=1.0):
    """A member pipeline: a logistic regression on one column of the utterance table."""
    return make_pipeline(ColumnTransformer([("pick", "passthrough", [column])]), LogisticRegression(C=C))


@pytest.mark.parametrize("fusion_cls", [ScoreFusionClassifier, FeatureFusionClassifier])
def test_members_parameters_are_nested_parameters_of_the_fusion(fusion_cls):
    a, b = _column_lr("a"), _column_lr("b")
    fusion = fusion_cls([("2d-small", a), ("b", b)])
    params = fusion.get_params()
    assert params["2d-small"] is a and params["b"] is b
    assert params["2d-small__logisticregression__C"] == 1.0
    assert "estimators" in fusion.get_params(deep=False) and "2d-small" not in fusion.get_params(deep=False)
    fusion.set_params(**{"2d-small__logisticregression__C": 1e-4})
    assert a.named_steps["logisticregression"].C == 1e-4
    other = LogisticRegression()
    fusion.set_params(b=other)
    assert fusion.estimators == [("2d-small", a), ("b", other)]
    # replacing the whole list and a member of the new list in one call: the list first
    new = [("x", _column_lr("a")), ("y", _column_lr("b"))]
    fusion.set_params(estimators=new, x__logisticregression__C=3.0)
    assert fusion.estimators[0][1].named_steps["logisticregression"].C == 3.0
    with pytest.raises(ValueError, match="Invalid parameter"):
        fusion.set_params(nobody__C=1.0)


@pytest.mark.parametrize("routing", [False, True])
def test_grid_search_tunes_a_member_of_a_fusion_on_speaker_folds(routing):
    X, y = speaker_table()
    fusion = ScoreFusionClassifier([("a", _column_lr("a")), ("b", _column_lr("b"))], cv=2)
    search = GridSearchCV(fusion, {"a__logisticregression__C": [1e-8, 1.0]}, cv=GroupKFold(3),
                          scoring="balanced_accuracy")
    # the fusion's inner folds take the speakers from X's speaker column, or from routed groups
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            X = X[["a", "b"]]
            fusion.set_fit_request(groups=True)
        search.fit(X, y, groups=speaker_table()[0]["speaker"])
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > 0.7 > 0.5 > scores[0]  # C=1e-8 leaves the informative member near chance (1/3)
    assert search.best_params_ == {"a__logisticregression__C": 1.0}
    member = search.best_estimator_.named_estimators_["a"]
    assert member.named_steps["logisticregression"].C == 1.0


@pytest.mark.parametrize("fusion_cls", [ScoreFusionClassifier, FeatureFusionClassifier])
def test_a_dropped_member_is_left_out(fusion_cls):
    X, y = speaker_table()
    numeric, spk = X[["a", "b"]].to_numpy(), X["speaker"].to_numpy()
    fusion = fusion_cls([("lr", LogisticRegression()), ("prior", DummyClassifier())])
    fusion.set_params(prior="drop").fit(numeric, y, groups=spk)
    assert list(fusion.named_estimators_) == ["lr"] and len(fusion.estimators_) == 1
    assert fusion.predict_proba(numeric).shape == (len(y), 3)
    if fusion_cls is ScoreFusionClassifier:
        np.testing.assert_allclose(fusion.weights_, [1.0])
        fixed = fusion_cls([("lr", LogisticRegression()), ("prior", "drop")], weights=[3, 1]).fit(numeric, y)
        np.testing.assert_allclose(fixed.weights_, [1.0])  # the dropped member's weight goes with it
    with pytest.raises(ValueError, match="all members are 'drop'"):
        fusion_cls([("lr", "drop")]).fit(numeric, y, groups=spk)


@pytest.mark.parametrize("names, message", [
    ([("x", LogisticRegression()), ("x", DummyClassifier())], "unique"),
    ([("a__b", LogisticRegression())], "must not contain '__'"),
    ([("weights", LogisticRegression())], "conflict with constructor parameters"),
])
def test_member_names_that_would_break_nested_parameters_are_refused(names, message):
    X, y = speaker_table()
    with pytest.raises(ValueError, match=message):
        ScoreFusionClassifier(names, weights=[1] * len(names)).fit(X[["a", "b"]].to_numpy(), y)


def test_the_library_imports_nothing_private_from_sklearn():
    import ast
    from pathlib import Path

    import sklearn_ser

    private = []
    for path in Path(sklearn_ser.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                names = [alias.name for alias in node.names]
                if any(part.startswith("_") for part in node.module.split(".")):
                    private.append(f"{path.name}: {node.module}")
                private += [f"{path.name}: {node.module}.{name}" for name in names if name.startswith("_")]
    assert not private


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
def test_evaluate_hands_speakers_to_a_fusion_of_plain_arrays(routing):
    import sklearn

    from sklearn_ser.model_selection import evaluate

    X, y = speaker_table()
    groups = X["speaker"].to_numpy()
    fusion = ScoreFusionClassifier([("a", _column_lr(0)), ("b", _column_lr(1))])
    with sklearn.config_context(enable_metadata_routing=routing):  # no speaker column to read
        report = evaluate(fusion, X[["a", "b"]].to_numpy(), y, groups=groups, cv="loso:s0,s1")
    assert len(report.per_fold) == 2 and report.ua > 0.5
