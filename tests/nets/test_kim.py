"""Layer structure and parameter counts of Kim et al.'s networks against their Table 4."""
import pytest
import torch

from sklearn_ser.nets import (
    CNN1DLSTM, CNN2DLSTM, FrameDNN, Kim3DCNN, Kim3DCNNSteps, SequenceLSTM, count_parameters,
)


TABLE4 = [  # (network, Table 4 count)
    (Kim3DCNN(kernel=(2, 2, 128)), 807_000),
    (Kim3DCNN(kernel=(2, 2, 32)), 793_000),
    (Kim3DCNN(kernel=(2, 2, 2)), 798_000),
    (Kim3DCNNSteps(kernel=(2, 2, 128)), 546_000),
    (Kim3DCNNSteps(kernel=(2, 2, 32)), 531_000),
    (Kim3DCNNSteps(kernel=(2, 2, 2)), 528_000),
    (FrameDNN(n_features=32), 141_000),
    (SequenceLSTM(n_features=32), 214_000),
    (CNN2DLSTM(kernel=(2, 2)), 264_000),
    (CNN2DLSTM(kernel=(2, 32)), 268_000),
    (CNN2DLSTM(kernel=(2, 2), dnn=True), 595_000),
    (CNN2DLSTM(kernel=(2, 32), dnn=True), 607_000),  # assumption: the 2x32 kernel, as in 2D-CNN-LSTM
    (CNN1DLSTM(n_cells=128), 1_583_000),  # assumption: 40 + 32 filters (see CNN1DLSTM)
]


@pytest.mark.parametrize("net, expected", TABLE4, ids=lambda v: type(v).__name__ if isinstance(v, torch.nn.Module) else str(v))
def test_parameter_counts_match_table_4(net, expected):
    assert abs(count_parameters(net) - expected) / expected < 0.02


def test_exact_counts_of_the_3d_nets():
    # 'same' padding, 4 kernels, pools 2x2x2 after layers 2 and 3: 10x10x256 -> 2x2x64 -> 1024 -> 512 -> 512 -> 4
    assert count_parameters(Kim3DCNN()) == 2052 + 8196 + 8196 + 524_800 + 262_656 + 2052
    assert count_parameters(Kim3DCNNSteps()) == 2052 + 8196 + 8196 + 262_656 + 262_656 + 2052


def test_output_shapes_and_flattened_sizes():
    x = torch.randn(3, 10, 10, 256)
    net = Kim3DCNN()
    assert net.features(x.unsqueeze(1)).shape == (3, 4, 2, 2, 64)
    assert net(x).shape == (3, 4)
    steps = Kim3DCNNSteps()
    assert steps.features(x.unsqueeze(1)).shape == (3, 4, 10, 2, 64)  # L is not pooled
    assert steps(x).shape == (3, 10, 4) and steps.embed(x).shape == (3, 10, 512)
    assert CNN2DLSTM(dnn=True)(x).shape == (3, 4) and CNN2DLSTM(dnn=True).embed(x).shape == (3, 512)
    assert CNN1DLSTM()(torch.randn(2, 20, 1600)).shape == (2, 4)
    assert SequenceLSTM()(torch.randn(2, 30, 32)).shape == (2, 30, 4)
    assert FrameDNN(n_features=160)(torch.randn(5, 160)).shape == (5, 4)


def test_kernel_depth_changes_only_the_convolutions():
    small, large = Kim3DCNN(kernel=(2, 2, 2)), Kim3DCNN(kernel=(2, 2, 128))
    assert count_parameters(large.hidden) == count_parameters(small.hidden)
    assert count_parameters(large.features) - count_parameters(small.features) == (
        4 * 4 * 126 + 2 * 4 * 4 * 4 * 126)
