"""FFTConv against PyTorch's convolutions forward and backward, its kernel cache, and conv="auto"
choosing between them by the input's device."""
import warnings

import pytest
import torch

from sklearn_ser.nets import CNN1DLSTM, CNN2DLSTM, Kim3DCNN, Kim3DCNNSteps, count_parameters


@pytest.mark.parametrize("kernel, shape", [
    ((2, 2, 128), (5, 4, 64)), ((2, 2, 32), (5, 4, 64)), ((2, 2, 2), (5, 4, 64)), ((3, 1, 5), (5, 4, 64)),
    ((2, 32), (6, 64)), ((3, 4), (5, 7)), ((800,), (200,)), ((80,), (1600,)), ((1,), (9,)),
])
@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # the reference's own
def test_fft_conv_equals_torch_conv_forward_and_backward(kernel, shape):
    from sklearn_ser.nets.fftconv import make_conv

    torch.manual_seed(0)
    # the reference is PyTorch's own padding="same" layer
    ref = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[len(kernel)](3, 4, kernel, padding="same")
    fast, padded = make_conv(3, 4, kernel, "fft"), make_conv(3, 4, kernel, "torch")
    ref.load_state_dict(fast.state_dict())
    padded.load_state_dict(fast.state_dict())
    x = torch.randn(2, 3, *shape, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    out, expected = fast(x), ref(x_ref)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
    with warnings.catch_warnings():  # only the explicit pad inside: the reference itself warns
        warnings.simplefilter("error")  # PyTorch warns on even 'same' kernels; the explicit pad does not
        torch.testing.assert_close(padded(x), expected, rtol=1e-5, atol=1e-5)
    # backward through the outputs compared above, not a second forward pass
    out.square().sum().backward()
    expected.square().sum().backward()
    for a, b in [(fast.weight.grad, ref.weight.grad), (fast.bias.grad, ref.bias.grad), (x.grad, x_ref.grad)]:
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-3 * b.abs().max().item())


@pytest.mark.parametrize("extent, size", [((7,), (12,)), ((7,), (11,)), ((3, 5), (4, 9)), ((2, 3, 4), (3, 4, 6))])
def test_real_fft_backward_is_the_adjoint_of_the_transform(extent, size):
    # even and odd transform lengths (with and without a Nyquist bin), zero padding, 1-3 axes
    from sklearn_ser.nets.fftconv import _RFFTN

    x = torch.randn(2, 3, *extent, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: torch.view_as_real(_RFFTN.apply(x, size)), (x,))


def test_cached_kernel_spectrum_follows_the_weights():
    import copy

    from sklearn_ser.nets.fftconv import make_conv

    torch.manual_seed(0)
    layer = make_conv(3, 4, (2, 5))
    x = torch.randn(2, 3, 6, 9)
    with torch.no_grad():
        first = layer(x)  # fills the cache
    torch.testing.assert_close(first, layer(x))  # grad mode: no cache
    layer(x).sum().backward()
    torch.optim.SGD(layer.parameters(), lr=0.5).step()
    with torch.no_grad():
        after_step = layer(x)
    torch.testing.assert_close(after_step, layer(x))
    assert not torch.allclose(after_step, first)
    with torch.no_grad():  # a new input size gets its own spectrum
        shorter = layer(x[..., :7])
    torch.testing.assert_close(shorter, layer(x[..., :7]))
    assert "_spectrum" in layer.__dict__ and "_spectrum" not in copy.deepcopy(layer).__dict__
    for replace in (lambda: setattr(layer, "weight", torch.nn.Parameter(torch.randn_like(layer.weight))),
                    lambda: setattr(layer.weight, "data", torch.randn_like(layer.weight))):
        replace()  # neither bumps the old tensor's version counter
        with torch.no_grad():
            cached = layer(x)
        torch.testing.assert_close(cached, layer(x))


