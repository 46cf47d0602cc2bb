"""Label-preserving augmentations of training batches, for ``SERNetClassifier(augment=...)``.

They run on each training batch only (never on validation or prediction), draw from torch's
global generator (which the net seeds with its ``random_state``), and return a new tensor. This
module holds what they share (:class:`BatchAugmentation`, :class:`Compose`, the interpolation) and
the spectral warp :class:`FrequencyWarp`; the waveform ones are in :mod:`.augment_waveform`,
the masking in :mod:`.augment_masking`, and their names for recipes and the command line in
:mod:`.augment_names`.
"""
from __future__ import annotations

import torch


class BatchAugmentation:
    """What the augmentations share: parameters checked when built, a repr of them, and equality
    by parameters (so that ``clone`` and ``get_params`` compare them as values).

    Subclasses implement ``__call__(X) -> tensor``; their draws come from torch's global CPU
    generator, whatever the device of X, so a seeded fit repeats on any device.
    """

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other):
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = None


def uniform(n, low, high, device=None):
    """``n`` draws from U[low, high) of torch's global CPU generator, moved to ``device``."""
    return (low + (high - low) * torch.rand(n)).to(device)


def check_range(name, low, high, lowest=None, highest=None, open_low=False):
    """Refuse a range ``low <= high`` that is not one, or leaves ``[lowest, highest]``
    (``lowest`` excluded with ``open_low``)."""
    for bound in (low, high):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise TypeError(f"{name} bounds must be numbers, got {bound!r}")
    if low > high:
        raise ValueError(f"{name}: the lower bound {low!r} is above the upper bound {high!r}")
    if lowest is not None and (low <= lowest if open_low else low < lowest):
        raise ValueError(f"{name} must be {'above' if open_low else 'at least'} {lowest}, got {low!r}")
    if highest is not None and high > highest:
        raise ValueError(f"{name} must be at most {highest}, got {high!r}")


def vtlp_source_bins(n_bins, alpha, boundary=0.8):
    """Where each output bin of a vocal-tract-length-perturbed spectrum reads from.

    The warp of Jaitly & Hinton (2013): frequencies are scaled by ``alpha`` up to
    ``boundary * min(alpha, 1)`` of the band, then mapped linearly so the band edge stays put.
    Returned is the inverse map, output bin -> fractional source bin, for each ``alpha``:
    shape ``(len(alpha), n_bins)``.
    """
    alpha = torch.as_tensor(alpha, dtype=torch.float32).reshape(-1, 1)
    top = float(n_bins - 1)
    out = torch.arange(n_bins, dtype=torch.float32).reshape(1, -1)
    knee_out = boundary * top * torch.clamp(alpha, max=1.0)  # output bin where the scaling ends
    knee_in = knee_out / alpha
    upper = knee_in + (out - knee_out) * (top - knee_in) / (top - knee_out)
    return torch.where(out <= knee_out, out / alpha, upper)


def resample_last_axis(X, source):
    """Linear interpolation of ``X (batch, ..., n)`` at fractional positions ``source (batch, m)``
    along its last axis: ``(batch, ..., m)``; positions outside ``[0, n - 1]`` read the edge."""
    n = X.shape[-1]
    source = source.clamp(0, n - 1)
    low = source.floor().long().clamp(0, max(n - 2, 0))
    high = (low + 1).clamp(max=n - 1)
    frac = (source - low).to(X.dtype).unsqueeze(1)
    flat = X.reshape(X.shape[0], -1, n)
    lo = flat.gather(2, low.unsqueeze(1).expand(-1, flat.shape[1], -1))
    hi = flat.gather(2, high.unsqueeze(1).expand(-1, flat.shape[1], -1))
    return (lo + frac * (hi - lo)).reshape(X.shape[:-1] + source.shape[-1:])


class FrequencyWarp(BatchAugmentation):
    """Vocal tract length perturbation (VTLP, Jaitly & Hinton 2013) of spectral inputs whose last
    axis is a linear frequency axis (:class:`~sklearn_ser.features.KimSpectrogramVolumes`,
    mel maps): each training sample's spectrum is warped by its own factor drawn uniformly from
    ``[1 - max_warp, 1 + max_warp]``, mimicking a speaker with a shorter or longer vocal tract.

    Parameters
    ----------
    max_warp : float, default=0.1
        Largest relative change of frequency (VTLP's usual range is 0.9-1.1).
    boundary : float, default=0.8
        Share of the band scaled before the warp bends back to keep the band edge fixed.
    """

    def __init__(self, max_warp=0.1, boundary=0.8):
        # checked here, when a recipe is built, not at the first training batch after extraction
        if not 0 <= max_warp < 1:
            raise ValueError(f"max_warp must be in [0, 1), got {max_warp!r}")
        if not 0 < boundary < 1:
            raise ValueError(f"boundary must be in (0, 1), got {boundary!r}")
        self.max_warp = max_warp
        self.boundary = boundary

    def __call__(self, X):
        alpha = 1 + (2 * torch.rand(X.shape[0]) - 1) * self.max_warp
        return resample_last_axis(X, vtlp_source_bins(X.shape[-1], alpha, self.boundary).to(X.device))


class Compose(BatchAugmentation):
    """Several augmentations applied one after the other to each training batch.

    Parameters
    ----------
    augmentations : list of callables
        Each takes a batch tensor and returns one of the same shape.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators import AdditiveNoise, Compose, SpeedPerturbation
    >>> chain = Compose([SpeedPerturbation(0.9, 1.1), AdditiveNoise(20, 30)])
    >>> chain(torch.randn(4, 16000)).shape
    torch.Size([4, 16000])
    """

    def __init__(self, augmentations):
        augmentations = list(augmentations)
        if not augmentations:
            raise ValueError("Compose needs at least one augmentation")
        for a in augmentations:
            if not callable(a):
                raise TypeError(f"Compose takes callables (batch -> batch), got {a!r}")
        self.augmentations = augmentations

    def __call__(self, X):
        for augmentation in self.augmentations:
            X = augmentation(X)
        return X
