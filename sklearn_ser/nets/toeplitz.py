"""A 3D convolution with a long kernel along the last axis, computed as one large matrix product.

Kim et al.'s kernels are short in L and T (2 x 2) and long along the spectrum (up to 128 of 256
bins). PyTorch's CPU ``Conv3d`` runs such shapes at a few GFLOP/s. Here the convolution along the
spectral axis becomes a banded Toeplitz matrix (``S_in x S_out`` per input channel, L/T offset and
output channel), the few L/T offsets become shifted copies of the input, and the layer is one GEMM
``(batch * L * T, C_in * kL * kT * S) @ (C_in * kL * kT * S, C_out * S)`` that runs near the
machine's matmul speed, forward and backward. It does about twice the multiply-adds of the direct
convolution (half the band is zeros for a 128-tap kernel over 256 bins) and is still several times
faster; the result equals ``Conv3d(padding="same")`` within float32 tolerance (tests/test_nets.py).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def _same(k):
    """PyTorch's 'same' padding for a kernel of length k: (left, right)."""
    return (k - 1) // 2, k - 1 - (k - 1) // 2


class ToeplitzConv3d(nn.Module):
    """Drop-in for ``nn.Conv3d(in_channels, out_channels, kernel, padding="same")`` on inputs of a
    fixed spectral length ``n_bins`` (weights and bias laid out as Conv3d's)."""

    def __init__(self, in_channels, out_channels, kernel, n_bins):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel = tuple(kernel)
        self.n_bins = n_bins
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *self.kernel))
        self.bias = nn.Parameter(torch.empty(out_channels))
        # the same initialisation as nn.Conv3d
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        bound = 1 / math.sqrt(in_channels * math.prod(self.kernel))
        nn.init.uniform_(self.bias, -bound, bound)
        left = _same(self.kernel[2])[0]
        s_in = torch.arange(n_bins)[:, None]
        s_out = torch.arange(n_bins)[None, :]
        tap = s_in - s_out + left  # which kernel tap links input bin s_in to output bin s_out
        self.register_buffer("tap", tap.clamp(0, self.kernel[2] - 1), persistent=False)
        self.register_buffer("band", ((tap >= 0) & (tap < self.kernel[2])).float(), persistent=False)

    def toeplitz(self):
        """The layer's weights as a ``(C_in * kL * kT * S, C_out * S)`` matrix."""
        w = self.weight[..., self.tap] * self.band  # (O, C, kL, kT, S_in, S_out)
        O, C, kL, kT, S, _ = w.shape
        return w.permute(1, 2, 3, 4, 0, 5).reshape(C * kL * kT * S, O * S)

    def forward(self, x):
        B, C, L, T, S = x.shape
        kL, kT, _ = self.kernel
        padded = F.pad(x, (0, 0, *_same(kT), *_same(kL)))
        shifted = torch.stack([padded[:, :, i:i + L, j:j + T] for i in range(kL) for j in range(kT)], 2)
        # (B, C, kL*kT, L, T, S) -> rows (b, l, t), columns (c, offset, s)
        rows = shifted.permute(0, 3, 4, 1, 2, 5).reshape(B * L * T, C * kL * kT * S)
        out = rows @ self.toeplitz()  # (B*L*T, O*S)
        out = out.reshape(B, L, T, self.out_channels, S).permute(0, 3, 1, 2, 4)
        return out + self.bias.view(1, -1, 1, 1, 1)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel={self.kernel}, n_bins={self.n_bins}"
