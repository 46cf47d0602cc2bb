"""Wieser et al.'s networks: the block order, the initialisations, one head per target, and each
kind's input."""
import numpy as np
import pytest
import torch
from torch import nn

from sklearn_ser.nets import WieserCNN, WieserNet

SMALL = dict(filters=(4, 4, 4), kernels=(8, 4, 2), pools=(10, 8, 8), hidden=(8, 8))


def test_each_block_is_conv_pool_relu_batchnorm_and_the_length_shrinks_by_the_pools():
    cnn = WieserCNN(1, 96000, filters=(4, 4, 4), kernels=(8, 4, 2), pools=(10, 8, 8), conv="torch")
    kinds = [type(m).__name__ for m in cnn.layers]
    assert kinds == ["SameConv1d", "MaxPool1d", "ReLU", "BatchNorm1d"] * 3 + ["Flatten"]
    assert cnn.n_outputs == 4 * 150 and cnn(torch.randn(2, 1, 96000)).shape == (2, 600)
    with pytest.raises(ValueError, match="too short for pools"):
        WieserCNN(1, 500, pools=(10, 8, 8))


def test_convolutions_are_he_initialised_and_heads_glorot():
    torch.manual_seed(0)
    net = WieserNet(filters=(64, 64, 64), kernels=(80, 20, 10), hidden=(256, 128), conv="torch")
    conv = net.cnn.layers[0]
    assert conv.weight.std().item() == pytest.approx(np.sqrt(2 / 80), rel=0.1)   # He: var 2 / fan_in
    dense = net.heads[0][1]
    bound = np.sqrt(6 / (dense.in_features + dense.out_features))               # Glorot uniform
    assert dense.weight.abs().max().item() == pytest.approx(bound, rel=0.02)
    assert [type(m).__name__ for m in net.heads[0]] == ["Dropout", "Linear", "Sigmoid"] * 2 + ["Dropout", "Linear"]


@pytest.mark.parametrize("kind, shape, extra", [
    ("raw", (96000,), {}),
    ("mfcc", (26, 599), dict(kernels=(9, 5, 3), pools=(3, 3, 3))),
    ("functionals", (384,), {}),
    ("raw+functionals", (96384,), dict(n_functionals=384)),
])
def test_every_kind_gives_one_tuple_of_logits_per_head(kind, shape, extra):
    net = WieserNet(n_classes=(5, 3), input_shape=shape, kind=kind, **{**SMALL, **extra}).eval()
    out = net(torch.randn(3, *shape))
    assert isinstance(out, tuple) and [o.shape for o in out] == [(3, 5), (3, 3)]
    assert WieserNet(n_classes=7, input_shape=shape, kind=kind, **{**SMALL, **extra}).eval()(
        torch.randn(2, *shape))[0].shape == (2, 7)


def test_raw_plus_functionals_reads_the_audio_and_the_functionals_apart():
    net = WieserNet(input_shape=(96010,), kind="raw+functionals", n_functionals=10, conv="torch", **SMALL).eval()
    x = torch.randn(2, 96010)
    features = net.embed(x)
    assert features.shape == (2, 4 * 150 + 10)
    changed = x.clone()
    changed[:, -10:] += 5.0                                     # functionals only: the CNN part stays
    assert torch.equal(net.embed(changed)[:, :600], features[:, :600])
    assert not torch.allclose(net.embed(changed)[:, 600:], features[:, 600:])
    with pytest.raises(ValueError, match="0 < n_functionals < 96010"):
        WieserNet(input_shape=(96010,), kind="raw+functionals")
    with pytest.raises(ValueError, match="kind must be one of"):
        WieserNet(kind="spectrogram")
