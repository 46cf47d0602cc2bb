"""Wieser et al.'s 6 s windows."""
import numpy as np

from sklearn_ser.features import WieserRawWindows


def test_wieser_windows_keep_last_only_if_longer_than_3s():
    y = np.arange(1, 16000 * 10 + 1, dtype=np.float32) / (16000 * 10)
    windows = WieserRawWindows().fit_transform([y])[0]
    assert windows.shape == (2, 96000)
    np.testing.assert_array_equal(windows[1, :64000], y[96000:])
    assert np.all(windows[1, 64000:] == 0)
    assert WieserRawWindows().fit_transform([y[: 16000 * 8]])[0].shape == (1, 96000)
