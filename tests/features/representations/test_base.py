"""Shapes, dtypes, edge cases and numerical agreement with librosa of the papers' representations."""
import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.pipeline import Pipeline

from sklearn_ser.exceptions import InvalidUtteranceError
from sklearn_ser.features import (
    REPRESENTATIONS, KimSpectrogramVolumes, LatifLogMelSegments, LLDContextFrames, RawSubsequences,
    WieserMFCCWindows, WieserRawWindows, ZhangMelClips, ZhangMelSegments, ZhangRawSegments,
    context_stack, log_mel_spectrogram, log_spectrogram, mfcc, minmax_gain_per_speaker,
    power_spectrogram, segment_rows, stack_segments,
)

SR = 16000


def noise(seconds, seed=0, sr=SR):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, int(seconds * sr)).astype(np.float32)


# --- numerical agreement with librosa -------------------------------------------------------------

def _librosa_power(y, n_fft, hop, win, n_frames):
    """librosa's STFT power of the same frames: its window sits centred in n_fft, so shift the
    signal by the same offset; pad the end so librosa sees every frame."""
    offset = (n_fft - win) // 2
    padded = np.pad(y, (offset, n_fft + (n_frames - 1) * hop - len(y) - offset + n_fft))
    S = np.abs(librosa.stft(padded, n_fft=n_fft, hop_length=hop, win_length=win, window="hamming",
                            center=False)) ** 2
    return S[:, :n_frames].T


@pytest.mark.parametrize("seconds", [0.3, 1.234, 2.0])
def test_power_spectrogram_equals_librosa(seconds):
    y = noise(seconds)
    ours = power_spectrogram(y, n_fft=512, hop_length=160, win_length=400)
    theirs = _librosa_power(y, 512, 160, 400, len(ours))
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-5 * theirs.max())


def test_log_mel_equals_librosa():
    y = noise(1.5, seed=1)
    ours = log_mel_spectrogram(y, SR, n_mels=64, fmin=20, fmax=8000)
    power = _librosa_power(y, 512, 160, 400, len(ours))
    mel = librosa.feature.melspectrogram(S=power.T, sr=SR, n_mels=64, fmin=20, fmax=8000)
    theirs = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


def test_mfcc_equals_librosa():
    y = noise(1.0, seed=2)
    ours = mfcc(y, SR, n_mfcc=26, n_mels=40, n_fft=1024)
    power = _librosa_power(y, 1024, 160, 400, len(ours))
    mel = librosa.feature.melspectrogram(S=power.T, sr=SR, n_mels=40)
    theirs = librosa.feature.mfcc(S=librosa.power_to_db(mel, top_db=None), n_mfcc=26).T
    np.testing.assert_allclose(ours, theirs, atol=5e-3)


def test_kim_log_spectrogram_equals_librosa():
    y = noise(2.0, seed=3)
    ours = log_spectrogram(y, n_fft=512, hop_length=320, win_length=512, n_bins=256)
    assert ours.shape == (100, 256)
    S = np.abs(librosa.stft(np.pad(y, (0, 512)), n_fft=512, hop_length=320, window="hamming",
                            center=False)) ** 2
    theirs = librosa.power_to_db(S[:256, :100], top_db=None).T
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


def test_zhang_deltas_equal_librosa_on_each_segment():
    y = noise(1.0, seed=4)
    out = ZhangMelSegments().fit_transform([y])[0]
    log_mel = log_mel_spectrogram(y, SR, 64, 20, 8000)
    first = log_mel[:64].T
    np.testing.assert_allclose(out[0, 0], first, atol=1e-5)
    np.testing.assert_allclose(out[0, 1], librosa.feature.delta(first, width=9), atol=1e-4)
    np.testing.assert_allclose(out[0, 2], librosa.feature.delta(first, width=9, order=2), atol=1e-4)
    np.testing.assert_allclose(out[1, 0], log_mel[32:96].T, atol=1e-5)  # hop 32 frames


# --- shapes on utterances of every length, edge cases ---------------------------------------------

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


def test_exactly_one_segment_and_shorter_than_one():
    one = 400 + 63 * 160  # 64 frames exactly
    assert ZhangMelSegments().fit_transform([noise(one / SR)])[0].shape[0] == 1
    short = ZhangMelSegments().fit_transform([noise(0.1)])[0]
    assert short.shape == (1, 3, 64, 64)
    np.testing.assert_allclose(short[0, 0, :, -1], -100.0, rtol=1e-6)  # padding is silence (0 power in dB)
    assert ZhangRawSegments().fit_transform([np.full(625, 0.25)])[0].shape == (1, 625)
    np.testing.assert_allclose(ZhangRawSegments().fit_transform([np.full(625, 0.25)])[0], 64.0)


