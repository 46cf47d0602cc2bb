"""NoveltyCheck and SERPipeline: inputs far from the training audio are flagged by name; nothing
else changes."""
import warnings

import numpy as np
import pytest

import sklearn_ser
from sklearn_ser.exceptions import OutlierUtteranceError, OutlierWarning
from sklearn_ser.novelty import NoveltyCheck, SERPipeline, audio_descriptor
from sklearn_ser.recipes import SYSTEMS, get_system

SR = 16000


def test_the_descriptor_ignores_level(small_corpus):
    y = small_corpus["audio"][0]
    np.testing.assert_allclose(audio_descriptor(y * 0.01), audio_descriptor(y), atol=1e-3)


def test_the_descriptor_of_a_long_recording_is_computed_a_minute_at_a_time(small_corpus, monkeypatch):
    import sklearn_ser.novelty as novelty

    y = np.concatenate(list(small_corpus["audio"][:30]))
    whole = audio_descriptor(y)
    monkeypatch.setattr(novelty, "_BLOCK_S", 3)
    # only the frames that straddle a seam differ (each block's edge is padded)
    np.testing.assert_allclose(audio_descriptor(y), whole, rtol=1e-2, atol=0.05)


def test_check_warns_raises_or_ignores_by_name(small_corpus):
    check = NoveltyCheck().fit(small_corpus)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    X = [small_corpus["audio"][0], tone]
    with pytest.warns(OutlierWarning, match=r"1 utterance\(s\) far outside .*: utterance #1") as record:
        assert check.check(X) == ["utterance #1"]
    assert record[0].message.utterances == ["utterance #1"]
    with pytest.raises(OutlierUtteranceError, match="utterance #1"):
        check.set_params(on_outlier="raise").check(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check.set_params(on_outlier="ignore").check(X) == []


def test_every_registered_system_learns_its_training_audio():
    for name in SYSTEMS:
        model = get_system(name)
        members = [m for _, m in model.estimators] if hasattr(model, "estimators") else [model]
        assert all(isinstance(m, SERPipeline) and isinstance(m.novelty, NoveltyCheck) for m in members), name


def test_a_net_pipeline_names_a_flagged_file_and_predicts_as_without_the_check(tmp_path, small_corpus):
    import soundfile as sf

    model = get_system("kim-2d-cnn-lstm", max_epochs=1, module__n_cells=8).fit(
        small_corpus, small_corpus["label"], net__groups=small_corpus["speaker"])
    path = tmp_path / "tone.wav"
    sf.write(path, 0.5 * np.sin(2 * np.pi * 440 * np.arange(2 * SR) / SR), SR)
    X = [str(path), small_corpus["audio"][0]]
    with pytest.warns(OutlierWarning) as record:
        proba = model.predict_proba(X)
    assert [u for w in record if issubclass(w.category, OutlierWarning) for u in w.message.utterances] == [str(path)]
    unchecked = model.set_params(novelty__on_outlier="ignore").predict_proba(X)
    np.testing.assert_array_equal(proba, unchecked)


def test_the_check_survives_the_safe_format(tmp_path, small_corpus):
    model = get_system("baseline").fit(small_corpus, small_corpus["label"])
    sklearn_ser.save(model, tmp_path / "m.model")
    loaded = sklearn_ser.load(tmp_path / "m.model")
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    np.testing.assert_array_equal(loaded.novelty_.score_samples([tone]), model.novelty_.score_samples([tone]))
    with pytest.raises(OutlierUtteranceError):
        loaded.set_params(novelty__on_outlier="raise").predict([tone])


def test_pipelines_do_not_share_a_check(small_corpus):
    a, b = get_system("baseline"), get_system("baseline")
    a.set_params(novelty__on_outlier="raise")
    assert b.get_params()["novelty__on_outlier"] == "warn"
    assert SERPipeline([("lr", None)]).novelty == "auto"


def test_no_novelty_means_no_check(small_corpus):
    model = SERPipeline(get_system("baseline").steps, novelty=None).fit(small_corpus, small_corpus["label"])
    assert not hasattr(model, "novelty_")
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutlierWarning)
        model.predict([tone])
