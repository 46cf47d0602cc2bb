"""Convolutions with long kernels computed through the FFT.

Kim et al.'s 3D kernels span up to 128 of 256 spectral bins, the 1D-CNN-LSTM's second kernel 800
samples. PyTorch's CPU ``Conv1d/2d/3d`` run such shapes at a few GFLOP/s; through the FFT the
convolution becomes, at each frequency, a small matrix product over the channels: a few percent of
the direct multiply-adds. :class:`FFTConv` is a drop-in for
``nn.ConvNd(in_channels, out_channels, kernel, padding="same")`` (weights and bias laid out and
initialised as PyTorch's) and equals it forward and backward within float32 tolerance
(``tests/nets/test_fftconv.py``). On a GPU the framework's own convolutions are the fast ones:
:class:`AutoConv` (``conv="auto"``, the nets' default) takes the FFT path on CPU and theirs elsewhere.
"""
from __future__ import annotations

import math

import torch
from scipy.fft import next_fast_len
from torch import nn
from torch.autograd.function import once_differentiable


def _same_left(k):
    """Left padding of PyTorch's 'same' for a kernel of length k (the extra one goes right)."""
    return (k - 1) // 2


def _real_block(W):
    """Complex weights ``(..., C, O)`` as the real matrix ``(..., C * 2, O * 2)`` that maps
    interleaved (re, im) inputs to interleaved (re, im) outputs: one real GEMM, which CPUs run far
    faster than a complex one of these skinny shapes."""
    re, im = W.real, W.imag
    from_re = torch.stack([re, im], -1)  # (..., C, O, 2): re_in contributes re*re and re*im
    from_im = torch.stack([-im, re], -1)
    return torch.stack([from_re, from_im], -3).flatten(-4, -3).flatten(-2, -1)


class _RFFTN(torch.autograd.Function):
    """``torch.fft.rfftn`` over the trailing axes with a cheaper backward. PyTorch's own backward
    rebuilds the full complex spectrum and runs a complex-to-complex transform (about half a
    training step of the 1D-CNN-LSTM); the adjoint of the real transform is one inverse real
    transform of the gradient with the bins that stand for two (all but DC and Nyquist along the
    halved axis) halved, scaled by the transform size, and cut back to the input's extent."""

    @staticmethod
    def forward(ctx, x, size):
        ctx.extent, ctx.size = x.shape[-len(size):], size
        return torch.fft.rfftn(x, s=size, dim=tuple(range(-len(size), 0)))

    @staticmethod
    @once_differentiable  # no second derivatives through this adjoint
    def backward(ctx, grad):
        size = ctx.size
        bins = torch.arange(grad.shape[-1], device=grad.device)
        twice = (bins > 0) & (2 * bins < size[-1])
        grad = grad * torch.where(twice, 0.5, 1.0).to(grad.real.dtype)
        x_grad = torch.fft.irfftn(grad, s=size, dim=tuple(range(-len(size), 0))) * math.prod(size)
        for d, n in enumerate(ctx.extent):  # the adjoint of zero padding is truncation
            x_grad = x_grad.narrow(d - len(size), 0, n)
        return x_grad, None


def _fft_size(spatial, kernel):
    return tuple(next_fast_len(n + k - 1, real=True) for n, k in zip(spatial, kernel))  # linear, not circular


def kernel_spectrum(weight, size):
    """The kernels' transform as the per-frequency real matrices ``(freq, 2 C_in, 2 C_out)`` that
    :func:`fft_conv` multiplies by; depends on the weights and the input's size only."""
    # flipped kernel: the correlation as a convolution
    W = _RFFTN.apply(weight.flip(tuple(range(2, weight.ndim))), size)  # (O, C, *freq)
    return _real_block(W.movedim((1, 0), (-2, -1)).reshape(-1, weight.shape[1], weight.shape[0]))


def fft_conv(x, weight, bias=None, spectrum=None):
    """Cross-correlation of ``x`` (batch, C_in, *spatial) with ``weight`` (C_out, C_in, *kernel),
    'same' padding as PyTorch's, through an FFT over every spatial axis.

    The transforms run along contiguous rows; then the spectra are laid out frequency-first so that
    the whole layer is one batched real matrix product ``(batch, 2 C_in) @ (2 C_in, 2 C_out)`` per
    frequency. (Transforming a spatial-first layout in place avoids those two copies, but the
    strided transforms cost more than the copies save.)
    ``spectrum``: :func:`kernel_spectrum` of ``weight`` for this input size, if already computed.
    """
    n_dims = weight.ndim - 2
    spatial, kernel = x.shape[2:], weight.shape[2:]
    size = _fft_size(spatial, kernel)
    X = _RFFTN.apply(x, size)  # (B, C, *freq)
    freq = X.shape[2:]
    B, C, O = x.shape[0], x.shape[1], weight.shape[0]
    X = torch.view_as_real(X.movedim((0, 1), (-2, -1)).contiguous()).reshape(-1, B, 2 * C)
    Y = torch.bmm(X, kernel_spectrum(weight, size) if spectrum is None else spectrum)
    Y = torch.view_as_complex(Y.reshape(*freq, B, O, 2)).movedim((-2, -1), (0, 1))
    full = torch.fft.irfftn(Y, s=size, dim=tuple(range(-n_dims, 0)))
    # 'same' output s sits at full-convolution index s + k - 1 - left
    for d, (n, k) in enumerate(zip(spatial, kernel)):
        full = full.narrow(2 + d, k - 1 - _same_left(k), n)
    if bias is not None:
        full = full + bias.view(1, -1, *([1] * n_dims))
    return full


