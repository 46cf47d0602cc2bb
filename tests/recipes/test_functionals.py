"""The functionals recipe: C chosen on speaker folds that never hold a test speaker, the feature
sets, and a clear message when the speakers do not reach the search."""
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC

from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.features import BroadFunctionals, OpenSmileFunctionals
from sklearn_ser.model_selection import SpeakerKFold, evaluate
from sklearn_ser.recipes import INNER_FOLDS, get_system
from sklearn_ser.recipes.functionals import _InnerSpeakerFolds

SEEN = []  # per inner split: the speakers of its training and validation parts


class RecordingFolds(_InnerSpeakerFolds):
    """The recipe's inner speaker folds, recording the speakers each split hands the search."""

    def split(self, X, y=None, groups=None):
        for train, valid in super().split(X, y, groups):
            SEEN.append((set(np.asarray(groups)[train]), set(np.asarray(groups)[valid])))
            yield train, valid


@pytest.fixture(scope="module")
def corpus():
    return make_synthetic_corpus(n_speakers=4, n_per_class=3, duration=(0.6, 0.9), random_state=2)


def test_the_inner_search_for_C_never_sees_a_test_speaker(corpus):
    model = get_system("functionals", Cs=[0.01, 1.0]).set_params(classifier__estimator__cv=RecordingFolds(3))
    SEEN.clear()
    report = evaluate(model, corpus, corpus["label"], cv="loso", return_estimators=True)
    speakers = set(corpus["speaker"])
    # per outer fold (3 training speakers): 3 calibration folds of one held-out speaker, each a
    # search over the other 2 (2 splits), then the final fit's search over all 3 (3 splits)
    per_fold = 3 * 2 + 3
    assert len(SEEN) == per_fold * len(report.per_fold)
    for k, test_speaker in enumerate(report.per_fold["test_speakers"]):
        fold = SEEN[k * per_fold:(k + 1) * per_fold]
        for train, valid in fold:
            assert test_speaker not in train | valid
            assert not train & valid  # the inner folds are speaker-disjoint too
        assert set().union(*(train | valid for train, valid in fold)) == speakers - {test_speaker}
        calibration_searches = [fold[i:i + 2] for i in range(0, 6, 2)]
        held_out = [speakers - {test_speaker} - (a[0] | a[1] | b[0] | b[1]) for a, b in calibration_searches]
        assert sorted(len(h) for h in held_out) == [1, 1, 1]  # each calibration fold hides a speaker
        assert set().union(*held_out) == speakers - {test_speaker}
    for fitted in report.estimators:
        search = fitted.named_steps["classifier"].calibrated_classifiers_[0].estimator
        assert search.best_params_["C"] in (0.01, 1.0)


def test_fit_without_speakers_says_how_to_pass_them(corpus):
    with pytest.raises(ValueError, match="classifier__groups=speakers"):
        get_system("functionals").fit(corpus, corpus["label"])
    # with the speakers as the library passes them, and with a fixed C, it fits
    get_system("functionals").fit(corpus, corpus["label"], classifier__groups=corpus["speaker"].to_numpy())
    get_system("functionals", C=0.01).fit(corpus, corpus["label"])


def test_fewer_training_speakers_than_inner_folds_get_one_fold_each(corpus):
    two = corpus[corpus["speaker"].isin(sorted(set(corpus["speaker"]))[:2])]
    with pytest.warns(UserWarning, match="utterance folds.*2 speaker"):
        model = get_system("functionals").fit(two, two["label"], classifier__groups=two["speaker"].to_numpy())
    assert model.named_steps["classifier"].calibrated_classifiers_[0].estimator.n_splits_ == 2
    with pytest.raises(ValueError, match="at least 2 training speakers"):
        next(_InnerSpeakerFolds(3).split(np.zeros(4), groups=["a"] * 4))


@pytest.mark.parametrize("name, features, feature_set, speaker_norm", [
    ("functionals", BroadFunctionals, None, False),
    ("functionals-spknorm", BroadFunctionals, None, True),
    ("compare", OpenSmileFunctionals, "ComParE_2016", False),
    ("compare-spknorm", OpenSmileFunctionals, "ComParE_2016", True),
    ("egemaps", OpenSmileFunctionals, "eGeMAPSv02", False),
    ("egemaps-spknorm", OpenSmileFunctionals, "eGeMAPSv02", True),
])
def test_each_system_has_its_features_and_a_searched_linear_svm(name, features, feature_set, speaker_norm):
    model = get_system(name)
    step = model.named_steps["features"]
    assert type(step) is features and step.speaker_norm is speaker_norm
    assert getattr(step, "feature_set", None) == feature_set
    search = model.named_steps["classifier"].estimator
    assert isinstance(search, GridSearchCV) and isinstance(search.estimator, LinearSVC)
    assert search.estimator.class_weight == "balanced" and search.param_grid == {"C": [1e-3, 1e-2, 1e-1, 1]}
    assert isinstance(search.cv, SpeakerKFold) and search.cv.n_splits == INNER_FOLDS


def test_a_fixed_C_skips_the_search_and_an_unknown_feature_set_is_refused():
    svm = get_system("functionals", C=0.1).named_steps["classifier"].estimator
    assert isinstance(svm, LinearSVC) and svm.C == 0.1
    with pytest.raises(ValueError, match="feature_set must be 'native'"):
        get_system("functionals", feature_set="nope")


def test_a_fitted_search_saves_in_the_safe_format(corpus, tmp_path):
    import zipfile

    import sklearn_ser

    model = get_system("functionals").fit(corpus, corpus["label"], classifier__groups=corpus["speaker"].to_numpy())
    sklearn_ser.save(model, tmp_path / "m.model")
    loaded = sklearn_ser.load(tmp_path / "m.model")
    np.testing.assert_array_equal(loaded.predict_proba(corpus), model.predict_proba(corpus))
    search = loaded.named_steps["classifier"].calibrated_classifiers_[0].estimator
    assert search.best_params_ == model.named_steps["classifier"].calibrated_classifiers_[0].estimator.best_params_
    with zipfile.ZipFile(tmp_path / "m.model") as archive:  # no member is a pickle
        assert all(n in ("format.json", "model.json") or n.endswith(".npy") for n in archive.namelist())
