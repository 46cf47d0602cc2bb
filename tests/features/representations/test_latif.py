"""Latif et al.'s 100 ms log-mel segments."""
import numpy as np

from sklearn_ser.features import LatifLogMelSegments, log_mel_spectrogram

from ...conftest import SR, noise


def test_latif_segments_are_the_log_mel_frames_ten_at_a_time():
    y = noise(1.0, seed=5)
    segments = LatifLogMelSegments(flatten=False).fit_transform([y])[0]
    log_mel = log_mel_spectrogram(y, SR, 80, 0.0, None, 512, 160, 400)  # 25 ms Hamming, 10 ms shift
    n = len(log_mel) // 10  # whole segments only
    assert segments.shape == (n, 10, 80)
    np.testing.assert_array_equal(segments.reshape(-1, 80), log_mel[: n * 10])
    flat = LatifLogMelSegments().fit_transform([y])[0]
    np.testing.assert_array_equal(flat, segments.reshape(n, 800))