class FFTConv(nn.Module):
    """``nn.Conv{1,2,3}d(in_channels, out_channels, kernel, padding="same")`` through the FFT; the
    dimensionality is ``len(kernel)``."""

    def __init__(self, in_channels, out_channels, kernel):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel = tuple(kernel)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *self.kernel))
        self.bias = nn.Parameter(torch.empty(out_channels))
        # PyTorch's ConvNd initialisation
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        bound = 1 / math.sqrt(in_channels * math.prod(self.kernel))
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if torch.is_grad_enabled():
            return fft_conv(x, self.weight, self.bias)
        # Inference: one utterance transforms far fewer signals than the 16-64 kernels, so the
        # kernels' spectrum is kept until the weights change (their version counter moves on every
        # in-place update: optimiser steps, load_state_dict).
        # The cache holds the weight tensor itself, so a replaced parameter is never taken for it;
        # the storage address catches ``weight.data = ...`` (Module.to), which keeps the version.
        size = _fft_size(x.shape[2:], self.kernel)
        key = (self.weight._version, self.weight.data_ptr(), size, x.dtype)
        cached = getattr(self, "_spectrum", None)
        if cached is None or cached[0] is not self.weight or cached[1] != key:
            spectrum = kernel_spectrum(self.weight, size).to(x.dtype)
            self._spectrum = cached = (self.weight, key, spectrum)
        return fft_conv(x, self.weight, self.bias, spectrum=cached[2])

    def __getstate__(self):  # pickles (joblib, deepcopy, clone) carry weights, not the cache
        state = dict(super().__getstate__())
        state.pop("_spectrum", None)
        return state

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel={self.kernel}"


def _same_pads(kernel):
    """PyTorch's 'same' padding for ``kernel`` as ``F.pad`` takes it: last axis first, (left, right) each."""
    return tuple(p for k in reversed(kernel) for p in (_same_left(k), k - 1 - _same_left(k)))


def _device_type(x):
    return x.device.type


class AutoConv(FFTConv):
    """:class:`FFTConv` whose input decides the computation at every call: the FFT path for an
    input on the CPU, PyTorch's own convolution (``torch.nn.functional.conv{1,2,3}d`` on the same
    weights, padded as 'same') for an input on any other device, where cuDNN and its kin are fast
    at these shapes. Decided at run time, not at construction, because a net is built before it is
    moved to its device (skorch's ``device="cuda"``), and a GPU in the machine says nothing about
    where a net with ``device="cpu"`` runs. Parameters and initialisation are :class:`FFTConv`'s."""

    def forward(self, x):
        if _device_type(x) == "cpu":
            return super().forward(x)
        conv = (nn.functional.conv1d, nn.functional.conv2d, nn.functional.conv3d)[len(self.kernel) - 1]
        return conv(nn.functional.pad(x, _same_pads(self.kernel)), self.weight, self.bias)


class _ExplicitSamePadding:
    """``padding="same"`` as an explicit zero pad before an unpadded ``ConvNd``: the same result,
    without the UserWarning PyTorch raises on every even kernel (it pads a copy either way)."""

    def __init__(self, in_channels, out_channels, kernel):
        super().__init__(in_channels, out_channels, tuple(kernel), padding=0)
        self.same_pads = _same_pads(kernel)

    def forward(self, x):
        return super().forward(nn.functional.pad(x, self.same_pads))


class SameConv1d(_ExplicitSamePadding, nn.Conv1d):
    pass


class SameConv2d(_ExplicitSamePadding, nn.Conv2d):
    pass


class SameConv3d(_ExplicitSamePadding, nn.Conv3d):
    pass


def make_conv(in_channels, out_channels, kernel, conv="auto"):
    """A 'same'-padded convolution layer: :class:`FFTConv` (``conv="fft"``), PyTorch's own
    ``nn.ConvNd`` (``conv="torch"``, padded explicitly), or :class:`AutoConv` (``conv="auto"``: the
    FFT on CPU, PyTorch's elsewhere, chosen by each input's device); same weights layout and results."""
    if conv == "auto":
        return AutoConv(in_channels, out_channels, kernel)
    if conv == "fft":
        return FFTConv(in_channels, out_channels, kernel)
    if conv == "torch":
        layer = {1: SameConv1d, 2: SameConv2d, 3: SameConv3d}[len(kernel)]
        return layer(in_channels, out_channels, kernel)
    raise ValueError(f"conv must be 'auto', 'fft' or 'torch', got {conv!r}")
