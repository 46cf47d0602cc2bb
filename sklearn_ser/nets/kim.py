"""Kim et al. 2017's networks and the baselines of their Table 4, as plain torch modules.

Inputs follow :mod:`sklearn_ser.features`: volumes ``(batch, L, T, S)`` (a channel axis is added
here), LLD frame sequences ``(batch, frames, features)``, raw subsequences ``(batch, steps, samples)``.
Convolutions use 'same' padding and 4 kernels a layer; with 4 classes the parameter counts match
Table 4 of the paper within 2 % (``tests/nets/test_kim.py``). Every ``forward`` ends in logits: the
papers' softmax is the classifier's (its loss and ``predict_proba``).
"""
from __future__ import annotations

import torch
from torch import nn

from .fftconv import make_conv


def _conv3d_stack(n_layers, n_kernels, kernel, pool, conv, batch_norm=False):
    layers = []
    for k in range(n_layers):
        channels = 1 if k == 0 else n_kernels
        layers.append(make_conv(channels, n_kernels, kernel, conv))
        if batch_norm:
            layers.append(nn.BatchNorm3d(n_kernels))
        layers.append(nn.ReLU())
        if k > 0:  # "3D max-pooling after every layer but the first"
            layers.append(nn.MaxPool3d(pool))
    return nn.Sequential(*layers)


def _pooled(size, pool, n_pools):
    for _ in range(n_pools):
        size //= pool
    return size


class Kim3DCNN(nn.Module):
    """3D-CNN-DNN: homogeneous 3D convolutions over L x T x S, 3D max-pooling, two FC layers.

    Parameters
    ----------
    n_classes : int
    input_shape : (L, T, S), default=(10, 10, 256)
    n_layers : int, default=3
    n_kernels : int, default=4
    kernel : (int, int, int), default=(2, 2, 128)
    n_hidden : int, default=512
    dropout : float, default=0.5
    conv : {"auto", "fft", "torch"}, default="auto"
        How the 3D convolutions are computed: :class:`~sklearn_ser.nets.fftconv.FFTConv` (through
        the FFT, several times faster on CPU) or ``nn.Conv3d``; same weights, same results.
        ``"auto"``: the FFT for inputs on the CPU, ``nn.Conv3d``'s computation on a GPU, decided at
        every forward by the input's device (:class:`~sklearn_ser.nets.fftconv.AutoConv`).
    batch_norm : bool, default=False
        Batch normalisation after each convolution (not in the paper).
    """

    def __init__(self, n_classes=4, input_shape=(10, 10, 256), n_layers=3, n_kernels=4,
                 kernel=(2, 2, 128), n_hidden=512, dropout=0.5, conv="auto", batch_norm=False):
        super().__init__()
        self.features = _conv3d_stack(n_layers, n_kernels, tuple(kernel), (2, 2, 2), conv,
                                      batch_norm)
        flat = n_kernels * int(torch.tensor([_pooled(d, 2, n_layers - 1) for d in input_shape]).prod())
        self.hidden = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, n_hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(n_hidden, n_hidden), nn.ReLU(), nn.Dropout(dropout),
        )
        self.output = nn.Linear(n_hidden, n_classes)

    def embed(self, X):
        """Top hidden layer (before the softmax), one row per input."""
        return self.hidden(self.features(X.unsqueeze(1)))

    def forward(self, X):
        return self.output(self.embed(X))


