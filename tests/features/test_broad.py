"""The broad native functionals: LLDs against librosa and closed forms on synthetic signals,
functionals against numpy/scipy, edge cases, long inputs, and the transformer."""
import importlib
import warnings

import librosa
import numpy as np
import pytest
from scipy import stats

from sklearn_ser.features import BroadFunctionals, broad_functionals, broad_llds
from sklearn_ser.features.broad import BROAD_FEATURE_NAMES, broad_features
from sklearn_ser.features.broad_functionals import BROAD_FUNCTIONAL_NAMES
from sklearn_ser.features.broad_lld import BROAD_LLD_NAMES, STATIC_NAMES

from ..conftest import SR, noise, tone

N_FFT, HOP, WIN = 512, 160, 400
INNER = slice(5, -5)  # frames whose windows lie inside the signal


def column(llds, name):
    return llds[:, BROAD_LLD_NAMES.index(name)]


def librosa_power(y):
    """librosa's power spectrogram of the frames broad_llds analyses (frames, bins)."""
    return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hamming",
                               center=True, pad_mode="constant")).T ** 2


def harmonic(f0=200.0, seconds=1.0, n_harmonics=5):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, n_harmonics + 1))).astype(np.float32)


def jittered(f0=200.0, seconds=1.0, jitter=0.03, seed=0):
    """A pulse-like periodic signal whose every cycle's period deviates by ``jitter`` (relative sd)."""
    rng = np.random.default_rng(seed)
    cycles = []
    while sum(map(len, cycles)) < seconds * SR:
        n = int(round(SR / f0 * (1 + jitter * rng.standard_normal())))
        phase = np.arange(n) / n
        cycles.append(sum(np.sin(2 * np.pi * k * phase) / k for k in range(1, 6)))
    return (0.3 * np.concatenate(cycles)[:int(seconds * SR)]).astype(np.float32)


# ---- LLDs ----

def test_shape_names_and_frame_rate():
    y = tone(200.0, seconds=1.23)
    llds = broad_llds(y)
    assert llds.shape == (1 + len(y) // HOP, len(BROAD_LLD_NAMES)) and llds.dtype == np.float32
    assert len(BROAD_LLD_NAMES) == 2 * len(STATIC_NAMES) == 124
    assert BROAD_LLD_NAMES[len(STATIC_NAMES)] == STATIC_NAMES[0] + "_delta"


def test_a_tone_has_its_centroid_and_rolloff_at_its_frequency():
    freq = 1000.0  # a bin centre at 512 points and 16 kHz
    llds = broad_llds(tone(freq))[INNER]
    assert np.median(column(llds, "spectral_centroid")) == pytest.approx(freq, rel=0.01)
    for q in (25, 50, 75):
        assert np.median(column(llds, f"spectral_rolloff{q}")) == freq
    assert abs(np.median(column(llds, "spectral_rolloff90")) - freq) <= SR / N_FFT  # one bin of leakage


def test_spectral_shape_matches_librosa_on_noise():
    y = noise(1.0, seed=3)
    llds = broad_llds(y)
    power = librosa_power(y)
    S = power.T
    np.testing.assert_allclose(column(llds, "spectral_centroid"),
                               librosa.feature.spectral_centroid(S=S, sr=SR, n_fft=N_FFT)[0], rtol=1e-4)
    np.testing.assert_allclose(column(llds, "spectral_spread"),
                               librosa.feature.spectral_bandwidth(S=S, sr=SR, n_fft=N_FFT, norm=False)[0] ** 2
                               / S.sum(axis=0), rtol=1e-3)
    for q in (25, 50, 75, 90):
        np.testing.assert_allclose(column(llds, f"spectral_rolloff{q}"), librosa.feature.spectral_rolloff(
            S=S, sr=SR, n_fft=N_FFT, roll_percent=q / 100)[0])
    np.testing.assert_allclose(column(llds, "spectral_flatness"),
                               librosa.feature.spectral_flatness(S=np.sqrt(S))[0], rtol=1e-3)
    mel = librosa.feature.melspectrogram(S=S, sr=SR, n_fft=N_FFT, n_mels=26)
    log_mel = librosa.power_to_db(mel, top_db=None)
    np.testing.assert_allclose(llds[:, :26], log_mel.T, rtol=1e-4, atol=1e-3)
    mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=15)[1:]
    np.testing.assert_allclose(llds[:, 26:40], mfcc.T, rtol=1e-3, atol=1e-2)


