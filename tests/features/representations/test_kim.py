"""Kim et al.'s spectrogram volumes and the inputs of their baselines: agreement with librosa, padding
and trimming, volumes every hop, per-speaker gain and bin normalisation."""
import librosa
import numpy as np
import pandas as pd
import pytest

from sklearn_ser.features import (
    KimSpectrogramVolumes, RawSubsequences, log_spectrogram, minmax_gain_per_speaker,
)

from ...conftest import noise


def test_kim_log_spectrogram_equals_librosa():
    y = noise(2.0, seed=3)
    ours = log_spectrogram(y, n_fft=512, hop_length=320, win_length=512, n_bins=256)
    assert ours.shape == (100, 256)
    S = np.abs(librosa.stft(np.pad(y, (0, 512)), n_fft=512, hop_length=320, window="hamming",
                            center=False)) ** 2
    theirs = librosa.power_to_db(S[:256, :100], top_db=None).T
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


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


def test_speaker_gain_normalisation(monkeypatch):
    import sklearn_ser.audio

    monkeypatch.setattr(sklearn_ser.audio, "MIN_DURATION_S", 0.0)  # waveforms of a few samples
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
