import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.stats import wilcoxon
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ser.model_selection import (
    KimSpeakerSplit, LeaveOneSpeakerOut, make_cv, SpeakerKFold, SpeakerValidSplit, check_speaker_disjoint,
    compare_systems, evaluate, speaker_validation_split,
)
from sklearn_ser.recipes import get_system


def _speakers(n_per=5):
    corpora = {"emodb": 10, "tess": 2 + 3, "iemocap": 7}
    return np.array([f"{c}:{s}" for c, n in corpora.items() for s in range(n) for _ in range(n_per)])


@pytest.mark.parametrize("splitter", [LeaveOneSpeakerOut(), SpeakerKFold(n_splits=4),
                                      KimSpeakerSplit(n_splits=5, random_state=0)])
def test_no_split_ever_shares_a_speaker(splitter):
    groups = _speakers()
    X = np.zeros((len(groups), 1))
    splits = list(splitter.split(X, None, groups))
    assert splits
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        assert len(train) + len(test) <= len(groups)


def test_loso_on_chosen_test_speakers_is_the_matching_subset_of_full_loso():
    groups = _speakers()
    X = np.zeros((len(groups), 1))
    chosen = ["emodb:3", "tess:1"]
    full = {groups[test[0]]: (train, test) for train, test in LeaveOneSpeakerOut().split(X, None, groups)}
    reduced = list(make_cv("loso:" + ",".join(chosen)).split(X, None, groups))
    assert [groups[test[0]] for _, test in reduced] == chosen
    for train, test in reduced:
        np.testing.assert_array_equal(train, full[groups[test[0]]][0])
        np.testing.assert_array_equal(test, full[groups[test[0]]][1])
    assert LeaveOneSpeakerOut(chosen).get_n_splits(groups=groups) == 2
    with pytest.raises(ValueError, match="not among the speakers"):
        list(LeaveOneSpeakerOut(["nobody"]).split(X, None, groups))


@pytest.mark.parametrize("splitter", [LeaveOneSpeakerOut(), SpeakerKFold(n_splits=2),
                                      KimSpeakerSplit()])
def test_splitters_refuse_to_run_without_speakers(splitter):
    with pytest.raises(ValueError, match="groups=speakers"):
        list(splitter.split(np.zeros((10, 1)), None, None))


def test_kim_split_is_per_corpus_60_20_20_and_disjoint():
    groups = _speakers()
    corpus = np.array([g.split(":")[0] for g in groups])
    splitter = KimSpeakerSplit(n_splits=5, random_state=1)
    folds = list(splitter.split_with_validation(np.zeros(len(groups)), None, groups))
    assert len(folds) == 5 == splitter.get_n_splits()
    test_sets = []
    for train, valid, test in folds:
        check_speaker_disjoint(groups, train, valid, test)
        assert len(train) + len(valid) + len(test) == len(groups)
        for c, n in {"emodb": 10, "tess": 5, "iemocap": 7}.items():
            n_speakers = [len(set(groups[idx][corpus[idx] == c])) for idx in (train, valid, test)]
            assert n_speakers == [n - 2 * max(1, round(0.2 * n)), max(1, round(0.2 * n)), max(1, round(0.2 * n))]
        test_sets.append(frozenset(groups[test]))
    assert len(set(test_sets)) > 1  # fresh shuffles
    with pytest.raises(ValueError, match="at least 3"):
        list(KimSpeakerSplit().split(np.zeros(4), None, ["a:1", "a:1", "a:2", "a:2"]))


def test_check_speaker_disjoint_catches_a_leak():
    with pytest.raises(AssertionError, match="speaker 'b'"):
        check_speaker_disjoint(np.array(["a", "b", "b", "c"]), [0, 1], [2, 3])


def test_speaker_validation_split():
    groups = np.repeat(list("abcdefghij"), 4)
    train, valid = speaker_validation_split(groups, 0.2, random_state=0)
    assert len(set(groups[valid])) == 2 and not set(groups[train]) & set(groups[valid])
    with pytest.raises(ValueError, match="at least 2 speakers"):
        speaker_validation_split(["a", "a"])


