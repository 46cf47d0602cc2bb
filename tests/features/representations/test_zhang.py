"""Zhang et al.'s segments: deltas against librosa, one segment and less."""
import librosa
import numpy as np

from sklearn_ser.features import ZhangMelSegments, ZhangRawSegments, log_mel_spectrogram

from ...conftest import SR, noise


def test_zhang_deltas_equal_librosa_on_each_segment():
    y = noise(1.0, seed=4)
    out = ZhangMelSegments().fit_transform([y])[0]
    log_mel = log_mel_spectrogram(y, SR, 64, 20, 8000)
    first = log_mel[:64].T
    np.testing.assert_allclose(out[0, 0], first, atol=1e-5)
    np.testing.assert_allclose(out[0, 1], librosa.feature.delta(first, width=9), atol=1e-4)
    np.testing.assert_allclose(out[0, 2], librosa.feature.delta(first, width=9, order=2), atol=1e-4)
    np.testing.assert_allclose(out[1, 0], log_mel[32:96].T, atol=1e-5)  # hop 32 frames


def test_exactly_one_segment_and_shorter_than_one(monkeypatch):
    import sklearn_ser.audio

    monkeypatch.setattr(sklearn_ser.audio, "MIN_DURATION_S", 0.0)  # a raw segment is 28 ms
    one = 400 + 63 * 160  # 64 frames exactly
    assert ZhangMelSegments().fit_transform([noise(one / SR)])[0].shape[0] == 1
    short = ZhangMelSegments().fit_transform([noise(0.1)])[0]
    assert short.shape == (1, 3, 64, 64)
    np.testing.assert_allclose(short[0, 0, :, -1], -100.0, rtol=1e-6)  # padding is silence (0 power in dB)
    assert ZhangRawSegments().fit_transform([np.full(625, 0.25)])[0].shape == (1, 625)
    np.testing.assert_allclose(ZhangRawSegments().fit_transform([np.full(625, 0.25)])[0], 64.0)
