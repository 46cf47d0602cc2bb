"""Saliency maps (issue 28, item 3): guided backpropagation and the gradient against hand
computations, a net left as it was found, and the correlations Wieser et al. report."""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from sklearn_ser.features import ragged
from sklearn_ser.inspection import envelope_correlation, plot_saliency, saliency, saliency_correlation


def _mlp(seed=0):
    """Linear -> ReLU -> Linear -> ReLU (in place) -> Linear with fixed random weights."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(inplace=True), nn.Linear(8, 3))


def _by_hand(net, x, c, guided):
    """d logit_c / d x of ``_mlp`` in numpy; guided: a ReLU passes back only where its input and
    the incoming gradient are both positive."""
    (W1, b1), (W2, b2), (W3, _) = [(m.weight.detach().numpy().astype(float), m.bias.detach().numpy())
                                   for m in net if isinstance(m, nn.Linear)]
    h1 = W1 @ x + b1
    h2 = W2 @ np.maximum(h1, 0) + b2
    g = W3[c] * (h2 > 0)
    g = g * (g > 0) if guided else g
    g = (W2.T @ g) * (h1 > 0)
    g = g * (g > 0) if guided else g
    return W1.T @ g


def test_guided_backpropagation_equals_the_hand_computation():
    net = _mlp()
    X = np.random.default_rng(0).standard_normal((20, 6)).astype(np.float32)
    targets = np.arange(20) % 3
    guided = saliency(net, X, target=targets)
    expected = np.array([_by_hand(net, x.astype(float), c, guided=True) for x, c in zip(X, targets)])
    np.testing.assert_allclose(guided, expected, rtol=1e-4, atol=1e-6)
    plain = np.array([_by_hand(net, x.astype(float), c, guided=False) for x, c in zip(X, targets)])
    assert np.abs(expected - plain).max() > 1e-2  # the two differ here, so the hooks are what passed


def test_gradient_equals_autograd_and_finite_differences():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv1d(1, 4, 5), nn.BatchNorm1d(4), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5),
                        nn.Linear(4 * 28, 3))
    module = nn.Sequential(_Unsqueeze(), net)  # (batch, samples) in, as the library's 1-D nets take it
    with torch.no_grad():  # batch norm statistics that are not the identity
        net[1].running_mean.uniform_(-0.5, 0.5), net[1].running_var.uniform_(0.5, 2.0)
    module.train()  # saliency must explain the eval-mode net, whatever mode it was left in
    X = np.random.default_rng(1).standard_normal((3, 32)).astype(np.float32)
    grads = saliency(module, X, target=[0, 1, 2], method="gradient")

    reference = copy.deepcopy(module).eval().double()
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    logits = reference(x)
    auto = torch.autograd.grad(logits[[0, 1, 2], [0, 1, 2]].sum(), x)[0].numpy()
    np.testing.assert_allclose(grads, auto, rtol=1e-4, atol=1e-6)
    eps, i = 1e-6, 7
    for row in range(3):
        bumped = x.detach()[row].repeat(2, 1)
        bumped[0, i] += eps
        bumped[1, i] -= eps
        with torch.no_grad():
            diff = (reference(bumped)[0, row] - reference(bumped)[1, row]).item() / (2 * eps)
        assert diff == pytest.approx(grads[row, i], rel=1e-3, abs=1e-6)


class _Unsqueeze(nn.Module):
    def forward(self, x):
        return x.unsqueeze(1)


def test_the_net_is_left_as_it_was_found():
    torch.manual_seed(2)
    module = nn.Sequential(_Unsqueeze(), nn.Conv1d(1, 4, 5), nn.BatchNorm1d(4), nn.ReLU(inplace=True),
                           nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 28, 3))
    module.train()
    module[5].eval()  # mixed modes: each submodule's own must come back
    modes = [m.training for m in module.modules()]
    state = copy.deepcopy(module.state_dict())
    X = np.random.default_rng(2).standard_normal((5, 32)).astype(np.float32)
    first = saliency(module, X)
    assert [m.training for m in module.modules()] == modes
    for key, value in module.state_dict().items():  # batch norm's running statistics included
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    assert all(p.grad is None for p in module.parameters())
    assert module[3].inplace is True
    assert not any(m._backward_hooks or m._forward_hooks or m._forward_pre_hooks for m in module.modules())
    np.testing.assert_array_equal(saliency(module, X), first)  # and explains the same way twice


class _FunctionalRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        return self.b(F.relu(self.a(x)))


def test_a_relu_applied_functionally_is_refused_by_name():
    X = np.ones((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="_FunctionalRelu applies relu functionally"):
        saliency(_FunctionalRelu(), X)
    assert saliency(_FunctionalRelu(), X, method="gradient").shape == (2, 4)


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.trunk = nn.Sequential(nn.Linear(6, 8), nn.ReLU())
        self.valence, self.arousal = nn.Linear(8, 5), nn.Linear(8, 3)

    def forward(self, x):
        h = self.trunk(x)
        return self.valence(h), self.arousal(h)


def test_heads_labels_and_errors_of_a_two_headed_net():
    net = SimpleNamespace(module_=_TwoHeads(), classes_=[np.arange(5), np.array(["low", "mid", "high"])])
    X = np.random.default_rng(3).standard_normal((4, 6)).astype(np.float32)
    by_label = saliency(net, X, target="mid", head=1, method="gradient")
    h = net.module_.trunk[0](torch.as_tensor(X)).detach().numpy()
    W1 = net.module_.trunk[0].weight.detach().numpy()
    expected = ((h > 0) * net.module_.arousal.weight[1].detach().numpy()) @ W1
    np.testing.assert_allclose(by_label, expected, rtol=1e-5, atol=1e-6)
    assert saliency_correlation(by_label[0], by_label[0] * 3) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown target label 'loud'"):
        saliency(net, X, target="loud", head=1)
    with pytest.raises(IndexError, match="head 2 is out of range"):
        saliency(net, X, head=2)
    with pytest.raises(TypeError, match="has no module_"):
        saliency(SimpleNamespace(classes_=[0, 1]), X)
    with pytest.raises(ValueError, match="method must be one of"):
        saliency(net, X, method="smooth")


def test_ragged_segments_give_ragged_maps_for_each_utterance_s_predicted_class():
    net = _mlp(4)
    rng = np.random.default_rng(4)
    X = ragged([rng.standard_normal((n, 6)).astype(np.float32) for n in (3, 1, 5)])
    maps = saliency(net, X, method="gradient")
    assert [m.shape for m in maps] == [(3, 6), (1, 6), (5, 6)]
    for stack, got in zip(X, maps):
        with torch.no_grad():
            c = torch.softmax(net(torch.as_tensor(stack)), 1).mean(0).argmax().item()  # pooled prediction
        expected = np.array([_by_hand(net, x.astype(float), c, guided=False) for x in stack])
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_envelope_correlation_follows_loudness_not_the_waveform():
    sr = 16000
    t = np.arange(2 * sr) / sr
    loudness = 0.5 + 0.45 * np.sin(2 * np.pi * 1.5 * t)
    signal = loudness * np.sin(2 * np.pi * 300 * t)
    noise = np.random.default_rng(5).standard_normal(len(t))
    following = loudness * np.abs(noise)  # salient where the signal is loud
    elsewhere = (1 - loudness) * np.abs(noise)  # salient where it is quiet
    assert envelope_correlation(signal, following) > 0.9
    assert envelope_correlation(signal, elsewhere) < -0.9
    assert envelope_correlation(signal, -following) != envelope_correlation(signal, -following)  # nan: no positive part
    assert envelope_correlation(signal, following, frame=None) > 0.5  # per-sample Hilbert envelopes
    rows = envelope_correlation(signal.reshape(4, -1), following.reshape(4, -1))
    assert rows == pytest.approx(envelope_correlation(signal, following), abs=0.05)  # windows joined
    assert abs(saliency_correlation(following, noise)) < 0.1
    with pytest.raises(ValueError, match="differ in shape"):
        envelope_correlation(signal, following[:-1])


def test_plot_saliency_draws_three_panels(tmp_path):
    t = np.arange(8000) / 16000
    signal = np.sin(2 * np.pi * 200 * t) * np.hanning(8000)
    path = plot_saliency(signal, signal * np.cos(2 * np.pi * 3 * t), tmp_path / "s.png", title="x")
    data = path.read_bytes()
    assert data[:4] == b"\x89PNG" and len(data) > 20000
    with pytest.raises(ValueError, match="differ in shape"):
        plot_saliency(signal, signal[:-1], tmp_path / "t.png")
