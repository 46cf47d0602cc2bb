"""Wieser et al. 2020's networks: a 1-D CNN on raw audio (ELoR) or on MFCC channels (LoM), and
handcrafted functionals (FTR), each feeding one MLP head per target (valence and arousal in the
paper), as plain torch modules.

``forward`` returns a tuple of logits, one ``(batch, n_classes)`` tensor per head, in the order of
``n_classes``; :class:`~sklearn_ser.estimators.MultiHeadNetClassifier` trains the heads and pools
each head's posteriors over an utterance's windows. ``embed`` returns what the heads read: the
flattened CNN features, the functionals (batch-normalised), or both side by side.
"""
from __future__ import annotations

import torch
from torch import nn

from .fftconv import make_conv

#: the CNN's layers, chosen where the paper's Fig. 2 gives them only as a drawing (docs/wieser.md):
#: a first layer of Trigeorgis et al.'s 5 ms filters, then pools that bring 6 s to 150 steps
FILTERS = (40, 40, 40)
KERNELS = (80, 20, 10)
POOLS = (10, 8, 8)


class WieserCNN(nn.Module):
    """Three blocks of 'same'-padded 1-D convolution (stride 1) -> max-pool -> ReLU -> batch
    normalisation (the paper's order), He-initialised; input ``(batch, channels, samples)``,
    output the flattened feature maps. ``conv`` as :func:`~sklearn_ser.nets.fftconv.make_conv`."""

    def __init__(self, in_channels=1, length=96000, filters=FILTERS, kernels=KERNELS, pools=POOLS, conv="auto"):
        super().__init__()
        if not len(filters) == len(kernels) == len(pools):
            raise ValueError(f"filters, kernels and pools need one entry per layer, got {filters}, {kernels}, {pools}")
        layers, channels = [], in_channels
        for n_filters, kernel, pool in zip(filters, kernels, pools):
            layer = make_conv(channels, n_filters, (kernel,), conv)
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
            layers += [layer, nn.MaxPool1d(pool), nn.ReLU(), nn.BatchNorm1d(n_filters)]
            length //= pool
            channels = n_filters
        if length < 1:
            raise ValueError(f"inputs of this length are too short for pools {pools}")
        self.layers = nn.Sequential(*layers, nn.Flatten())
        self.n_outputs = channels * length

    def forward(self, X):
        return self.layers(X)


def _head(n_inputs, hidden, n_classes, dropout):
    """Two sigmoid hidden layers with dropout, then the class logits; Glorot-initialised."""
    layers, width = [], n_inputs
    for size in hidden:
        layers += [nn.Dropout(dropout), nn.Linear(width, size), nn.Sigmoid()]
        width = size
    layers += [nn.Dropout(dropout), nn.Linear(width, n_classes)]
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


class WieserNet(nn.Module):
    """ELoR, LoM, FTR or ELoR + FTR with one MLP head per target.

    Parameters
    ----------
    n_classes : int or tuple of int, default=(5, 5)
        Classes of each head (the paper: five levels of valence and of arousal).
    input_shape : tuple
        One sample's shape, as the estimator infers it: ``(samples,)`` for raw audio,
        ``(n_mfcc, frames)`` for MFCC channels, ``(n_functionals,)`` for functionals, and for
        ``"raw+functionals"`` ``(samples + n_functionals,)``: each window's audio followed by its
        functionals.
    kind : {"raw", "mfcc", "functionals", "raw+functionals"}, default="raw"
    n_functionals : int, default=0
        With ``"raw+functionals"``: how many of each sample's last values are functionals.
    filters, kernels, pools, conv : the CNN's (see :class:`WieserCNN`)
    hidden : tuple of int, default=(256, 128)
        Widths of each head's two sigmoid layers (the paper's are in its figure only).
    dropout : float, default=0.5
    """

    KINDS = ("raw", "mfcc", "functionals", "raw+functionals")

    def __init__(self, n_classes=(5, 5), input_shape=(96000,), kind="raw", n_functionals=0, filters=FILTERS,
                 kernels=KERNELS, pools=POOLS, conv="auto", hidden=(256, 128), dropout=0.5):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, got {kind!r}")
        self.n_classes = (n_classes,) if isinstance(n_classes, int) else tuple(n_classes)
        self.kind = kind
        shape = tuple(input_shape)
        self.n_functionals = shape[-1] if kind == "functionals" else (n_functionals if kind == "raw+functionals" else 0)
        if kind == "raw+functionals" and not 0 < n_functionals < shape[-1]:
            raise ValueError(f"raw+functionals needs 0 < n_functionals < {shape[-1]}, got {n_functionals}")
        self.cnn = None
        width = 0
        if kind != "functionals":
            in_channels, length = (shape[0], shape[1]) if kind == "mfcc" else (1, shape[-1] - self.n_functionals)
            self.cnn = WieserCNN(in_channels, length, filters, kernels, pools, conv)
            width += self.cnn.n_outputs
        # functionals on very different scales: normalised by the net, from its training batches
        self.functionals_norm = nn.BatchNorm1d(self.n_functionals) if self.n_functionals else None
        width += self.n_functionals
        self.heads = nn.ModuleList(_head(width, hidden, n, dropout) for n in self.n_classes)

    def embed(self, X):
        parts = []
        if self.cnn is not None:
            audio = X[..., :X.shape[-1] - self.n_functionals] if self.n_functionals else X
            parts.append(self.cnn(audio.unsqueeze(1) if self.kind != "mfcc" else audio))
        if self.n_functionals:
            parts.append(self.functionals_norm(X[..., X.shape[-1] - self.n_functionals:]))
        return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]

    def forward(self, X):
        features = self.embed(X)
        return tuple(head(features) for head in self.heads)