def test_silence_is_refused_and_near_silence_is_finite():
    with pytest.raises(InvalidUtteranceError, match="all zeros"):
        LatifLogMelSegments().fit_transform([np.zeros(SR, dtype=np.float32)])
    quiet = np.zeros(SR, dtype=np.float32)
    quiet[100] = 1e-6
    for cls in REPRESENTATIONS:
        out = _make(cls).fit_transform([quiet])[0]
        assert np.all(np.isfinite(out)), cls.__name__


def test_kim_pads_and_trims_to_two_seconds():
    vol = KimSpectrogramVolumes(gain_norm=None)
    short, long = noise(1.2), noise(9.0)
    out_short = vol.fit_transform([short])[0].reshape(100, 256)
    np.testing.assert_allclose(out_short[70:], -100.0, rtol=1e-6)  # zero padding after 1.2 s
    out_long = vol.fit_transform([long])[0]
    np.testing.assert_array_equal(out_long, vol.fit_transform([long[:32000]])[0])


def test_kim_volumes_every_hop_cover_the_whole_utterance():
    seg = KimSpectrogramVolumes(gain_norm=None, segment_hop_s=1.0)
    y = noise(3.5)
    volumes = seg.fit_transform([y])[0]
    # 175 frames of 20 ms: volumes of 100 frames start at 0, 50, 100 (the last padded)
    assert volumes.shape == (3, 10, 10, 256) == seg.output_shape(len(y))
    whole = log_spectrogram(y, 512, 320, 512, "hamming", 256, n_frames=200)
    for k, volume in enumerate(volumes):
        np.testing.assert_array_equal(volume.reshape(100, 256), whole[50 * k : 50 * k + 100])
    np.testing.assert_allclose(volumes[2].reshape(100, 256)[75:], -100.0, rtol=1e-6)  # silence
    # up to 2 s: the paper's single volume
    short = noise(1.2)
    np.testing.assert_array_equal(seg.fit_transform([short])[0],
                                  KimSpectrogramVolumes(gain_norm=None).fit_transform([short]))
    out = seg.fit_transform([short, y])
    assert out.dtype == object and [len(v) for v in out] == [1, 3]


def test_kim_volumes_refuse_a_hop_below_one_frame():
    with pytest.raises(ValueError, match="shorter than one frame"):
        KimSpectrogramVolumes(gain_norm=None, segment_hop_s=0.001).fit_transform([noise(3.0)])


def test_wieser_windows_keep_last_only_if_longer_than_3s():
    y = np.arange(1, 16000 * 10 + 1, dtype=np.float32) / (16000 * 10)
    windows = WieserRawWindows().fit_transform([y])[0]
    assert windows.shape == (2, 96000)
    np.testing.assert_array_equal(windows[1, :64000], y[96000:])
    assert np.all(windows[1, 64000:] == 0)
    assert WieserRawWindows().fit_transform([y[: 16000 * 8]])[0].shape == (1, 96000)


def test_speaker_gain_normalisation():
    waves = [np.array([0.1, -0.2, 0.3], np.float32), np.array([0.05, 0.1], np.float32),
             np.array([0.5, -0.5], np.float32)]
    out = minmax_gain_per_speaker(waves, ["a", "a", "b"])
    assert out[0].max() == pytest.approx(1.0) and out[0].min() == pytest.approx(-1.0)
    assert out[1].max() < 1.0  # shares speaker a's min and max
    np.testing.assert_allclose(out[2], [1.0, -1.0])
    X = pd.DataFrame({"audio": waves, "speaker": ["a", "a", "b"]})
    with pytest.warns(UserWarning, match="'b' with fewer than min_utterances=2"):  # b: its own range
        raw = RawSubsequences(duration_s=0.001, n_subsequences=1, min_utterances=2).fit_transform(X)  # 16 samples
    assert raw[0, 0, :3] == pytest.approx([0.2, -1.0, 1.0])  # (x + 0.2) / 0.5 * 2 - 1
    # too few of a speaker's utterances (or no speaker): each utterance's own range, with a warning
    with pytest.warns(UserWarning, match=r"'a', 'b' with fewer than min_utterances=3.*own range"):
        few = RawSubsequences(duration_s=0.001, n_subsequences=1, min_utterances=3).fit_transform(X)
    assert few[1, 0, :2] == pytest.approx([-1.0, 1.0])
    with pytest.warns(UserWarning, match="without a speaker"):
        alone = RawSubsequences(duration_s=0.001, n_subsequences=1).fit_transform(waves)
    np.testing.assert_array_equal(alone, few)
    with pytest.raises(ValueError, match="min_utterances must be an integer of at least 2"):
        RawSubsequences(min_utterances=1).fit_transform(X)


