import importlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.pipeline import Pipeline

from sklearn_ser.features import (
    FUNCTIONAL_NAMES, LLD_NAMES, LLDFunctionals, OpenSmileFunctionals, frame_llds, functionals,
    standardize_per_speaker, voicing_probability,
)

from ..conftest import tone


def test_lld_shape_names_and_frame_rate():
    y = tone(200.0, seconds=1.23)
    llds = frame_llds(y)
    assert llds.shape == (1 + len(y) // 160, 32) and llds.dtype == np.float32
    assert len(LLD_NAMES) == 32 and LLD_NAMES[16] == "f0_delta"


def test_f0_and_voicing_of_a_tone_and_of_noise():
    llds = frame_llds(tone(180.0, seconds=1.0))
    inner = llds[10:-10]
    assert np.median(inner[:, 0]) == pytest.approx(180.0, rel=0.02)
    assert inner[:, 1].min() > 0.9
    noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    noise_llds = frame_llds(noise)
    assert np.median(noise_llds[:, 1]) < 0.4
    assert np.mean(noise_llds[:, 0] == 0) > 0.9  # unvoiced frames carry F0 = 0


def test_voicing_probability_matches_direct_autocorrelation():
    y = tone(150.0, seconds=0.3) + 0.05 * np.random.default_rng(1).standard_normal(4800).astype(np.float32)
    prob = voicing_probability(y, 16000, 640, 160, 60.0, 500.0)
    padded = np.pad(y, 320)
    window = np.hanning(640)
    frame = padded[5 * 160: 5 * 160 + 640] * window
    acf = np.correlate(frame, frame, mode="full")[639:]
    window_acf = np.correlate(window, window, mode="full")[639:]
    expected = ((acf[32:267] / acf[0]) / (window_acf[32:267] / window_acf[0])).max()
    assert prob[5] == pytest.approx(expected, rel=1e-4)


def test_mfcc_and_rms_columns_match_librosa():
    import librosa

    y = tone(300.0, seconds=0.5) + 0.01 * np.random.default_rng(2).standard_normal(8000).astype(np.float32)
    llds = frame_llds(y)
    mfcc = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13, n_fft=400, hop_length=160, window="hamming",
                                n_mels=26, pad_mode="constant")[1:]
    np.testing.assert_allclose(llds[:, 3:15], mfcc.T, rtol=1e-4, atol=1e-3)
    rms = librosa.feature.rms(y=y, frame_length=400, hop_length=160, pad_mode="constant")[0]
    np.testing.assert_allclose(llds[:, 15], rms, rtol=1e-5)


def test_functionals_against_numpy_and_scipy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3)) + np.arange(50)[:, None] * [0.1, 0.0, -0.2]
    out = functionals(x).reshape(3, len(FUNCTIONAL_NAMES)).astype(float)
    named = {name: out[:, i] for i, name in enumerate(FUNCTIONAL_NAMES)}
    np.testing.assert_allclose(named["max"], x.max(0), rtol=1e-6)
    np.testing.assert_allclose(named["range"], np.ptp(x, 0), rtol=1e-6)
    np.testing.assert_allclose(named["max_pos"], x.argmax(0) / 49, rtol=1e-6)
    np.testing.assert_allclose(named["std"], x.std(0), rtol=1e-5)
    np.testing.assert_allclose(named["skewness"], stats.skew(x, axis=0), rtol=1e-4)
    np.testing.assert_allclose(named["kurtosis"], stats.kurtosis(x, axis=0), rtol=1e-4)
    for d in range(3):
        fit = stats.linregress(np.arange(50), x[:, d])
        assert named["slope"][d] == pytest.approx(fit.slope, rel=1e-4, abs=1e-6)
        assert named["offset"][d] == pytest.approx(fit.intercept, rel=1e-4, abs=1e-5)
        residual = x[:, d] - (fit.intercept + fit.slope * np.arange(50))
        assert named["linreg_mse"][d] == pytest.approx(np.mean(residual**2), rel=1e-4)


def test_functionals_of_constant_and_single_frame_are_finite():
    assert np.all(np.isfinite(functionals(np.ones((20, 4)))))
    assert np.all(np.isfinite(functionals(np.ones((1, 4)))))