def test_spectral_moments_and_entropy_against_their_definitions():
    y = noise(0.3, seed=4) * np.linspace(0, 1, int(0.3 * SR), dtype=np.float32)
    llds = broad_llds(y)
    p = librosa_power(y).astype(np.float64)
    f = np.fft.rfftfreq(N_FFT, 1 / SR)
    share = p / p.sum(axis=1, keepdims=True)
    centroid = share @ f
    var = share @ f ** 2 - centroid ** 2
    d = f[None, :] - centroid[:, None]
    np.testing.assert_allclose(column(llds, "spectral_skewness"), (share * d ** 3).sum(1) / var ** 1.5, rtol=1e-3)
    np.testing.assert_allclose(column(llds, "spectral_kurtosis"), (share * d ** 4).sum(1) / var ** 2, rtol=1e-3)
    entropy = -(share * np.log(share)).sum(1) / np.log(p.shape[1])
    np.testing.assert_allclose(column(llds, "spectral_entropy"), entropy, rtol=1e-4)
    slope = np.polyfit(f / 1000, 10 * np.log10(p.T), 1)[0]
    np.testing.assert_allclose(column(llds, "spectral_slope"), slope, rtol=1e-3, atol=1e-3)


def test_flatness_of_white_noise_and_of_a_tone():
    # a single frame's periodogram of white noise has exponentially distributed bins, whose
    # geometric mean is exp(-Euler's gamma) of their arithmetic mean: 0.56, not 1
    white = np.random.default_rng(0).standard_normal(2 * SR).astype(np.float32) * 0.1
    assert np.median(column(broad_llds(white), "spectral_flatness")) == pytest.approx(np.exp(-np.euler_gamma), abs=0.03)
    assert np.median(column(broad_llds(tone(1000.0))[INNER], "spectral_flatness")) < 1e-3


def test_f0_of_a_harmonic_signal_and_voicing():
    for f0 in (110.0, 200.0, 320.0):
        llds = broad_llds(harmonic(f0))[INNER]
        assert np.median(column(llds, "f0")) == pytest.approx(f0, rel=0.02)
        assert column(llds, "voicing_prob").min() > 0.9
        assert column(llds, "hnr").min() > 20
    hiss = broad_llds(np.random.default_rng(1).standard_normal(SR).astype(np.float32) * 0.1)
    assert np.mean(column(hiss, "f0") == 0) > 0.9  # unvoiced frames carry F0 = 0
    assert np.median(column(hiss, "hnr")) < 0


def test_the_octave_cost_keeps_f0_off_the_subharmonic():
    # a periodic signal correlates as well at twice its period: without the cost, half the frames halve
    llds = broad_llds(harmonic(250.0, n_harmonics=8))[INNER]
    assert np.all(np.abs(column(llds, "f0") / 250.0 - 1) < 0.02)
    # a jittered voice correlates better at two or three periods in some frames; Praat's 0.01 loses them
    for f0 in (100.0, 220.0):
        track = column(broad_llds(jittered(f0, jitter=0.03, seed=1))[INNER], "f0")
        assert np.mean(np.abs(track / f0 - 1) < 0.1) > 0.95
    # and the cost does not push a low voice an octave up
    assert np.median(column(broad_llds(harmonic(70.0))[INNER], "f0")) == pytest.approx(70.0, rel=0.02)


def test_a_chirp_has_a_rising_centroid():
    t = np.arange(SR) / SR
    chirp = (0.5 * np.sin(2 * np.pi * (300 * t + 1350 * t ** 2))).astype(np.float32)  # 300 -> 3000 Hz
    delta = column(broad_llds(chirp)[INNER], "spectral_centroid_delta")
    assert np.all(delta > 0)
    # 2700 Hz in 100 frames: about 27 Hz a frame
    assert np.median(delta) == pytest.approx(27.0, rel=0.15)


def test_jitter_and_shimmer_are_zero_for_a_steady_tone_and_not_for_a_perturbed_one():
    steady = broad_llds(harmonic(200.0))[INNER]
    assert column(steady, "jitter").max() < 1e-4 and column(steady, "shimmer").max() < 1e-4
    perturbed = broad_llds(jittered(200.0, jitter=0.03))[INNER]
    assert column(perturbed, "jitter").mean() > 1e-3
    wobble = harmonic(200.0) * (1 + 0.3 * np.sin(2 * np.pi * 7 * np.arange(SR) / SR)).astype(np.float32)
    assert column(broad_llds(wobble)[INNER], "shimmer").mean() > 1e-2


