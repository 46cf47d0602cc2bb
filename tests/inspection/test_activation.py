"""Activation maximisation (issue 28, item 4): gradient ascent reaches the known optimum of a
linear logit under the L2 penalty, and the summary measures hand-made signals right."""
import copy

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from sklearn_ser.inspection import activation_summary, maximize_activation, write_activation

SR = 16000


def _tone_rewarding_net(hz=1000.0, n=800):
    """Logit 0 = w . x with w a sinusoid of ``hz``: the ascent should find that sinusoid."""
    net = nn.Linear(n, 2, bias=False)
    with torch.no_grad():
        net.weight[0] = torch.as_tensor(0.2 * np.sin(2 * np.pi * hz * np.arange(n) / SR))
        net.weight[1] = 0.0
    return net


def test_gradient_ascent_on_a_linear_logit_reaches_w_over_2_l2():
    net, l2 = _tone_rewarding_net(), 0.5
    w = net.weight[0].detach().numpy()
    x = maximize_activation(net, target=0, l2=l2, lr=0.1, n_steps=300, optimizer="sgd",
                            input_shape=(800,), noise_std=0.1)
    np.testing.assert_allclose(x, w / (2 * l2), atol=1e-5)  # the optimum of w.x - l2 |x|^2
    assert np.linalg.norm(x) == pytest.approx(np.linalg.norm(w) / (2 * l2), rel=1e-4)
    assert activation_summary([x], sr=SR)["dominant_hz"].iloc[0] == pytest.approx(1000, abs=SR / 800)
    # clipped: the constrained optimum of this separable objective is the clipped one
    clipped = maximize_activation(net, target=0, l2=l2, lr=0.1, n_steps=300, optimizer="sgd",
                                  input_shape=(800,), clip=(-0.05, 0.05))
    np.testing.assert_allclose(clipped, np.clip(w / (2 * l2), -0.05, 0.05), atol=1e-5)
    # Adam (the default) finds the same tone, if not to the last digit
    adam = maximize_activation(net, target=0, l2=l2, lr=0.01, n_steps=300, input_shape=(800,))
    assert np.corrcoef(adam, w)[0, 1] > 0.99


def test_ascent_leaves_the_net_as_it_was_and_starts_where_asked():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    net.train()
    state = copy.deepcopy(net.state_dict())
    mean_of = np.random.default_rng(0).standard_normal((10, 16)).astype(np.float32)
    start = maximize_activation(net, target=2, init="mean", X=mean_of, n_steps=0)
    np.testing.assert_allclose(start, mean_of.mean(0), rtol=1e-6)
    moved = maximize_activation(net, target=2, init=start, n_steps=50, lr=0.05)
    with torch.no_grad():
        net.eval()
        before, after = net(torch.as_tensor(start[None]))[0, 2], net(torch.as_tensor(moved[None]))[0, 2]
        net.train()
    assert after > before + 0.1  # the class's logit went up
    assert net.training and all(m.training for m in net.modules())
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    assert all(p.grad is None for p in net.parameters())
    with pytest.raises(ValueError, match="unknown target label 7"):
        maximize_activation(net, target=7, input_shape=(16,))
    with pytest.raises(ValueError, match="pass input_shape"):
        maximize_activation(net, target=0)
    with pytest.raises(ValueError, match="needs X"):
        maximize_activation(net, target=0, init="mean")
    with pytest.raises(ValueError, match="not input_shape"):
        maximize_activation(net, target=0, init=np.zeros(15), input_shape=(16,))
    with pytest.raises(IndexError, match="head 1 is out of range"):
        maximize_activation(net, target=0, head=1, input_shape=(16,))


def test_summary_of_a_half_silent_440_hz_tone():
    t = np.arange(SR) / SR
    tone = 0.5 * np.sin(2 * np.pi * 440 * t) * (t < 0.5)  # peak 0.5 = -6.02 dBFS, second half silent
    row = activation_summary({"tone": tone}, sr=SR).loc["tone"]
    assert row["dominant_hz"] == pytest.approx(440, abs=SR / 4096)
    assert row["peak_dbfs"] == pytest.approx(-6.02, abs=0.01)
    # RMS: a sine's crest factor (-3.01 dB) and half the time silent (-3.01 dB) below the peak
    assert row["loudness_dbfs"] == pytest.approx(-12.04, abs=0.05)
    assert row["pause_share"] == pytest.approx(0.5, abs=0.02)
    assert row["mean_pause_ms"] == pytest.approx(480, abs=20)  # one run from ~0.5 s to the end
    assert (row["min_amplitude"], row["max_amplitude"]) == pytest.approx((-0.5, 0.5), abs=1e-3)
    steady = activation_summary([0.5 * np.sin(2 * np.pi * 440 * t)], sr=SR).iloc[0]
    assert steady["pause_share"] == 0 and steady["mean_pause_ms"] == 0
    assert steady["loudness_dbfs"] == pytest.approx(-9.03, abs=0.05)


def test_write_activation_writes_a_wav_and_a_png(tmp_path):
    t = np.arange(8000) / SR
    quiet = 0.01 * np.sin(2 * np.pi * 300 * t)
    wav, png = write_activation(quiet, tmp_path / "a.wav", tmp_path / "a.png", sr=SR, title="x")
    audio, sr = sf.read(wav)
    assert sr == SR and len(audio) == len(quiet)
    np.testing.assert_allclose(audio, quiet, atol=1e-4)  # quiet stays quiet
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 20000
    loud = 256 * np.sin(2 * np.pi * 300 * t).reshape(10, 800)  # Zhang's scale, rows joined
    wav, _ = write_activation(loud, tmp_path / "b.wav", tmp_path / "b.png", sr=SR)
    audio, _ = sf.read(wav)
    assert len(audio) == 8000 and np.abs(audio).max() == pytest.approx(1.0, abs=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "a.wav", "b.png", "b.wav"]  # no temporaries