def test_speaker_valid_split_with_skorch_holds_out_whole_speakers():
    import torch
    from skorch import NeuralNetClassifier
    from skorch.callbacks import Callback

    seen = {}

    class Record(Callback):
        def on_train_begin(self, net, X=None, y=None, **kwargs):
            ds_train, ds_valid = net.get_split_datasets(X, y, groups=groups)
            seen["train"], seen["valid"] = ds_train.indices, ds_valid.indices

    class Linear(torch.nn.Module):  # skorch hands fit parameters (groups) to forward too
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 2)

        def forward(self, X, groups=None):
            return torch.softmax(self.layer(X), dim=-1)

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(10), 6)
    X = rng.standard_normal((60, 4)).astype(np.float32)
    y = rng.integers(0, 2, 60)
    net = NeuralNetClassifier(
        Linear, max_epochs=1,
        train_split=SpeakerValidSplit(0.3, random_state=0), callbacks=[Record()], verbose=0,
    )
    net.fit(X, y, groups=groups)
    assert len(set(groups[seen["valid"]])) == 3
    assert not set(groups[seen["train"]]) & set(groups[seen["valid"]])
    with pytest.raises(ValueError, match="groups=speakers"):
        net.fit(X, y)


def test_compare_systems_matches_scipy_and_gives_verdicts():
    a = np.array([0.70, 0.72, 0.68, 0.75, 0.71, 0.74, 0.69, 0.73, 0.76, 0.70])
    b = a - np.array([0.05, 0.04, 0.06, 0.03, 0.05, 0.02, 0.04, 0.05, 0.03, 0.06])
    result = compare_systems(a, b, names=("3D", "2D"))
    expected = wilcoxon(a, b)
    assert result.pvalue == pytest.approx(expected.pvalue) and result.statistic == expected.statistic
    assert result.verdict.startswith("3D is better than 2D") and result.mean_difference > 0
    noisy = compare_systems(a, a + np.array([0.01, -0.02, 0.015, -0.01, 0.0, 0.02, -0.015, 0.01, -0.01, 0.005]))
    assert noisy.verdict.startswith("no significant difference") and noisy.pvalue > 0.05
    short = compare_systems(a[:5], b[:5])
    assert "cannot reach" in short.verdict
    assert compare_systems(a, a).pvalue == 1.0
    with pytest.raises(ValueError, match="paired"):
        compare_systems(a, b[:5])


