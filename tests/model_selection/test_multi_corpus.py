"""Multi-corpus training: evaluate(..., extra_train=...) adds another corpus to the training side
of every fold and to no test side, keeps the folds of the main corpus, prefixes the added
speakers so they never meet the main ones, maps the labels onto the main corpus's classes, and
keeps the nets' early stopping on main-corpus speakers."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.pipeline import Pipeline

from sklearn_ser.estimators import SERNetClassifier
from sklearn_ser.model_selection import SpeakerValidSplit, evaluate, extra_training_utterances, speaker_validation_split
from sklearn_ser.model_selection.multi_corpus import validating_on_main_speakers
from sklearn_ser.nets import FrameDNN


def corpus(speakers, labels, per_label=2, prefix="m"):
    """A tiny corpus: ``per_label`` utterances of each speaker and label, audio named by row."""
    rows = [dict(audio=f"{prefix}-{s}-{label}-{k}.wav", speaker=s, label=label, gender="female")
            for s in speakers for label in labels for k in range(per_label)]
    return pd.DataFrame(rows)


MAIN = corpus(["s0", "s1", "s2", "s3"], ["angry", "sad", "neutral"])
# a speaker named as one of the main corpus's, and a class the main corpus lacks
TESS = corpus(["s0", "YAF"], ["angry", "sad", "surprise"], per_label=3, prefix="t")


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Remembers the audio and speakers it was trained on; predicts its first class."""

    def fit(self, X, y):
        self.audio_ = list(X["audio"])
        self.speakers_ = set(X["speaker"])
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        self.predicted_audio_ = list(X["audio"])
        return np.full(len(X), self.classes_[0])


def test_every_training_side_holds_all_added_utterances_and_no_test_side_any():
    plain = evaluate(RecordingClassifier(), MAIN, MAIN["label"], return_estimators=True)
    report = evaluate(RecordingClassifier(), MAIN, MAIN["label"], return_estimators=True,
                      extra_train={"tess": TESS})
    added = set(TESS.loc[TESS["label"] != "surprise", "audio"])
    assert len(added) == 12
    for model, test, plain_test in zip(report.estimators, report.test_indices, plain.test_indices):
        trained = set(model.audio_)
        assert added <= trained  # all of them, every fold
        np.testing.assert_array_equal(test, plain_test)  # the same test utterances as without
        assert set(model.predicted_audio_) == set(MAIN["audio"].iloc[test])  # and only those tested
        assert not set(model.predicted_audio_) & set(TESS["audio"])
        assert trained - added == set(MAIN["audio"]) - set(MAIN["audio"].iloc[test])  # main side unchanged
    pd.testing.assert_frame_equal(report.per_fold[["fold", "test_speakers", "n_test", "ua"]],
                                  plain.per_fold[["fold", "test_speakers", "n_test", "ua"]])
    assert report.info["n_utterances"] == len(MAIN)
    assert report.info["extra_train"] == {"tess": {"dropped": {"surprise": 6}, "n_utterances": 12,
                                                   "speakers": ["tess:YAF", "tess:s0"]}}


def test_added_speakers_are_prefixed_so_they_never_meet_a_main_speaker():
    report = evaluate(RecordingClassifier(), MAIN, MAIN["label"], return_estimators=True, extra_train={"tess": TESS})
    fold_of_s0 = report.per_fold["test_speakers"].tolist().index("s0")
    speakers = report.estimators[fold_of_s0].speakers_
    assert "tess:s0" in speakers and "s0" not in speakers  # TESS's s0 trains while EmoDB's s0 is tested
    clashing = MAIN.assign(speaker=MAIN["speaker"].replace("s3", "tess:YAF"))
    with pytest.raises(ValueError, match=r"speaker\(s\) \['tess:YAF'\]"):
        evaluate(RecordingClassifier(), clashing, clashing["label"], extra_train={"tess": TESS})


def test_a_corpus_column_names_the_corpora_and_a_label_map_maps_onto_the_main_classes():
    extra = pd.concat([TESS.assign(corpus="tess"), corpus(["a01"], ["anger", "calm"], prefix="r").assign(corpus="ravdess")])
    rows, summary = extra_training_utterances(extra, ["angry", "sad", "neutral"],
                                              label_map={"tess": {"angry": "angry", "sad": "sad"},
                                                         "ravdess": {"anger": "angry", "calm": "neutral"}})
    assert sorted(set(zip(rows["corpus"], rows["label"]))) == [
        ("ravdess", "angry"), ("ravdess", "neutral"), ("tess", "angry"), ("tess", "sad")]
    assert set(rows["speaker"]) == {"tess:s0", "tess:YAF", "ravdess:a01"}
    assert summary["tess"]["dropped"] == {"surprise": 6} and summary["ravdess"]["dropped"] == {}
    unnamed, _ = extra_training_utterances(TESS, ["angry"])
    assert set(unnamed["speaker"]) == {"extra:s0", "extra:YAF"} and set(unnamed["label"]) == {"angry"}


