"""A fitted pipeline saved with joblib loads in a new process and predicts identically."""
import numpy as np

from sklearn_ser.recipes import get_system


def test_baseline_pipeline_round_trip_in_new_process(small_corpus, tmp_path, round_trip_in_new_process):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    round_trip_in_new_process(get_system("baseline"), train, test, tmp_path)


def test_same_random_state_same_predictions(small_corpus):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    a = get_system("baseline", random_state=3).fit(train, train["label"]).predict_proba(test)
    b = get_system("baseline", random_state=3).fit(train, train["label"]).predict_proba(test)
    np.testing.assert_array_equal(a, b)
