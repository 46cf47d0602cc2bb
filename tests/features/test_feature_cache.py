"""The per-utterance feature cache (``memory=``, issue 30): under cross_validate and GridSearchCV an
utterance's features are computed once, whatever the folds and grid points; what changes the
features (the audio, a parameter) computes them again; the output is what no cache gives."""
import importlib

import numpy as np
import pytest
import soundfile as sf
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.features import KimSpectrogramVolumes, LLDFunctionals

from ..conftest import as_wav_files


class CountingFunctionals(LLDFunctionals):
    """The baseline's features, counting the utterances they are computed for (in this process:
    the searches below run with n_jobs=None)."""

    calls = []

    def _utterance_features(self, y):
        self.calls.append(len(y))
        return super()._utterance_features(y)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    corpus = make_synthetic_corpus(n_speakers=3, n_per_class=2, duration=(0.5, 0.7), random_state=0)
    return as_wav_files(corpus, tmp_path_factory.mktemp("cache-corpus"))


def _pipe(memory):
    return Pipeline([("features", CountingFunctionals(memory=memory)), ("scale", StandardScaler()),
                     ("svm", SVC())])


def _calls(run):
    CountingFunctionals.calls.clear()
    result = run()
    return len(CountingFunctionals.calls), result


@pytest.mark.parametrize("search", ["cross_validate", "grid"])
def test_each_utterance_is_extracted_once_across_folds_and_grid_points(corpus, tmp_path, search):
    X, y, groups = corpus[["audio"]], corpus["label"], corpus["speaker"]

    def run(memory):
        if search == "grid":
            grid = GridSearchCV(_pipe(memory), {"svm__C": [0.1, 1.0, 10.0]}, cv=GroupKFold(3))
            return grid.fit(X, y, groups=groups).cv_results_["mean_test_score"]
        return cross_validate(_pipe(memory), X, y, groups=groups, cv=GroupKFold(3))["test_score"]

    uncached, expected = _calls(lambda: run(None))
    cached, scores = _calls(lambda: run(str(tmp_path / "cache")))
    assert uncached >= 3 * len(X)  # without the cache every fold extracts its utterances again
    assert cached == len(X)
    np.testing.assert_array_equal(scores, expected)
    again, _ = _calls(lambda: run(str(tmp_path / "cache")))  # a later run reads them all
    assert again == 0


def test_a_rewritten_file_or_a_changed_parameter_is_computed_again(corpus, tmp_path):
    paths = list(corpus["audio"][:4])
    memory = str(tmp_path / "cache")
    first, out = _calls(lambda: CountingFunctionals(memory=memory).fit_transform(paths))
    assert first == 4
    wave, sr = sf.read(paths[0], dtype="float32")
    sf.write(paths[0], 0.5 * wave, sr, subtype="FLOAT")  # same path, new audio
    again, changed = _calls(lambda: CountingFunctionals(memory=memory).fit_transform(paths))
    assert again == 1
    np.testing.assert_array_equal(changed[1:], out[1:])
    np.testing.assert_array_equal(changed, LLDFunctionals().fit_transform(paths))
    other_rate, _ = _calls(lambda: CountingFunctionals(sr=8000, memory=memory).fit_transform(paths))
    assert other_rate == 4


def test_cached_per_speaker_gain_representations_equal_uncached(corpus, tmp_path):
    X = corpus[["audio", "speaker"]]
    plain = KimSpectrogramVolumes(min_utterances=2, n_bins=16)
    cached = KimSpectrogramVolumes(min_utterances=2, n_bins=16, memory=str(tmp_path / "cache"))
    expected = plain.fit_transform(X)
    np.testing.assert_array_equal(cached.fit_transform(X), expected)
    np.testing.assert_array_equal(cached.fit_transform(X), expected)  # now read from the cache
    # a lone utterance takes its own (widened) range, not its speaker's: a different cache entry
    np.testing.assert_array_equal(cached.transform(X.iloc[:1]), plain.transform(X.iloc[:1]))


def test_evaluate_fills_the_cache_once_and_its_folds_read_it(corpus, tmp_path, monkeypatch):
    from sklearn_ser.model_selection import evaluate

    monkeypatch.setattr(importlib.import_module("sklearn_ser.model_selection.evaluate"), "CACHE_BLOCK", 5)
    X, y = corpus[["audio", "speaker"]], corpus["label"]
    _, expected = _calls(lambda: evaluate(_pipe(None), X, y, cv="kfold:3"))
    calls, report = _calls(lambda: evaluate(_pipe(str(tmp_path / "cache")), X, y, cv="kfold:3"))
    assert calls == len(X)  # blocks of whole speakers fill it; the three folds only read it
    np.testing.assert_array_equal(report.y_pred, expected.y_pred)


def test_steps_that_differ_only_after_each_utterance_share_its_entries(corpus, tmp_path):
    X = corpus[["audio", "speaker"]]
    memory = str(tmp_path / "cache")
    first, _ = _calls(lambda: CountingFunctionals(memory=memory).fit_transform(X))
    normalised = CountingFunctionals(speaker_norm=True, min_utterances=2, memory=memory)
    again, out = _calls(lambda: normalised.fit_transform(X))  # z-scoring comes after the cache
    assert (first, again) == (len(X), 0)
    np.testing.assert_array_equal(out, LLDFunctionals(speaker_norm=True, min_utterances=2).fit_transform(X))
