"""What every representation shares: shapes and dtype for every length, edge cases, the size limit,
parallel and cached runs, order and subset invariance, pickling."""
import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import Pipeline

from sklearn_ser.exceptions import InvalidUtteranceError
from sklearn_ser.features import (
    REPRESENTATIONS, KimSpectrogramVolumes, LatifLogMelSegments, LLDContextFrames, RawSubsequences,
    WieserMFCCWindows, WieserRawWindows, WieserWindowFunctionals, ZhangMelClips, ZhangMelSegments,
    ZhangRawSegments,
)

from ...conftest import SR, noise


EXPECTED = {
    # (transformer, seconds) -> per-utterance shape
    KimSpectrogramVolumes: lambda s: (10, 10, 256),
    RawSubsequences: lambda s: (20, 1600),
    LLDContextFrames: lambda s: (1 + int(s * SR) // 160, 160),
    LatifLogMelSegments: lambda s: (max(1, (1 + -(-(int(s * SR) - 400) // 160)) // 10), 800),
    ZhangRawSegments: lambda s: (max(1, int(s * 22050) // 625), 625),
    ZhangMelSegments: lambda s: (1 + max(0, (1 + -(-(int(s * SR) - 400) // 160) - 64) // 32), 3, 64, 64),
    ZhangMelClips: lambda s: (1 + max(0, ((1 + -(-(int(s * SR) - 400) // 160) - 64) // 32 + 1 - 4) // 4), 3, 4, 64, 64),
    WieserRawWindows: lambda s: (max(1, int(s // 6) + (s % 6 > 3)), 96000),
    WieserMFCCWindows: lambda s: (max(1, int(s // 6) + (s % 6 > 3)), 26, 599),
    WieserWindowFunctionals: lambda s: (max(1, int(s // 6) + (s % 6 > 3)), 384),
}


def _make(cls):
    return cls(gain_norm="utterance") if "gain_norm" in cls().get_params() else cls()


@pytest.mark.parametrize("cls", REPRESENTATIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("seconds", [0.2, 0.655, 1.2, 2.0, 4.7, 9.0, 10.0])
def test_shapes_and_dtype_for_every_length(cls, seconds):
    sr = 22050 if cls is ZhangRawSegments else SR
    y = noise(seconds, sr=sr)
    out = _make(cls).fit_transform([y, y[: len(y) // 2]])
    first = out[0]
    assert first.dtype == np.float32 and np.all(np.isfinite(first))
    assert first.shape == EXPECTED[cls](seconds), cls.__name__
    assert _make(cls).output_shape(len(y)) == first.shape
    if cls in (KimSpectrogramVolumes, RawSubsequences):
        assert out.shape == (2,) + first.shape and out.dtype == np.float32
    else:
        assert out.dtype == object and out.shape == (2,)


def test_paper_shapes_named_in_the_issue():
    assert KimSpectrogramVolumes(gain_norm=None).output_shape(32000) == (10, 10, 256)
    assert RawSubsequences().output_shape(32000) == (20, 1600)
    assert LatifLogMelSegments().output_shape(SR)[1] == 800
    assert WieserMFCCWindows().output_shape(96000) == (1, 26, 599)
    assert ZhangMelClips().output_shape(SR * 3)[1:] == (3, 4, 64, 64)


def test_silence_is_refused_and_near_silence_is_finite():
    with pytest.raises(InvalidUtteranceError, match="all zeros"):
        LatifLogMelSegments().fit_transform([np.zeros(SR, dtype=np.float32)])
    quiet = np.zeros(SR, dtype=np.float32)
    quiet[100] = 1e-6
    for cls in REPRESENTATIONS:
        out = _make(cls).fit_transform([quiet])[0]
        assert np.all(np.isfinite(out)), cls.__name__


def test_one_hour_file_is_refused_before_computing(tmp_path):
    path = tmp_path / "hour.wav"
    with sf.SoundFile(path, "w", samplerate=SR, channels=1, subtype="PCM_16") as f:
        block = (0.1 * np.sin(np.arange(SR * 60) / 7)).astype(np.float32)
        for _ in range(60):
            f.write(block)
    with pytest.raises(InvalidUtteranceError, match=r"hour.wav: 3600 s of audio gives \d+ MB of ZhangMelClips"):
        ZhangMelClips().fit_transform([str(path)])
    # a fixed-size representation of the same hour is bounded: 2 s survive
    assert KimSpectrogramVolumes(gain_norm="utterance").fit_transform([str(path)]).shape == (1, 10, 10, 256)


@pytest.mark.parametrize("cls", REPRESENTATIONS, ids=lambda c: c.__name__)
def test_parallel_output_identical(cls):
    waves = [noise(1.0 + 0.3 * i, seed=i, sr=22050 if cls is ZhangRawSegments else SR) for i in range(4)]
    one = _make(cls).set_params(n_jobs=1).fit_transform(waves)
    two = _make(cls).set_params(n_jobs=2).fit_transform(waves)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_cached_pipeline(tmp_path):
    waves = [noise(1.0, seed=i) for i in range(3)]
    pipe = Pipeline([("rep", LatifLogMelSegments()), ("id", "passthrough")], memory=str(tmp_path))
    first = pipe.fit_transform(waves)
    second = pipe.fit_transform(waves)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", REPRESENTATIONS, ids=lambda c: c.__name__)
def test_order_subset_invariance_idempotence_and_pickle(cls):
    """What sklearn's checks cannot compare on ragged output, checked here on every representation."""
    import pickle

    waves = [noise(0.5 + 0.4 * i, seed=i, sr=22050 if cls is ZhangRawSegments else SR) for i in range(5)]
    est = _make(cls).fit(waves)
    full = est.transform(waves)
    order = [3, 0, 4]
    part = est.transform([waves[i] for i in order])
    again = est.fit(waves).transform(waves)
    restored = pickle.loads(pickle.dumps(est)).transform(waves)
    for k, i in enumerate(order):
        np.testing.assert_array_equal(part[k], full[i])
    for a, b, c in zip(full, again, restored):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