def test_evaluate_baseline_on_synthetic(small_corpus, tmp_path):
    report = evaluate(get_system("baseline"), small_corpus, small_corpus["label"], cv="loso")
    assert len(report.per_fold) == 6
    assert set(report.per_fold.columns) >= {"fold", "test_speakers", "n_test", "ua", "wa"}
    # 4 balanced classes: chance is 0.25; the synthetic corpus is learnable but not trivial
    assert 0.45 < report.ua < 0.99
    assert report.confusion.to_numpy().sum() == len(small_corpus)
    assert report.per_class.loc["sad", "support"] == 36
    assert report.ua == pytest.approx(np.mean(report.per_class["recall"]))
    assert "pooled" in report.summary()
    png = report.plot_confusion(tmp_path / "cm.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    report.to_json(tmp_path / "r.json")
    assert pd.read_json(tmp_path / "r.json", typ="series")["ua"] == pytest.approx(report.ua)


def test_evaluate_precompute_gives_the_same_result(small_corpus):
    X = small_corpus.iloc[::2]
    pipe = get_system("kim-2d-cnn-lstm", max_epochs=2)  # per-speaker gain, stateless
    fast = evaluate(pipe, X, X["label"], cv="kfold:3")
    slow = evaluate(pipe, X, X["label"], cv="kfold:3", precompute=False)
    np.testing.assert_array_equal(fast.y_pred, slow.y_pred)
    assert "precompute_seconds" in fast.info and "precompute_seconds" not in slow.info
    # per-speaker z-scoring learns the training population: computed inside each fold
    assert "precompute_seconds" not in evaluate(get_system("baseline-spknorm"), X, X["label"],
                                                cv="kfold:3").info


def test_evaluate_returns_each_fold_model_which_takes_raw_utterances(small_corpus):
    X = small_corpus.iloc[::2]
    pipe = get_system("baseline-spknorm")  # its feature steps are precomputed, then put back
    report = evaluate(pipe, X, X["label"], cv="kfold:3", return_estimators=True)
    assert len(report.estimators) == len(report.test_indices) == 3
    assert [step for step, _ in report.estimators[0].steps] == [step for step, _ in pipe.steps]
    y_pred = np.empty(len(X), dtype=object)
    for model, test, speakers in zip(report.estimators, report.test_indices, report.per_fold["test_speakers"]):
        assert set(X["speaker"].iloc[test]) == set(speakers.split(","))
        y_pred[test] = model.predict(X.iloc[test])
    tested = np.concatenate(report.test_indices)
    np.testing.assert_array_equal(y_pred[tested], report.y_pred)
    assert len({id(model.steps[-1][1]) for model in report.estimators}) == 3  # a fit per fold
    # the put-back feature step is each model's own, not the caller's estimator's
    assert len({id(model.steps[0][1]) for model in report.estimators} | {id(pipe.steps[0][1])}) == 4
    assert evaluate(pipe, X, X["label"], cv="kfold:3").estimators is None


def test_evaluate_dummy_sits_at_chance(small_corpus):
    X = np.zeros((len(small_corpus), 1))
    report = evaluate(DummyClassifier(strategy="most_frequent"), X, small_corpus["label"],
                      groups=small_corpus["speaker"])
    assert report.ua == pytest.approx(0.25)


def test_evaluate_refuses_bad_setups(small_corpus):
    X = np.zeros((len(small_corpus), 1))
    with pytest.raises(ValueError, match="groups=speakers"):
        evaluate(DummyClassifier(), X, small_corpus["label"])
    with pytest.raises(ValueError, match="single class"):
        evaluate(DummyClassifier(), X, ["sad"] * len(X), groups=small_corpus["speaker"])
    # a class that only one speaker has: its fold tests a label the model never saw
    y = small_corpus["label"].to_numpy().copy()
    y[(small_corpus["speaker"] == "spk00").to_numpy()] = "bored"
    with pytest.raises(ValueError, match=r"speaker\(s\) spk00 has label\(s\) \['bored'\] that its training"):
        evaluate(LogisticRegression(), X, y, groups=small_corpus["speaker"])


def test_single_class_in_fit_is_refused(small_corpus):
    X = small_corpus.iloc[:6]
    with pytest.raises(ValueError, match="class"):
        get_system("baseline").fit(X, ["sad"] * 6)


SPLITS = []  # (train speakers, validation speakers) of every net fit, recorded by SplitSpy


def _split_spy():
    from sklearn_ser.estimators import SERStepNetClassifier

    class SplitSpy(SERStepNetClassifier):
        def get_split_datasets(self, X, y=None, groups=None, **fit_params):
            train, valid = super().get_split_datasets(X, y, groups=groups, **fit_params)
            SPLITS.append((set(groups[train.indices]), set(groups[valid.indices])))
            return train, valid

    return SplitSpy


def _speaker_frames(n_speakers=8, n_per=12, seed=0):
    """Frame sequences (n, 4 steps, 6 features) whose mean carries one of three labels."""
    rng = np.random.default_rng(seed)
    y = np.tile(["angry", "neutral", "sad"], n_speakers * n_per // 3)
    shift = pd.Series(y).map({"angry": 1.0, "neutral": 0.0, "sad": -1.0}).to_numpy()
    X = rng.standard_normal((len(y), 4, 6)).astype(np.float32) + shift[:, None, None].astype(np.float32)
    return X, y, np.repeat([f"s{i}" for i in range(n_speakers)], n_per)


def _tiny_net(elm=False):
    from sklearn_ser.ensemble import FunctionalsELM
    from sklearn_ser.nets import FrameDNN

    net = _split_spy()(FrameDNN, module__n_hidden=8, max_epochs=2, batch_size=32, verbose=0)
    return Pipeline([("net", FunctionalsELM(net) if elm else net)])


def _check_speakers_held_out(splits, groups, test_sets):
    assert len(splits) == len(test_sets)
    for (train_spk, valid_spk), test in zip(splits, test_sets):
        assert valid_spk and not train_spk & valid_spk  # the net validated, on its own speakers
        assert not (train_spk | valid_spk) & set(groups[test])


ROUTING = pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])


@ROUTING
@pytest.mark.parametrize("elm", [False, True], ids=["net", "functionals-elm"])
def test_cross_validate_hands_speakers_to_the_net_and_its_validation_split(routing, elm):
    X, y, groups = _speaker_frames()
    SPLITS.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        # routing on: the net (and FunctionalsELM) request groups by default, as group splitters do
        params = {"groups": groups} if routing else {"net__groups": groups}
        result = cross_validate(_tiny_net(elm), X, y, groups=None if routing else groups,
                                cv=LeaveOneSpeakerOut(["s0", "s1", "s2"]), params=params,
                                return_indices=True)
    _check_speakers_held_out(SPLITS, groups, result["indices"]["test"])