class Kim3DCNNSteps(nn.Module):
    """3D-CNN-DNN-ELM's network: no pooling along L, the same FC series applied at each of the L
    steps, a softmax per step. ``forward`` returns step logits ``(batch, L, n_classes)``; the
    statistical functionals of their posteriors feed an ELM (:class:`sklearn_ser.ensemble.FunctionalsELM`).
    """

    def __init__(self, n_classes=4, input_shape=(10, 10, 256), n_layers=3, n_kernels=4,
                 kernel=(2, 2, 128), n_hidden=512, dropout=0.5, conv="auto", batch_norm=False):
        super().__init__()
        self.features = _conv3d_stack(n_layers, n_kernels, tuple(kernel), (1, 2, 2), conv,
                                      batch_norm)
        _, T, S = input_shape
        per_step = n_kernels * _pooled(T, 2, n_layers - 1) * _pooled(S, 2, n_layers - 1)
        self.hidden = nn.Sequential(
            nn.Linear(per_step, n_hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(n_hidden, n_hidden), nn.ReLU(), nn.Dropout(dropout),
        )
        self.output = nn.Linear(n_hidden, n_classes)

    def embed(self, X):
        """Top hidden layer per step ``(batch, L, n_hidden)``."""
        maps = self.features(X.unsqueeze(1))  # (B, C, L, T', S')
        steps = maps.permute(0, 2, 1, 3, 4).flatten(2)  # (B, L, C * T' * S')
        return self.hidden(steps)

    def forward(self, X):
        return self.output(self.embed(X))


class FrameDNN(nn.Module):
    """DNN-ELM's network (Han et al. 2014): FC layers on each frame (with its context window).

    ``forward`` maps ``(batch, n_features)`` frames or ``(batch, frames, n_features)`` sequences to
    logits of the same leading shape. Table 4's 141K parameters imply 32 inputs a frame; with
    the 5-frame context of :class:`~sklearn_ser.features.LLDContextFrames` (160) it is 174K.
    """

    def __init__(self, n_classes=4, n_features=32, n_hidden=256, n_layers=3, dropout=0.0):
        super().__init__()
        layers, width = [], n_features
        for _ in range(n_layers):
            layers += [nn.Linear(width, n_hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = n_hidden
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(n_hidden, n_classes)

    def embed(self, X):
        return self.hidden(X)

    def forward(self, X):
        return self.output(self.embed(X))


class SequenceLSTM(nn.Module):
    """LSTM-ELM's network (Lee & Tashev 2015): stacked LSTMs over a frame sequence, a softmax at
    every step. ``forward`` maps ``(batch, frames, n_features)`` to logits ``(batch, frames, n_classes)``."""

    def __init__(self, n_classes=4, n_features=32, n_cells=128, n_layers=2):
        super().__init__()
        self.lstm = nn.LSTM(n_features, n_cells, num_layers=n_layers, batch_first=True)
        self.output = nn.Linear(n_cells, n_classes)

    def embed(self, X):
        return self.lstm(X)[0]

    def forward(self, X):
        return self.output(self.embed(X))


class CNN1DLSTM(nn.Module):
    """1D-CNN-LSTM on raw waveform (Trigeorgis et al. 2016, as Kim et al. configure it): per 40 ms
    subsequence, conv (80 taps), max-pool 2, conv (800 taps), max-pool 40; the pooled maps of the
    20 subsequences go through 2 LSTM layers; softmax on the last step.

    The paper does not give the number of filters; ``n_filters=(40, 32)`` (the default) gives 1554K
    parameters with 128 cells (Table 4: 1583K, -1.8 %) and 2474K with 256 (Table 4: 2211K). No
    choice matches both: the 628K the paper adds from 128 to 256 cells imply about 70 LSTM inputs
    a step, while 20 pooled positions of any plausible number of 800-tap filters give hundreds.
    (Trigeorgis' own 40 + 40 filters give 1892K / 2894K.) ``conv`` as :class:`Kim3DCNN`'s.
    """

    def __init__(self, n_classes=4, samples=1600, n_filters=(40, 32), kernels=(80, 800),
                 pools=(2, 40), n_cells=128, conv="auto"):
        super().__init__()
        self.conv = nn.Sequential(
            # one input channel and 80 taps: PyTorch's direct convolution is the faster one here
            make_conv(1, n_filters[0], (kernels[0],), "torch" if conv in ("auto", "fft") else conv),
            nn.ReLU(),
            nn.MaxPool1d(pools[0]),
            make_conv(n_filters[0], n_filters[1], (kernels[1],), conv), nn.ReLU(),
            nn.MaxPool1d(pools[1]),
        )
        per_step = n_filters[1] * (samples // pools[0] // pools[1])
        self.lstm = nn.LSTM(per_step, n_cells, num_layers=2, batch_first=True)
        self.output = nn.Linear(n_cells, n_classes)

    def embed(self, X):
        B, L, N = X.shape
        maps = self.conv(X.reshape(B * L, 1, N)).reshape(B, L, -1)
        return self.lstm(maps)[0][:, -1]

    def forward(self, X):
        return self.output(self.embed(X))


class CNN2DLSTM(nn.Module):
    """2D-CNN-LSTM(-DNN): two 2D convolutions (4 kernels of 2 x ``spectral``) on each T x S map of the
    L-step series, max-pools 2x2 then 4x4, two LSTM layers of 128 over the L steps, then (with
    ``dnn=True``) two FC layers of 512; softmax on the last step. ``conv`` as :class:`Kim3DCNN`'s."""

    def __init__(self, n_classes=4, input_shape=(10, 10, 256), n_kernels=4, kernel=(2, 2),
                 n_cells=128, dnn=False, n_hidden=512, dropout=0.5, conv="auto"):
        super().__init__()
        self.conv = nn.Sequential(
            make_conv(1, n_kernels, tuple(kernel), conv), nn.ReLU(), nn.MaxPool2d(2),
            make_conv(n_kernels, n_kernels, tuple(kernel), conv), nn.ReLU(), nn.MaxPool2d(4),
        )
        _, T, S = input_shape
        self.lstm = nn.LSTM(n_kernels * (T // 2 // 4) * (S // 2 // 4), n_cells, num_layers=2,
                            batch_first=True)
        self.dnn = nn.Sequential(
            nn.Linear(n_cells, n_hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(n_hidden, n_hidden), nn.ReLU(), nn.Dropout(dropout),
        ) if dnn else nn.Identity()
        self.output = nn.Linear(n_hidden if dnn else n_cells, n_classes)

    def embed(self, X):
        B, L, T, S = X.shape
        maps = self.conv(X.reshape(B * L, 1, T, S)).reshape(B, L, -1)
        return self.dnn(self.lstm(maps)[0][:, -1])

    def forward(self, X):
        return self.output(self.embed(X))


def count_parameters(module):
    """Trainable parameters of a module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
