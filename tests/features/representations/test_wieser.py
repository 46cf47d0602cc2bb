"""Wieser et al.'s 6 s windows."""
import numpy as np
import pytest

from sklearn_ser.features import WieserRawWindows, WieserWindowFunctionals


def test_wieser_windows_keep_last_only_if_longer_than_3s():
    y = np.arange(1, 16000 * 10 + 1, dtype=np.float32) / (16000 * 10)
    windows = WieserRawWindows().fit_transform([y])[0]
    assert windows.shape == (2, 96000)
    np.testing.assert_array_equal(windows[1, :64000], y[96000:])
    assert np.all(windows[1, 64000:] == 0)
    assert WieserRawWindows().fit_transform([y[: 16000 * 8]])[0].shape == (1, 96000)


def test_window_functionals_of_an_opensmile_set_are_those_of_each_window_s_own_audio():
    opensmile = pytest.importorskip("opensmile")
    from sklearn_ser.features.opensmile import opensmile_functionals

    y = np.random.default_rng(0).uniform(-0.5, 0.5, 16000 * 10).astype(np.float32)
    rep = WieserWindowFunctionals(feature_set="IS10")
    assert rep.output_shape(len(y)) == (2, 1582)  # the paper's INTERSPEECH 2010 set
    rows = rep.fit_transform([y])[0]
    smile = opensmile.Smile(opensmile.FeatureSet.IS10, opensmile.FeatureLevel.Functionals)
    assert rows.shape == (2, 1582)
    np.testing.assert_allclose(rows[1], smile.process_signal(y[96000:], 16000).to_numpy()[0], rtol=1e-5)
    np.testing.assert_array_equal(rows[0], opensmile_functionals(y[:96000], 16000, "IS10"))
    with_audio = WieserWindowFunctionals(feature_set="IS10", with_audio=True).fit_transform([y])[0]
    assert with_audio.shape == (2, 96000 + 1582)
    np.testing.assert_array_equal(with_audio[:, 96000:], rows)


def test_window_functionals_without_the_extra_fail_at_fit_naming_it(monkeypatch):
    import sys

    from sklearn_ser.features import opensmile as module

    module._smile.cache_clear()
    monkeypatch.setitem(sys.modules, "opensmile", None)
    with pytest.raises(ImportError, match=r"sklearn-ser\[opensmile\]"):
        WieserWindowFunctionals(feature_set="IS10").fit(["never-read.wav"])
    module._smile.cache_clear()
    assert WieserWindowFunctionals().n_functionals() == 384  # the library's own needs no extra