@ROUTING
def test_grid_search_hands_speakers_to_the_net(routing):
    X, y, groups = _speaker_frames()
    SPLITS.clear()
    search = GridSearchCV(_tiny_net(), {"net__lr": [1e-3, 1e-2]}, cv=SpeakerKFold(n_splits=2), refit=False)
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            search.estimator.named_steps["net"].set_fit_request(groups=True)
            search.fit(X, y, groups=groups)
        else:
            search.fit(X, y, groups=groups, net__groups=groups)
    tests = [test for _, test in SpeakerKFold(n_splits=2).split(X, y, groups)] * 2
    _check_speakers_held_out(SPLITS, groups, tests)


@ROUTING
@pytest.mark.parametrize("elm", [False, True], ids=["net", "functionals-elm"])
def test_evaluate_hands_speakers_to_the_net_in_both_routing_modes(routing, elm):
    X, y, groups = _speaker_frames()
    SPLITS.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        report = evaluate(_tiny_net(elm), X, y, groups=groups, cv="loso:s0,s1")
    tests = [np.flatnonzero(groups == s) for s in ("s0", "s1")]
    _check_speakers_held_out(SPLITS, groups, tests)
    assert len(report.per_fold) == 2


@ROUTING
def test_speaker_fit_params_follow_the_fit_requests(routing):
    from sklearn_ser.model_selection.evaluate import speaker_fit_params

    groups = np.array(["a", "b"])
    with sklearn.config_context(enable_metadata_routing=routing):
        net = _tiny_net()
        assert list(speaker_fit_params(net, groups)) == (["groups"] if routing else ["net__groups"])
        assert list(speaker_fit_params(net.named_steps["net"], groups)) == ["groups"]
        assert speaker_fit_params(make_pipeline(StandardScaler(), LogisticRegression()), groups) == {}
        net.set_params(net__train_split=None)  # no validation split: no speakers wanted
        assert speaker_fit_params(net, groups) == {}


FITS = []


class CountingMultiOutput(Pipeline):
    def fit(self, X, y=None, **params):
        FITS.append(len(X))
        return super().fit(X, y, **params)


def test_evaluate_a_multi_output_classifier_gives_a_report_per_target_from_one_fit_per_fold(small_corpus):
    from sklearn.multioutput import MultiOutputClassifier

    from sklearn_ser.features import LLDFunctionals

    Y = np.stack([np.where(small_corpus["label"].isin(["happy", "neutral"]), "positive", "negative"),
                  np.where(small_corpus["label"].isin(["angry", "happy"]), "high", "low")], axis=1)
    model = CountingMultiOutput([("features", LLDFunctionals()), ("scale", StandardScaler()),
                                 ("clf", MultiOutputClassifier(LogisticRegression(max_iter=500)))])
    FITS.clear()
    reports = evaluate(model, small_corpus, Y, cv="kfold:3", precompute=False)
    assert len(FITS) == 3  # the targets share each fold's fit
    assert [list(r.per_class.index) for r in reports] == [["negative", "positive"], ["high", "low"]]
    for h, report in enumerate(reports):
        separately = evaluate(make_pipeline(LLDFunctionals(), StandardScaler(), LogisticRegression(max_iter=500)),
                              small_corpus, Y[:, h], cv="kfold:3")
        assert report.ua == pytest.approx(separately.ua)
        assert list(report.per_fold["test_speakers"]) == list(separately.per_fold["test_speakers"])
    assert reports[1].ua > 0.8  # arousal: loud and fast voices against the others; chance 0.5
    with pytest.raises(ValueError, match="y must be 1-D, or 2-D"):
        evaluate(model, small_corpus, Y[:, :, None], cv="kfold:3")
    unseen = Y.copy()
    unseen[(small_corpus["speaker"] == "spk03").to_numpy(), 1] = "extreme"  # one speaker's own level
    FITS.clear()
    with pytest.raises(ValueError, match=r"testing speaker\(s\) spk03 has label\(s\) \['extreme'\] of target 1"):
        evaluate(model, small_corpus, unseen, cv="loso", precompute=False)
    assert FITS == []  # refused before any fit