def test_make_conv_rejects_unknown_implementation():
    from sklearn_ser.nets.fftconv import make_conv

    with pytest.raises(ValueError, match="'fft' or 'torch'"):
        make_conv(1, 4, (2, 2, 2), "toeplitz")


@pytest.mark.parametrize("cls", [Kim3DCNN, Kim3DCNNSteps])
def test_both_conv_implementations_give_the_same_network(cls):
    torch.manual_seed(1)
    fast = cls(conv="fft").eval()
    ref = cls(conv="torch").eval()
    ref.load_state_dict(fast.state_dict())
    x = torch.randn(2, 10, 10, 256)
    torch.testing.assert_close(fast(x), ref(x), rtol=1e-4, atol=1e-5)
    assert count_parameters(fast) == count_parameters(ref)


def _spy(monkeypatch, owner, name, calls):
    original = getattr(owner, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)


def test_auto_conv_takes_the_fft_on_cpu_and_torchs_convolution_on_a_gpu(monkeypatch):
    from sklearn_ser.nets import fftconv

    calls = []
    _spy(monkeypatch, fftconv, "fft_conv", calls)
    _spy(monkeypatch, torch.nn.functional, "conv3d", calls)
    layer = fftconv.make_conv(3, 4, (2, 2, 8), "auto")
    x = torch.randn(2, 3, 4, 4, 16)
    layer(x)
    assert calls == ["fft_conv"]
    monkeypatch.setattr(fftconv, "_device_type", lambda x: "cuda")  # as if x lived on a GPU
    calls.clear()
    layer(x)
    assert calls == ["conv3d"]


@pytest.mark.parametrize("kernel, shape", [((2, 2, 32), (5, 4, 64)), ((3, 1, 5), (5, 4, 9)), ((2, 32), (6, 64)),
                                           ((3, 4), (5, 7)), ((800,), (200,)), ((80,), (1600,))])
def test_auto_conv_gives_the_same_outputs_and_gradients_on_either_path(kernel, shape, monkeypatch):
    from sklearn_ser.nets import fftconv

    torch.manual_seed(0)
    auto, padded = fftconv.make_conv(3, 4, kernel, "auto"), fftconv.make_conv(3, 4, kernel, "torch")
    padded.load_state_dict(auto.state_dict())
    x = torch.randn(2, 3, *shape)
    results = {}
    for path, layer in [("fft", auto), ("torch", padded), ("auto on a gpu", auto)]:
        if path == "auto on a gpu":
            monkeypatch.setattr(fftconv, "_device_type", lambda x: "cuda")
        layer.zero_grad()
        x_path = x.clone().requires_grad_(True)
        out = layer(x_path)
        out.square().sum().backward()
        results[path] = [out.detach(), layer.weight.grad.clone(), layer.bias.grad.clone(), x_path.grad]
    torch.testing.assert_close(results["auto on a gpu"], results["torch"], rtol=0, atol=0)  # the same computation
    for a, b in zip(results["fft"], results["torch"]):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4 * max(1.0, b.abs().max().item()))


@pytest.mark.parametrize("cls, shape", [(Kim3DCNN, (2, 10, 10, 256)), (Kim3DCNNSteps, (2, 10, 10, 256)),
                                        (CNN2DLSTM, (2, 10, 10, 256)), (CNN1DLSTM, (2, 20, 1600))])
def test_auto_is_the_default_and_on_cpu_is_the_fft_network_exactly(cls, shape):
    torch.manual_seed(0)
    auto = cls()
    torch.manual_seed(0)
    fft = cls(conv="fft")
    torch.manual_seed(0)
    plain = cls(conv="torch")
    assert count_parameters(auto) == count_parameters(fft) == count_parameters(plain)
    assert {k: v.shape for k, v in auto.state_dict().items()} == {k: v.shape for k, v in plain.state_dict().items()}
    x = torch.randn(*shape)
    torch.testing.assert_close(auto.eval()(x), fft.eval()(x), rtol=0, atol=0)