@pytest.mark.parametrize("X, extra, match", [
    (MAIN, {"tess": TESS.drop(columns="speaker")}, "lacks the column"),
    (MAIN, {"tess": TESS.assign(label="calm")}, "shares no class"),
    (MAIN, TESS["audio"], "DataFrame of utterances"),
    (MAIN["audio"].tolist(), {"tess": TESS}, "X as a DataFrame"),
    (MAIN, {"emodb": MAIN.iloc[:3]}, "3 of X's own files"),
])
def test_bad_extra_corpora_are_refused_before_any_fit(X, extra, match):
    with pytest.raises((TypeError, ValueError), match=match):
        evaluate(RecordingClassifier(), X, MAIN["label"], groups=MAIN["speaker"], extra_train=extra)


class CountingFeatures(TransformerMixin, BaseEstimator):
    """A stateless step (precomputed by evaluate): the row count of every transform call."""

    calls = []

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        type(self).calls.append(len(X))
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


def test_precomputed_stateless_steps_run_on_the_added_utterances_too():
    CountingFeatures.calls.clear()
    pipe = Pipeline([("features", CountingFeatures()), ("clf", RecordingClassifier())])
    report = evaluate(pipe, MAIN, MAIN["label"], extra_train={"tess": TESS}, return_estimators=True)
    assert CountingFeatures.calls == [len(MAIN) + 12]  # once, before the folds, on both corpora
    assert report.info["precompute_seconds"] >= 0


def test_early_stopping_holds_out_main_speakers_only_and_the_same_ones_as_without():
    main = np.repeat([f"s{i}" for i in range(8)], 5)
    joined = np.concatenate([main, np.repeat(["tess:OAF", "tess:YAF"], 50)])
    for seed in range(5):
        _, valid = speaker_validation_split(main, 0.2, seed)
        train_j, valid_j = speaker_validation_split(joined, 0.2, seed, always_train={"tess:OAF", "tess:YAF"})
        np.testing.assert_array_equal(valid_j, valid)
        assert set(joined[train_j]) >= {"tess:OAF", "tess:YAF"}
    net = Pipeline([("net", SERNetClassifier(FrameDNN, train_split=SpeakerValidSplit(0.25)))])
    moved = validating_on_main_speakers(net, {"tess:OAF"})
    assert moved.named_steps["net"].train_split.always_train == frozenset({"tess:OAF"})
    assert net.named_steps["net"].train_split.always_train == ()  # the caller's estimator untouched
    assert moved.named_steps["net"].train_split.valid_fraction == 0.25


def test_integer_speakers_keep_their_order_so_the_same_ones_are_held_out_with_an_added_corpus():
    from sklearn_ser.model_selection.multi_corpus import _as_sortable_strings

    main = np.repeat([3, 10, 8, 12, 7], 4)
    named = _as_sortable_strings(main)
    assert list(np.unique(named)) == ["03", "07", "08", "10", "12"]
    joined = np.concatenate([named, np.repeat(["tess:OAF"], 4)])
    for seed in range(5):
        _, valid = speaker_validation_split(main, 0.4, seed)
        _, valid_j = speaker_validation_split(joined, 0.4, seed, always_train={"tess:OAF"})
        np.testing.assert_array_equal(valid_j, valid)


def test_a_net_evaluated_with_an_added_corpus_validates_on_main_speakers():
    rng = np.random.default_rng(0)

    def features(frame):
        y = frame["label"].to_numpy()
        X = rng.standard_normal((len(frame), 4)).astype(np.float32) + np.where(y == "angry", 1.0, -1.0)[:, None]
        return pd.DataFrame({"audio": list(X), "speaker": frame["speaker"], "label": y})

    main = features(corpus([f"s{i}" for i in range(6)], ["angry", "sad"], per_label=4))
    extra = features(corpus(["OAF", "YAF"], ["angry", "sad"], per_label=10))

    class Rows(CountingFeatures):
        def transform(self, X):
            return np.stack(X["audio"].to_list())

    pipe = Pipeline([("rows", Rows()), ("net", SERNetClassifier(FrameDNN, max_epochs=2, batch_size=16, verbose=0))])
    report = evaluate(pipe, main, main["label"], cv="kfold:3", extra_train={"tess": extra}, return_estimators=True)
    for model in report.estimators:
        assert model.named_steps["net"].train_split.always_train == frozenset({"tess:OAF", "tess:YAF"})
        assert len(model.named_steps["net"].history) == 2