def test_jitter_is_zero_next_to_unvoiced_frames():
    y = np.concatenate([harmonic(200.0, 0.5), np.zeros(SR // 2, np.float32)])
    llds = broad_llds(y)
    unvoiced = column(llds, "f0") == 0
    assert unvoiced[-20:].all()
    assert np.all(column(llds, "jitter")[unvoiced] == 0)


def test_zero_crossing_rate_of_a_tone():
    assert np.median(column(broad_llds(tone(1000.0)), "zcr")) == pytest.approx(2 * 1000 / SR, rel=0.05)


def test_deltas_are_librosas():
    llds = broad_llds(harmonic(180.0, 0.5) + noise(0.5, seed=2) * 0.05)
    static, delta = llds[:, :62], llds[:, 62:]
    np.testing.assert_allclose(delta, librosa.feature.delta(static, width=5, mode="nearest", axis=0),
                               rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("y", [
    np.zeros(SR, np.float32),                                              # silence
    noise(0.1, seed=5),                                                    # a 0.1 s utterance
    np.clip(harmonic(150.0) * 20, -1, 1),                                  # clipped audio
    np.concatenate([np.zeros(4000, np.float32), tone(300.0, 0.2), np.zeros(4000, np.float32)]),
    np.full(SR // 2, 0.3, np.float32),                                     # DC
    np.random.default_rng(0).standard_normal(7).astype(np.float32),        # a few samples
], ids=["silence", "100ms", "clipped", "tone-in-silence", "dc", "7-samples"])
def test_nothing_is_nan_or_inf_and_nothing_warns(y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        llds = broad_llds(y)
        features = broad_features(y)
    assert np.isfinite(llds).all() and np.isfinite(features).all()
    assert features.shape == (len(BROAD_FEATURE_NAMES),)


def test_a_long_input_equals_its_blockwise_computation():
    rng = np.random.default_rng(0)
    y = np.concatenate([harmonic(120 + 10 * k, 1.0) * rng.uniform(0.2, 1) for k in range(35)]
                       + [noise(35.0, seed=6) * 0.1])[:-77]  # 70 s, two blocks of the default 60 s
    assert len(y) > 60 * SR
    whole = broad_llds(y, block_frames=10 ** 9)
    np.testing.assert_allclose(broad_llds(y), whole, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(broad_llds(y, block_frames=777), whole, rtol=1e-5, atol=1e-5)
    features = BroadFunctionals().fit_transform([y])[0]
    np.testing.assert_allclose(features, broad_features(y), rtol=1e-5, atol=1e-5)


# ---- functionals ----

def named(out, n_columns):
    out = out.reshape(n_columns, len(BROAD_FUNCTIONAL_NAMES)).astype(np.float64)
    return {name: out[:, i] for i, name in enumerate(BROAD_FUNCTIONAL_NAMES)}


def test_functionals_against_numpy_and_scipy():
    rng = np.random.default_rng(0)
    n = 80
    t = np.arange(n)
    x = rng.standard_normal((n, 4)) + t[:, None] * [0.1, 0.0, -0.2, 0.05] + (t[:, None] ** 2) * [0, 0, 0, 0.01]
    got = named(broad_functionals(x), 4)
    np.testing.assert_allclose(got["mean"], x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(got["std"], x.std(0), rtol=1e-5)
    np.testing.assert_allclose(got["skewness"], stats.skew(x, axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["kurtosis"], stats.kurtosis(x, axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["min"], x.min(0), rtol=1e-6)
    np.testing.assert_allclose(got["range"], np.ptp(x, 0), rtol=1e-6)
    percentiles = np.percentile(x, [1, 25, 50, 75, 99], axis=0)
    for q, p in zip((1, 25, 50, 75, 99), percentiles):
        np.testing.assert_allclose(got[f"p{q}"], p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["range_p25_p75"], percentiles[3] - percentiles[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["range_p1_p99"], percentiles[4] - percentiles[0], rtol=1e-5, atol=1e-6)
    time = t / (n - 1)  # regressions run on time scaled to [0, 1]
    for d in range(4):
        slope, offset = np.polyfit(time, x[:, d], 1)
        assert got["linreg_slope"][d] == pytest.approx(slope, rel=1e-4, abs=1e-6)
        assert got["linreg_offset"][d] == pytest.approx(offset, rel=1e-4, abs=1e-5)
        assert got["linreg_mse"][d] == pytest.approx(np.mean((x[:, d] - slope * time - offset) ** 2), rel=1e-4)
        assert got["quadreg_a"][d] == pytest.approx(np.polyfit(time, x[:, d], 2)[0], rel=1e-4, abs=1e-7)
        low, span = x[:, d].min(), np.ptp(x[:, d])
        for level in (25, 50, 75, 90):
            assert got[f"uplevel{level}"][d] == pytest.approx(np.mean(x[:, d] > low + level / 100 * span))
        steps = np.diff(x[:, d])
        assert got["rise_share"][d] == pytest.approx(np.mean(steps > 0))
        assert got["fall_share"][d] == pytest.approx(np.mean(steps < 0))
        peaks = [i for i in range(1, n - 1)
                 if x[i - 1, d] < x[i, d] >= x[i + 1, d] and x[i, d] > x[:, d].mean()]
        assert got["peaks_per_s"][d] == pytest.approx(len(peaks) / (n / 100))
        assert got["peak_distance_mean"][d] == pytest.approx(np.mean(np.diff(peaks)) / 100)
        assert got["peak_mean"][d] == pytest.approx(np.mean(x[peaks, d]), rel=1e-6)


def test_constant_columns_give_zero_moments_without_warnings():
    x = np.column_stack([np.full(50, 3.7), np.zeros(50), np.full(50, 1e4 + 0.1)]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = named(broad_functionals(x), 3)
        single = broad_functionals(x[:1])
    for name in ("std", "skewness", "kurtosis", "range", "linreg_slope", "linreg_mse", "quadreg_a",
                 "uplevel25", "rise_share", "fall_share", "peaks_per_s", "peak_distance_mean"):
        assert np.all(got[name] == 0), name
    np.testing.assert_allclose(got["mean"], [3.7, 0, 1e4 + 0.1], rtol=1e-6)
    assert np.isfinite(single).all()


def test_functionals_of_a_long_recording_are_computed_in_column_blocks(monkeypatch):
    module = importlib.import_module("sklearn_ser.features.broad_functionals")
    frames = np.random.default_rng(0).standard_normal((3000, 12)).astype(np.float32)
    whole = module.broad_functionals(frames)
    monkeypatch.setattr(module, "_BLOCK_VALUES", 3000 * 5)
    np.testing.assert_array_equal(module.broad_functionals(frames), whole)


def test_voiced_statistics_leave_out_the_unvoiced_frames():
    y = np.concatenate([harmonic(200.0, 0.5), np.zeros(SR // 2, np.float32)])
    features = dict(zip(BROAD_FEATURE_NAMES, broad_features(y)))
    assert features["f0__voiced_mean"] == pytest.approx(200.0, rel=0.02)
    assert features["f0__mean"] < 150.0  # the unvoiced half counts as 0 in the plain mean
    silent = dict(zip(BROAD_FEATURE_NAMES, broad_features(np.zeros(SR, np.float32))))
    assert silent["f0__voiced_mean"] == silent["f0__voiced_std"] == 0


# ---- the transformer ----

def test_broad_functionals_transformer(small_corpus):
    X = small_corpus.iloc[:12]
    features = BroadFunctionals().fit_transform(X)
    n = len(BROAD_LLD_NAMES) * len(BROAD_FUNCTIONAL_NAMES) + 8
    assert features.shape == (12, n) == (12, 3604) and features.dtype == np.float32
    assert np.isfinite(features).all()
    names = BroadFunctionals().get_feature_names_out()
    assert len(names) == len(set(names)) == n and names[0] == "mel0__mean"
    normed = BroadFunctionals(speaker_norm=True, min_utterances=2).fit_transform(X)
    for speaker in X["speaker"].unique():
        rows = (X["speaker"] == speaker).to_numpy()
        np.testing.assert_allclose(normed[rows].mean(0), 0, atol=1e-4)


def test_broad_functionals_in_parallel_are_identical(small_corpus):
    X = small_corpus.iloc[:6]
    np.testing.assert_array_equal(BroadFunctionals(n_jobs=1).fit_transform(X),
                                  BroadFunctionals(n_jobs=2).fit_transform(X))


def test_trends_do_not_depend_on_the_utterance_length():
    # the same contour over 100 and over 800 frames: on the frame index its slope would differ
    # eightfold and its curvature 64-fold
    def contour(n):
        u = np.linspace(0.0, 1.0, n)[:, None]
        return 3.0 * u - 2.0 * u**2 + 1.0
    short, long = (named(broad_functionals(contour(n)), 1) for n in (100, 800))
    for name in ("linreg_slope", "linreg_offset"):  # the sampled fit nears the continuous one as 1/n
        assert long[name][0] == pytest.approx(short[name][0], rel=1e-2)
    assert long["linreg_slope"][0] == pytest.approx(1.0, rel=1e-2)  # 3 - 2: the best line through it
    for contour_stats in (short, long):  # a parabola's curvature is exact at any length
        assert contour_stats["quadreg_a"][0] == pytest.approx(-2.0, rel=1e-4)
