"""Per-speaker normalisation (DESIGN §1): statistics of each speaker's own utterances."""
from __future__ import annotations

import warnings

import numpy as np


def standardize_per_speaker(features, speakers):
    """Z-score each speaker's rows with that speaker's own mean and standard deviation.

    This is unsupervised speaker adaptation: it uses a test speaker's features, never labels.
    With ``speakers=None`` every row is treated as one speaker, with a warning. Constant columns
    (and speakers with a single utterance) are centred only.
    """
    features = np.asarray(features, dtype=np.float64)
    if speakers is None:
        warnings.warn(
            "per-speaker standardisation needs a 'speaker' column in X; "
            "standardising the whole batch as if it were one speaker",
            UserWarning,
            stacklevel=3,
        )
        speakers = np.zeros(len(features))
    speakers = np.asarray(speakers)
    out = np.empty_like(features)
    for speaker in np.unique(speakers):
        rows = speakers == speaker
        block = features[rows]
        std = block.std(axis=0)
        out[rows] = (block - block.mean(axis=0)) / np.where(std > 1e-12, std, 1.0)
    return out.astype(np.float32)


def speaker_gain_ranges(waves, speakers):
    """(min, max) sample of each utterance's speaker over all of that speaker's utterances.

    With ``speakers=None`` each utterance is its own speaker, with a warning.
    """
    if speakers is None:
        warnings.warn(
            "per-speaker gain normalisation needs a 'speaker' column in X; normalising each "
            "utterance on its own", UserWarning, stacklevel=3,
        )
        speakers = np.arange(len(waves))
    speakers = np.asarray(speakers)
    lows = np.array([w.min() for w in waves], dtype=np.float64)
    highs = np.array([w.max() for w in waves], dtype=np.float64)
    ranges = [None] * len(waves)
    for speaker in np.unique(speakers):
        rows = np.flatnonzero(speakers == speaker)
        low, high = lows[rows].min(), highs[rows].max()
        for i in rows:
            ranges[i] = (low, high)
    return ranges


def apply_gain_range(y, low, high):
    """Map ``low`` to -1 and ``high`` to +1 (a flat range only shifts)."""
    span = high - low if high > low else 1.0
    scale = 2.0 / span
    out = np.multiply(y, np.float32(scale), dtype=np.float32)
    out -= np.float32(low * scale + 1.0)
    return out


def minmax_gain_per_speaker(waves, speakers):
    """Scale each speaker's audio so that its smallest sample maps to -1 and its largest to +1
    (Kim et al. 2017: "min-max normalisation of gains per speaker"), with one min and max per
    speaker over all of that speaker's utterances in ``waves``.

    With ``speakers=None`` each utterance is its own speaker, with a warning.
    """
    ranges = speaker_gain_ranges(waves, speakers)
    return [apply_gain_range(y, low, high) for y, (low, high) in zip(waves, ranges)]


def standardize_bins_per_speaker(maps, speakers, silence):
    """Z-score each frequency bin (last axis) of every utterance's maps with the mean and deviation
    of that bin over all of its speaker's frames, as per-speaker cepstral mean and variance
    normalisation does for MFCCs: it removes the speaker's spectral envelope and channel, never
    uses labels. Frames whose every bin is ``silence`` (zero-padding) are left out of the
    statistics. ``maps`` is a dense ``(n, ..., n_bins)`` array or a ragged object array of them.
    With ``speakers=None`` all maps are treated as one speaker, with a warning.
    """
    if speakers is None:
        warnings.warn("per-speaker bin normalisation needs a 'speaker' column in X; standardising "
                      "the whole batch as if it were one speaker", UserWarning, stacklevel=3)
        speakers = np.zeros(len(maps))
    speakers = np.asarray(speakers)
    out = np.empty_like(maps) if maps.dtype != object else np.empty(len(maps), dtype=object)
    for speaker in np.unique(speakers):
        rows = np.flatnonzero(speakers == speaker)
        frames = np.concatenate([np.asarray(maps[i]).reshape(-1, maps[i].shape[-1]) for i in rows])
        spoken = frames[(frames > silence).any(axis=1)]
        if len(spoken) == 0:  # only silence: nothing to learn the speaker from
            spoken = frames
        mean = spoken.mean(axis=0, dtype=np.float64).astype(np.float32)
        std = spoken.std(axis=0, dtype=np.float64)
        scale = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        for i in rows:
            out[i] = (maps[i] - mean) / scale
    return out
