"""Training-batch augmentation: the VTLP warp itself, and that a net applies it to training batches only."""
import numpy as np
import pytest
import torch

from sklearn_ser.estimators import FrequencyWarp, SERNetClassifier
from sklearn_ser.estimators.augment import resample_last_axis, vtlp_source_bins
from sklearn_ser.nets import FrameDNN


def _centroid(spectrum):
    return float((spectrum * torch.arange(spectrum.shape[-1])).sum() / spectrum.sum())


def test_vtlp_map_scales_below_the_knee_and_keeps_the_band_edges():
    source = vtlp_source_bins(256, torch.tensor([0.9, 1.0, 1.1]))
    np.testing.assert_allclose(source[:, [0, -1]], [[0, 255]] * 3, atol=1e-4)
    np.testing.assert_allclose(source[1], np.arange(256), atol=1e-4)  # alpha 1: identity
    np.testing.assert_allclose(source[:, 50], [50 / 0.9, 50, 50 / 1.1], rtol=1e-5)
    assert (source.diff(dim=1) > 0).all()  # monotone: no bin read twice, none skipped backwards


@pytest.mark.parametrize("alpha", [0.9, 1.1])
def test_a_warped_spectral_peak_moves_by_the_warp_factor(alpha):
    X = torch.zeros(1, 3, 4, 256)
    X[..., 100] = 1.0
    warped = resample_last_axis(X, vtlp_source_bins(256, torch.tensor([alpha])))
    assert _centroid(warped[0, 0, 0]) == pytest.approx(100 * alpha, abs=0.05)
    assert torch.equal(warped[0, 0], warped[0, 2])  # the same warp on every frame of a sample


def test_frequency_warp_draws_a_factor_per_sample_within_its_range():
    X = torch.zeros(200, 256)
    X[:, 100] = 1.0
    torch.manual_seed(0)
    warped = FrequencyWarp(max_warp=0.1)(X)
    centroids = np.array([_centroid(row) for row in warped])
    assert centroids.min() >= 90 - 0.05 and centroids.max() <= 110 + 0.05
    assert centroids.std() > 4  # uniform on +-10 bins has std 5.8; one shared factor would give 0
    torch.manual_seed(0)
    assert torch.equal(FrequencyWarp(max_warp=0.1)(X), warped)  # torch's generator decides
    assert torch.equal(FrequencyWarp(max_warp=0.0)(X), X)


@pytest.mark.parametrize("params, match", [({"max_warp": 1.0}, "max_warp"), ({"boundary": 0.0}, "boundary")])
def test_frequency_warp_rejects_impossible_settings_when_built(params, match):
    with pytest.raises(ValueError, match=match):
        FrequencyWarp(**params)


def test_a_net_augments_its_training_batches_only():
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "sad"], 60)
    X = (rng.standard_normal((120, 8)) + np.where(y == "angry", 1.5, -1.5)[:, None]).astype(np.float32)
    groups = np.tile(np.arange(10), 12)
    rows_seen = []

    def count_rows(batch):
        rows_seen.append(len(batch))
        return batch

    net = SERNetClassifier(FrameDNN, augment=count_rows, max_epochs=3, patience=10, batch_size=16,
                           verbose=0).fit(X, y, groups=groups)
    assert sum(rows_seen) == 3 * 96  # 3 epochs of the 8 training speakers, no validation rows
    rows_seen.clear()
    net.predict_proba(X)
    assert rows_seen == []


def test_augmentation_changes_what_the_net_learns_and_stays_repeatable():
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "sad"], 60)
    X = (rng.standard_normal((120, 32)) + np.where(y == "angry", 0.5, -0.5)[:, None]).astype(np.float32)
    groups = np.tile(np.arange(10), 12)

    def fit(augment):
        return SERNetClassifier(FrameDNN, augment=augment, max_epochs=3, batch_size=16,
                                verbose=0).fit(X, y, groups=groups).predict_proba(X)

    warped = fit(FrequencyWarp(0.2))
    np.testing.assert_array_equal(fit(FrequencyWarp(0.2)), warped)
    assert not np.allclose(fit(None), warped)
