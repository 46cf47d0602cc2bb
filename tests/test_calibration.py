"""Calibration on speaker folds: the decision values the calibration learns from come from
classifiers that never saw their speaker."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.svm import LinearSVC

from sklearn_ser.calibration import SpeakerCalibratedClassifierCV, speaker_calibration_folds
from sklearn_ser.model_selection import SpeakerKFold


class SeenRows(LinearSVC):
    """A LinearSVC that records which rows (their first column holds the row number) each fit saw."""
    fits = []

    def fit(self, X, y, sample_weight=None):
        SeenRows.fits.append(X[:, 0].astype(int))
        return super().fit(X[:, 1:], y, sample_weight)

    def decision_function(self, X):
        return super().decision_function(X[:, 1:])


@pytest.fixture
def data():
    X, y = make_classification(240, 10, n_informative=5, n_classes=3, random_state=0)
    speakers = np.repeat(np.arange(8), 30)  # each speaker has every class
    return np.column_stack([np.arange(len(y)), X]), y, speakers


def test_calibration_folds_hold_whole_speakers_and_the_final_fit_all_of_them(data):
    X, y, speakers = data
    SeenRows.fits.clear()
    model = SpeakerCalibratedClassifierCV(SeenRows(), method="temperature", ensemble=False, cv=4)
    model.fit(X, y, groups=speakers)
    *calibration_fits, final = SeenRows.fits
    assert len(calibration_fits) == 4
    held_out = [np.setdiff1d(np.arange(len(y)), rows) for rows in calibration_fits]
    for rows, test in zip(calibration_fits, held_out):
        assert not set(speakers[rows]) & set(speakers[test])  # no speaker on both sides
    assert sorted(np.concatenate(held_out).tolist()) == list(range(len(y)))
    np.testing.assert_array_equal(np.sort(final), np.arange(len(y)))
    assert model.cv == 4  # the parameter is left as given


def test_without_speakers_the_folds_are_sklearns(data):
    X, y, _ = data
    SeenRows.fits.clear()
    model = SpeakerCalibratedClassifierCV(SeenRows(), method="temperature", ensemble=False, cv=3).fit(X, y)
    assert len(SeenRows.fits) == 4 and model.calibration_folds_ == "utterance"


def test_a_speaker_search_inside_gets_each_folds_speakers(data):
    X, y, speakers = data
    search = GridSearchCV(LinearSVC(), {"C": [0.01, 1.0]}, cv=SpeakerKFold(n_splits=2))
    model = SpeakerCalibratedClassifierCV(search, method="temperature", ensemble=False, cv=3)
    model.fit(X[:, 1:], y, groups=speakers)  # SpeakerKFold refuses to split without speakers
    assert model.predict_proba(X[:, 1:]).shape == (len(y), 3)


def test_speakers_that_cannot_make_folds_fall_back_to_utterance_folds_with_a_warning(data):
    X, y, speakers = data
    y = y.copy()
    y[speakers == 0] = 7  # class 7: one speaker only, so the fold holding it out cannot score it
    assert speaker_calibration_folds(y, speakers, 4)[0] is None
    with pytest.warns(UserWarning, match="utterance folds.*no 7"):
        SpeakerCalibratedClassifierCV(LinearSVC(), ensemble=False, cv=4).fit(X, y, groups=speakers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert speaker_calibration_folds(data[1], speakers, 4)[0] is not None


def test_two_speakers_calibrate_on_utterance_folds_with_a_warning(data):
    X, y, speakers = data
    two = speakers < 2
    with pytest.warns(UserWarning, match="2 speaker"):
        SpeakerCalibratedClassifierCV(LinearSVC(), ensemble=False).fit(X[two], y[two], groups=speakers[two])


def test_with_speakers_cv_must_be_a_number_of_folds(data):
    X, y, speakers = data
    with pytest.raises(ValueError, match="number of speaker folds"):
        SpeakerCalibratedClassifierCV(LinearSVC(), cv=SpeakerKFold(2)).fit(X, y, groups=speakers)
    with pytest.raises(ValueError, match="number of speaker folds"):
        SpeakerCalibratedClassifierCV(LinearSVC(), cv=1).fit(X, y, groups=speakers)


@pytest.mark.parametrize("offset", [1, 10])
def test_temperature_scaling_takes_labels_that_are_not_0_to_k(data, offset):
    X, y, speakers = data  # e.g. five levels 1-5 from bin_five_levels
    model = SpeakerCalibratedClassifierCV(LinearSVC(), method="temperature", ensemble=False)
    model.fit(X[:, 1:], y + offset, groups=speakers)
    np.testing.assert_array_equal(model.classes_, np.unique(y) + offset)
    proba = model.predict_proba(X[:, 1:])
    assert proba.std(axis=1).min() > 0.01  # not the uniform posteriors of unencoded labels
    assert set(model.predict(X[:, 1:])) <= set(np.unique(y) + offset)
    assert (model.predict(X[:, 1:]) == y + offset).mean() > 0.6
    assert model.calibration_folds_ == "speaker"


def test_a_pandas_label_series_with_any_index_works(data):
    import pandas as pd

    X, y, speakers = data
    labels = pd.Series(np.array(["a", "b", "c"])[y], index=np.arange(len(y)) + 1000)
    model = SpeakerCalibratedClassifierCV(LinearSVC(), method="temperature", ensemble=False)
    assert model.fit(X[:, 1:], labels, groups=speakers).predict(X[:1, 1:])[0] in {"a", "b", "c"}


def test_a_pipeline_inside_gets_the_speakers_by_its_step_name(data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, speakers = data
    inner = make_pipeline(StandardScaler(), GridSearchCV(LinearSVC(), {"C": [0.1, 1.0]}, cv=SpeakerKFold(2)))
    model = SpeakerCalibratedClassifierCV(inner, method="temperature", ensemble=False, cv=3)
    assert model.fit(X[:, 1:], y, groups=speakers).calibration_folds_ == "speaker"
