"""The handcrafted baseline's recipe."""
from sklearn.model_selection import GridSearchCV

from sklearn_ser.model_selection import SpeakerKFold
from sklearn_ser.recipes import get_system


def test_baseline_C_is_a_recipe_parameter_and_the_grid_search_name_is_documented(small_corpus):
    assert get_system("baseline", C=10).get_params()["classifier__estimator__C"] == 10
    corpus = small_corpus.groupby(["speaker", "label"]).head(3)
    spk = corpus["speaker"].to_numpy()
    # the name the README gives: the SVC sits inside the calibrating CalibratedClassifierCV
    search = GridSearchCV(get_system("baseline"), {"classifier__estimator__C": [0.1, 10.0]},
                          cv=SpeakerKFold(n_splits=2), scoring="balanced_accuracy", error_score="raise")
    search.fit(corpus, corpus["label"], groups=spk)
    assert search.best_params_["classifier__estimator__C"] in (0.1, 10.0)
    assert search.best_estimator_.named_steps["classifier"].estimator.C == search.best_params_[
        "classifier__estimator__C"]