def test_speaker_bin_norm_uses_each_speakers_own_spoken_frames():
    # speaker b is far louder with a different tilt; a and b get their own statistics, and
    # the zero-padding of the 1.2 s utterance is not part of them
    rng = np.random.default_rng(0)
    tilt = np.convolve(rng.normal(size=48000), [1.0, 0.9], "same").astype(np.float32)
    waves = [noise(2.5, 1) * 0.01, noise(1.2, 2) * 0.01, tilt[:40000], tilt[8000:]]
    X = pd.DataFrame({"audio": waves, "speaker": ["a", "a", "b", "b"]})
    volumes = KimSpectrogramVolumes(gain_norm=None, speaker_norm=True, min_utterances=2).fit_transform(X)
    plain = KimSpectrogramVolumes(gain_norm=None).fit_transform(X)
    spoken = plain.reshape(4, 100, 256).max(axis=-1) > plain.min()
    for rows in ([0, 1], [2, 3]):
        frames = volumes.reshape(4, 100, 256)[rows][spoken[rows]]
        np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-3)
        np.testing.assert_allclose(frames.std(axis=0), 1, atol=1e-3)
    alone = KimSpectrogramVolumes(gain_norm=None, speaker_norm=True, min_utterances=2).fit_transform(X.iloc[:2])
    np.testing.assert_allclose(alone, volumes[:2], rtol=1e-5, atol=1e-5)  # b does not leak into a
    ragged = KimSpectrogramVolumes(gain_norm=None, speaker_norm=True, min_utterances=2,
                                   segment_hop_s=1.0).fit_transform(X)
    assert [r.shape[0] for r in ragged] == [2, 1, 2, 2]
    with pytest.raises(ValueError, match="speaker of every utterance"):  # fit needs the speakers
        KimSpectrogramVolumes(gain_norm=None, speaker_norm=True).fit_transform(waves)


def test_context_and_segments_helpers():
    frames = np.arange(12, dtype=np.float32).reshape(6, 2)
    ctx = context_stack(frames, 5)
    assert ctx.shape == (6, 10)
    np.testing.assert_array_equal(ctx[2], frames[0:5].ravel())
    np.testing.assert_array_equal(ctx[0], np.concatenate([frames[0], frames[0], frames[0], frames[1], frames[2]]))
    seg = segment_rows(np.arange(10), 4, 3)
    np.testing.assert_array_equal(seg, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    data, owners = stack_segments(ZhangRawSegments().fit_transform([noise(0.1, sr=22050), noise(0.2, sr=22050)]))
    assert data.shape == (3 + 7, 625) and list(owners) == [0] * 3 + [1] * 7


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


def test_log_mel_equals_librosa_on_real_files(emodb_dir):
    from sklearn_ser.audio import read_audio

    for name in ("03a01Fa.wav", "16b10Tb.wav", "11a01Ab.wav"):
        y = read_audio(emodb_dir / "wav" / name)
        ours = log_mel_spectrogram(y, SR, n_mels=80)
        power = _librosa_power(y, 512, 160, 400, len(ours))
        mel = librosa.feature.melspectrogram(S=power.T, sr=SR, n_mels=80)
        theirs = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
        np.testing.assert_allclose(ours, theirs, atol=5e-3)
        kim = KimSpectrogramVolumes(gain_norm=None).fit_transform([y])[0].reshape(100, 256)
        two_s = np.pad(y[:32000], (0, 32000 - min(32000, len(y)) + 512))
        S = np.abs(librosa.stft(two_s, n_fft=512, hop_length=320, window="hamming", center=False)) ** 2
        theirs = S[:256, :100].T
        # float32 FFT round-off: compare powers, to a tolerance relative to the loudest bin
        np.testing.assert_allclose(10 ** (kim / 10), theirs, rtol=1e-3, atol=1e-6 * theirs.max())
