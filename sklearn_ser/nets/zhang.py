"""Zhang et al. 2021's three segment-level CNNs (Tables 1-3), as plain torch modules.

Each maps a batch of segments to class logits (the tables' softmax is the classifier's);
:class:`~sklearn_ser.estimators.SegmentNetClassifier` trains them on segments and average-pools
the posteriors per utterance. ``embed`` returns the top fully-connected layer (FC6 of the 1D CNN,
FC7 of AlexNet, FC4 of the 3D CNN), the features that the paper's feature-level fusion averages
over an utterance.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F


class Zhang1DCNN(nn.Module):
    """Table 1: four 1-D convolutions (32 x 6, 32 x 5, 64 x 5, 64 x 4), each but the last followed by
    batch normalisation, ReLU and a max-pool of 5, then FC 2048, FC 1024 and a softmax.

    Convolutions are 'valid' with stride 1 and pools have stride = size, so a 625-sample segment
    shrinks 625 -> 620 -> 124 -> 120 -> 24 -> 20 -> 4 -> 1: the last convolution spans its whole input
    and acts as a fully-connected layer, as the paper notes. Input ``(batch, samples)``.
    """

    def __init__(self, n_classes=7, n_features=625, filters=(32, 32, 64, 64), kernels=(6, 5, 5, 4),
                 pool=5, n_hidden=(2048, 1024), dropout=0.5):
        super().__init__()
        layers, channels, length = [], 1, n_features
        for k, (n_filters, kernel) in enumerate(zip(filters, kernels)):
            layers += [nn.Conv1d(channels, n_filters, kernel), nn.BatchNorm1d(n_filters), nn.ReLU()]
            length -= kernel - 1
            if k < len(filters) - 1:
                layers.append(nn.MaxPool1d(pool))
                length //= pool
            channels = n_filters
        if length < 1:
            raise ValueError(f"{n_features}-sample segments are too short for kernels {kernels} and pools of {pool}")
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.flat_features = channels * length
        self.hidden = nn.Sequential(
            nn.Linear(self.flat_features, n_hidden[0]), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(n_hidden[0], n_hidden[1]), nn.ReLU(), nn.Dropout(dropout),
        )
        self.output = nn.Linear(n_hidden[1], n_classes)

    def embed(self, X):
        return self.hidden(self.features(X.unsqueeze(1)))

    def forward(self, X):
        return self.output(self.embed(X))


# Table 2 (Krizhevsky et al.'s widths); torchvision's ImageNet AlexNet has (64, 192, 384, 256, 256).
ALEXNET_WIDTHS = (96, 256, 384, 384, 256)


class ZhangAlexNet(nn.Module):
    """Table 2: AlexNet on the 3 x 64 x 64 mel segments (static, delta, delta-delta), resized to
    ``input_size`` with bilinear interpolation (227 in the paper).

    Modules and parameter names follow torchvision's ``alexnet`` (``features.0`` ... ``features.10``,
    ``classifier.1/4/6``), so an ImageNet state dict in that layout loads with
    :meth:`load_pretrained` (or ``pretrained=path``): its widths are taken from the checkpoint, and the
    1000-way output layer is replaced by one for ``n_classes``: widths, ``n_hidden`` and ``pooled``
    then come from the checkpoint. Nothing is downloaded.

    Parameters
    ----------
    n_classes : int
    input_size : int or None, default=227
        Side the segments are resized to; None keeps 64 x 64 (the CPU-sized variant: about 12x
        fewer convolution FLOPs).
    widths : five ints, default=ALEXNET_WIDTHS
    n_hidden : int, default=4096
        FC6 and FC7.
    pooled : int, default=6
        Side of the adaptive average pool before FC6 (torchvision's 6; smaller for small inputs).
    dropout : float, default=0.5
    pretrained : str or Path, optional
        A ``torch.save``-d state dict of an ImageNet AlexNet in torchvision's layout.
    """

    def __init__(self, n_classes=7, input_size=227, widths=ALEXNET_WIDTHS, n_hidden=4096, pooled=6,
                 dropout=0.5, pretrained=None):
        super().__init__()
        state = None
        if pretrained is not None:
            state = _read_state_dict(pretrained)
            widths = tuple(state[f"features.{i}.weight"].shape[0] for i in (0, 3, 6, 8, 10))
            n_hidden, fc6_inputs = state["classifier.1.weight"].shape
            pooled = round((fc6_inputs / widths[-1]) ** 0.5)
        self.input_size = input_size
        w1, w2, w3, w4, w5 = widths
        self.features = nn.Sequential(
            nn.Conv2d(3, w1, 11, stride=4, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(w1, w2, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(w2, w3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(w3, w4, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(w4, w5, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(pooled)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(w5 * pooled * pooled, n_hidden), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(n_hidden, n_hidden), nn.ReLU(inplace=True),
            nn.Linear(n_hidden, n_classes),
        )
        if state is not None:
            self.load_pretrained(state)

    def load_pretrained(self, state):
        """Copy an ImageNet AlexNet's weights (a state dict or a path to one) into every layer but
        the output one, which keeps its fresh initialisation for this task's classes."""
        state = _read_state_dict(state) if isinstance(state, (str, Path)) else state
        own = self.state_dict()
        keep = {k: v for k, v in state.items() if not k.startswith("classifier.6.")}
        wrong = [k for k, v in keep.items() if k not in own or own[k].shape != v.shape]
        missing = [k for k in own if k not in keep and not k.startswith("classifier.6.")]
        if wrong or missing:
            raise ValueError(f"not an AlexNet state dict in torchvision's layout for this network: "
                             f"unexpected or mis-shaped {wrong[:4]}, missing {missing[:4]}")
        self.load_state_dict(keep, strict=False)
        return self

    def _resized(self, X):
        if self.input_size is None or X.shape[-1] == self.input_size:
            return X
        return F.interpolate(X, size=(self.input_size, self.input_size), mode="bilinear",
                             align_corners=False)

    def embed(self, X):
        """FC7 activations (4096 in the paper)."""
        maps = self.avgpool(self.features(self._resized(X))).flatten(1)
        return self.classifier[:-1](maps)

    def forward(self, X):
        return self.classifier[-1](self.embed(X))


def _read_state_dict(path):
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict (torch.save(model.state_dict(), path))")
    return state


class Zhang3DCNN(nn.Module):
    """Table 3: on clips of ``clip_length`` mel segments ``(batch, 3, clip_length, 64, 64)``: a 3-D
    convolution of 32 filters spanning the whole clip (4 x 8 x 8), BN, ReLU, max-pool 1 x 3 x 3, a
    second of 32 (1 x 5 x 5), BN, ReLU, max-pool 1 x 3 x 3, FC 256, FC 256 (dropout), softmax.

    'Valid' convolutions and pools of stride = size: 64 -> 57 -> 19 -> 15 -> 5, so FC3 sees
    32 x 5 x 5 = 800 inputs.
    """

    def __init__(self, n_classes=7, input_shape=(3, 4, 64, 64), filters=(32, 32), n_hidden=256,
                 dropout=0.5):
        super().__init__()
        channels, depth, height, width = input_shape
        self.features = nn.Sequential(
            nn.Conv3d(channels, filters[0], (depth, 8, 8)), nn.BatchNorm3d(filters[0]), nn.ReLU(),
            nn.MaxPool3d((1, 3, 3)),
            nn.Conv3d(filters[0], filters[1], (1, 5, 5)), nn.BatchNorm3d(filters[1]), nn.ReLU(),
            nn.MaxPool3d((1, 3, 3)),
            nn.Flatten(),
        )
        side = lambda n: ((n - 7) // 3 - 4) // 3  # noqa: E731 (the two conv + pool stages)
        self.flat_features = filters[1] * side(height) * side(width)
        if side(height) < 1 or side(width) < 1:
            raise ValueError(f"{height} x {width} maps are too small for Table 3's kernels and pools")
        self.hidden = nn.Sequential(
            nn.Linear(self.flat_features, n_hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(n_hidden, n_hidden), nn.ReLU(), nn.Dropout(dropout),
        )
        self.output = nn.Linear(n_hidden, n_classes)

    def embed(self, X):
        return self.hidden(self.features(X))

    def forward(self, X):
        return self.output(self.embed(X))
