"""SpecAugment-style masking of spectral training batches (Park et al. 2019): a few bands of
frequency and of time per sample set to the sample's mean (or zero)."""
from __future__ import annotations

import numbers

import torch

from .augment import BatchAugmentation

MASK_VALUES = ("mean", "zero")


def band_mask(n_samples, length, n_bands, max_width, device=None):
    """``(n_samples, length)`` booleans: per sample the union of ``n_bands`` bands, each of a width
    drawn uniformly from ``0 .. max_width`` and a start drawn uniformly where the band fits (Park
    et al.'s ``f ~ U[0, F]``, ``f0 ~ U[0, v - f)``), from torch's global CPU generator.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators.augment_masking import band_mask
    >>> _ = torch.manual_seed(0)
    >>> band_mask(2, 10, 1, 3).int()
    tensor([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0, 0, 0, 0, 0, 0]], dtype=torch.int32)
    """
    max_width = min(max_width, length)
    width = (torch.rand(n_samples, n_bands) * (max_width + 1)).long().clamp(max=max_width)
    start = (torch.rand(n_samples, n_bands) * (length - width + 1)).long()
    position = torch.arange(length)
    inside = (position >= start[..., None]) & (position < (start + width)[..., None])
    return inside.any(dim=1).to(device)


def _axes(axis, name):
    axes = (axis,) if isinstance(axis, numbers.Integral) and not isinstance(axis, bool) else tuple(axis)
    if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) or a >= 0 for a in axes):
        raise ValueError(f"{name} must be a negative axis (counted from the end, so it holds for any "
                         f"batch layout) or a tuple of them, got {axis!r}")
    if list(axes) != list(range(axes[0], axes[0] + len(axes))):
        raise ValueError(f"{name} {axis!r}: several axes must be adjacent and in order (they are "
                         "read as one axis, the first the slowest)")
    return tuple(int(a) for a in axes)


def _check_width(width, name):
    if isinstance(width, bool) or not isinstance(width, numbers.Real):
        raise TypeError(f"{name} must be an int (bins or frames) or a float share of the axis, got {width!r}")
    if isinstance(width, numbers.Integral) and width < 0:
        raise ValueError(f"{name} must be at least 0, got {width!r}")
    if not isinstance(width, numbers.Integral) and not 0 <= width <= 1:
        raise ValueError(f"{name} as a share of the axis must be in [0, 1], got {width!r}")


class SpecAugment(BatchAugmentation):
    """SpecAugment-style masking (Park et al. 2019) of spectral training batches: per sample,
    ``n_freq_masks`` bands of frequency and ``n_time_masks`` bands of time, each of a width drawn
    from ``0 .. max_*_width``, set to the sample's mean (``value="mean"``, zero after the recipes'
    standardisation) or to zero. Every other axis (channels such as Zhang's deltas, Kim's steps
    when time is one axis) shares the sample's masks. No time warping.

    Parameters
    ----------
    n_freq_masks, n_time_masks : int, default=2, 2
        Park et al.'s LibriSpeech double policy has two of each.
    max_freq_width, max_time_width : int or float, default=0.15, 0.1
        An int is bins or frames; a float is a share of the axis (rounded down): 0.15 is 9 of
        Zhang's 64 mel bands and 38 of Kim's 256 bins, 0.1 is 6 of a Zhang segment's 64 frames
        and 10 of a Kim volume's 100.
    freq_axis : negative int, default=-2
        Counted from the end: -2 fits :class:`~sklearn_ser.features.ZhangMelSegments` and
        :class:`~sklearn_ser.features.ZhangMelClips` (``(..., n_mels, frames)``); Kim's volumes
        (``(..., L, T, bins)``) take -1.
    time_axis : negative int or tuple of them, default=-1
        Several adjacent axes are one time axis read in order: Kim's ``(-3, -2)`` is its L steps
        of T frames, 100 frames in all.
    value : {"mean", "zero"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.estimators import SpecAugment
    >>> _ = torch.manual_seed(0)
    >>> masked = SpecAugment(n_freq_masks=1, max_freq_width=8, n_time_masks=0, value="zero")(
    ...     torch.ones(5, 3, 64, 64))
    >>> bool((masked == 0).all(dim=(1, 3)).sum(dim=1).le(8).all())  # at most 8 bands of each sample
    True
    """

    def __init__(self, n_freq_masks=2, max_freq_width=0.15, n_time_masks=2, max_time_width=0.1,
                 freq_axis=-2, time_axis=-1, value="mean"):
        for name, n in (("n_freq_masks", n_freq_masks), ("n_time_masks", n_time_masks)):
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
                raise ValueError(f"{name} must be an int of at least 0, got {n!r}")
        _check_width(max_freq_width, "max_freq_width")
        _check_width(max_time_width, "max_time_width")
        freq, time = _axes(freq_axis, "freq_axis"), _axes(time_axis, "time_axis")
        if len(freq) != 1:
            raise ValueError(f"freq_axis must be one axis, got {freq_axis!r}")
        if set(freq) & set(time):
            raise ValueError(f"freq_axis {freq_axis!r} and time_axis {time_axis!r} overlap")
        if value not in MASK_VALUES:
            raise ValueError(f"value must be one of {MASK_VALUES}, got {value!r}")
        self.n_freq_masks = n_freq_masks
        self.max_freq_width = max_freq_width
        self.n_time_masks = n_time_masks
        self.max_time_width = max_time_width
        self.freq_axis = freq_axis
        self.time_axis = time_axis
        self.value = value

    def _mask(self, shape, axes, n_masks, max_width, device):
        """The masks of ``axes`` (adjacent), shaped to broadcast over a batch of ``shape``."""
        length = 1
        for a in axes:
            length *= shape[a]
        width = max_width if isinstance(max_width, numbers.Integral) else int(max_width * length)
        mask = band_mask(shape[0], length, n_masks, width, device)
        ndim = len(shape)
        return mask.reshape([shape[0]] + [shape[d] if d - ndim in axes else 1 for d in range(1, ndim)])

    def __call__(self, X):
        time = _axes(self.time_axis, "time_axis")
        if X.ndim - 1 < max(-self.freq_axis, *(-a for a in time)):
            raise ValueError(f"SpecAugment with freq_axis={self.freq_axis} and time_axis={self.time_axis} "
                             f"needs more axes than a batch of shape {tuple(X.shape)} has")
        masked = (self._mask(X.shape, (self.freq_axis,), self.n_freq_masks, self.max_freq_width, X.device)
                  | self._mask(X.shape, time, self.n_time_masks, self.max_time_width, X.device))
        if self.value == "zero":
            fill = torch.zeros((), dtype=X.dtype, device=X.device)
        else:
            fill = X.reshape(len(X), -1).mean(dim=1).reshape([len(X)] + [1] * (X.ndim - 1))
        return torch.where(masked, fill, X)
