"""Every network of every family ends in logits."""
import pytest
import torch

from sklearn_ser.nets import (
    CNN1DLSTM, CNN2DLSTM, FrameDNN, Kim3DCNN, Kim3DCNNSteps, SequenceLSTM, Zhang1DCNN, Zhang3DCNN,
    ZhangAlexNet,
)


LOGIT_NETS = [  # (network at a small size, input)
    (Kim3DCNN(n_layers=2, kernel=(2, 2, 8), n_hidden=16, input_shape=(10, 10, 32)), (3, 10, 10, 32)),
    (Kim3DCNNSteps(n_layers=2, kernel=(2, 2, 8), n_hidden=16, input_shape=(10, 10, 32)), (3, 10, 10, 32)),
    (FrameDNN(n_features=6, n_hidden=8), (3, 6)),
    (FrameDNN(n_features=6, n_hidden=8), (3, 5, 6)),
    (SequenceLSTM(n_features=6, n_cells=8), (3, 5, 6)),
    (CNN1DLSTM(samples=1600, n_filters=(4, 4), n_cells=8), (2, 3, 1600)),
    (CNN2DLSTM(n_cells=8, input_shape=(4, 16, 16)), (3, 4, 16, 16)),
    (CNN2DLSTM(n_cells=8, dnn=True, n_hidden=8, input_shape=(4, 16, 16)), (3, 4, 16, 16)),
    (Zhang1DCNN(n_hidden=(16, 8)), (3, 625)),
    (ZhangAlexNet(input_size=None, widths=(8, 8, 8, 8, 8), n_hidden=16, pooled=1), (3, 3, 64, 64)),
    (Zhang3DCNN(filters=(4, 4), n_hidden=8), (3, 3, 4, 64, 64)),
]


@pytest.mark.parametrize("net, shape", LOGIT_NETS, ids=lambda v: type(v).__name__ if isinstance(v, torch.nn.Module) else str(v))
def test_every_network_ends_in_logits(net, shape):
    # the output layer applied to the top hidden layer: no softmax (the classifier's loss and
    # predict_proba apply it), so any real number, per step for a per-step network
    torch.manual_seed(0)
    net.eval()
    x = torch.randn(*shape)
    output = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        torch.testing.assert_close(net(x), output(net.embed(x)))