def test_standardize_per_speaker():
    rng = np.random.default_rng(0)
    features = np.vstack([rng.normal(5, 2, (10, 3)), rng.normal(-3, 0.5, (6, 3))])
    speakers = np.array(["a"] * 10 + ["b"] * 6)
    out = standardize_per_speaker(features, speakers)
    for s in "ab":
        np.testing.assert_allclose(out[speakers == s].mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(out[speakers == s].std(0), 1, atol=1e-5)
    with pytest.raises(ValueError, match="speaker of every utterance"):
        standardize_per_speaker(features, None)


def test_lld_functionals_transformer(small_corpus):
    X = small_corpus.iloc[:12]
    features = LLDFunctionals().fit_transform(X)
    assert features.shape == (12, 384) and features.dtype == np.float32
    assert np.all(np.isfinite(features))
    assert len(LLDFunctionals().get_feature_names_out()) == 384
    normed = LLDFunctionals(speaker_norm=True, min_utterances=2).fit_transform(X)
    for speaker in X["speaker"].unique():
        rows = (X["speaker"] == speaker).to_numpy()
        np.testing.assert_allclose(normed[rows].mean(0), 0, atol=1e-4)


def test_speaker_norm_needs_speakers_at_fit_and_warns_without_them_at_transform(small_corpus):
    with pytest.raises(ValueError, match="speaker of every utterance"):
        LLDFunctionals(speaker_norm=True).fit(list(small_corpus["audio"][:4]))
    step = LLDFunctionals(speaker_norm=True, min_utterances=2).fit(small_corpus.iloc[:12])
    with pytest.warns(UserWarning, match="1 utterance.*without a speaker.*population"):
        step.transform(list(small_corpus["audio"][:1]))


def test_parallel_output_is_identical(small_corpus):
    X = small_corpus.iloc[:8]
    np.testing.assert_array_equal(LLDFunctionals(n_jobs=1).fit_transform(X),
                                  LLDFunctionals(n_jobs=2).fit_transform(X))


def test_works_inside_cached_pipeline(tmp_path, small_corpus):
    X = small_corpus.iloc[:6]
    pipe = Pipeline([("features", LLDFunctionals()), ("id", "passthrough")], memory=str(tmp_path))
    first = pipe.fit_transform(X)
    second = pipe.fit_transform(X)  # from the cache
    np.testing.assert_array_equal(first, second)


def test_opensmile_functionals():
    pytest.importorskip("opensmile")
    out = OpenSmileFunctionals("eGeMAPSv02").fit_transform([tone(200.0), tone(300.0, 1.5)])
    assert out.shape == (2, 88)
    with pytest.raises(ValueError, match="feature_set"):
        OpenSmileFunctionals("nope").fit([tone()])


def test_opensmile_missing_extra_is_explained(monkeypatch):
    import sys

    from sklearn_ser.features import opensmile as module

    module._smile.cache_clear()
    monkeypatch.setitem(sys.modules, "opensmile", None)
    with pytest.raises(ImportError, match=r"sklearn-ser\[opensmile\]"):
        OpenSmileFunctionals().fit([tone()])
    module._smile.cache_clear()


def test_bin_standard_scaler_along_another_axis():
    from sklearn_ser.features import BinStandardScaler

    rng = np.random.default_rng(0)
    scale = np.array([1, 10, 100], dtype="float32")[None, :, None, None]
    X = (rng.normal(0, 1, (40, 3, 4, 5)) * scale + scale).astype("float32")
    Z = BinStandardScaler(axis=1).fit_transform(X)  # per channel
    np.testing.assert_allclose(Z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=(0, 2, 3)), 1, atol=1e-4)
    ragged = np.empty(2, dtype=object)
    ragged[:] = [X[:10], X[10:]]
    np.testing.assert_allclose(np.concatenate(list(BinStandardScaler(axis=1).fit_transform(ragged))), Z,
                               rtol=1e-5, atol=1e-5)


def test_long_waveforms_get_the_same_llds_block_by_block(small_corpus):
    from sklearn_ser.features import frame_llds

    y = np.concatenate(list(small_corpus["audio"][:12]))[:-77]
    whole, blocks = frame_llds(y), frame_llds(y, block_frames=250)
    assert whole.shape == blocks.shape == (1 + len(y) // 160, 32)
    np.testing.assert_allclose(blocks, whole, rtol=1e-4, atol=1e-4)


def test_functionals_of_a_long_recording_are_computed_in_column_blocks(monkeypatch):
    module = importlib.import_module("sklearn_ser.features.functionals")  # the module, not the function

    frames = np.random.default_rng(0).standard_normal((3000, 32)).astype(np.float32)
    whole = module.functionals(frames)
    monkeypatch.setattr(module, "_BLOCK_VALUES", 3000 * 5)
    np.testing.assert_array_equal(module.functionals(frames), whole)
