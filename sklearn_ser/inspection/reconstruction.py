"""What an autoencoder keeps of an utterance: its log-mel beside each autoencoder's reconstruction."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .representation import _image


def unfold_segments(segments, n_mels=80):
    """A stack of flattened back-to-back segments ``(n_segments, frames * n_mels)`` (frames major,
    as :class:`~sklearn_ser.features.LatifLogMelSegments` gives them) as one ``(frames, n_mels)``
    spectrogram."""
    segments = np.asarray(segments, dtype=float)
    if segments.ndim != 2 or segments.shape[1] % n_mels:
        raise ValueError(f"expected (n_segments, frames * {n_mels}) segments, got shape {segments.shape}")
    return segments.reshape(-1, n_mels)


def reconstruction_errors(encoders, segments, y=None):
    """Per encoder, the mean squared error per value of its reconstruction of ``segments``."""
    segments = np.asarray(segments, dtype=np.float32)
    return {name: float(np.mean((_autoencoder(e).reconstruct(segments, y) - segments) ** 2))
            for name, e in dict(encoders).items()}


def plot_reconstruction(encoders, segments, path, n_mels=80, y=None, title=None):
    """Draw one utterance's segments (its log-mel) above each fitted autoencoder's reconstruction
    of them, on one colour scale, each panel titled with its error per value; returns the path.

    encoders : mapping of name -> fitted ``AEEncoder``/``VAEEncoder``/``CVAEEncoder`` (or a fitted
        Pipeline holding one)
    segments : ``(n_segments, frames * n_mels)``, one utterance from ``LatifLogMelSegments``
    y : the utterance's label, for a CVAE to decode under it; None: its label-free condition
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    encoders = dict(encoders)
    segments = np.asarray(segments, dtype=np.float32)
    labels = None if y is None else [y] * len(segments)
    panels = [("input", unfold_segments(segments, n_mels), None)]
    for name, encoder in encoders.items():
        rebuilt = _autoencoder(encoder).reconstruct(segments, labels)
        panels.append((name, unfold_segments(rebuilt, n_mels), float(np.mean((rebuilt - segments) ** 2))))
    low, high = np.percentile(panels[0][1], [1, 99])
    fig = Figure(figsize=(7, 1.8 * len(panels)))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (name, image, error) in zip(axes, panels):
        _image(ax, np.clip(image, low, high), name if error is None else f"{name}: mean squared error {error:.3g} per value")
        ax.set_ylabel("mel band", fontsize=7)
    axes[-1].set_xlabel("frame (10 ms)", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def _autoencoder(estimator):
    """``estimator``, or the step of a Pipeline that reconstructs."""
    if hasattr(estimator, "reconstruct"):
        return estimator
    for _, step in getattr(estimator, "steps", []):
        if hasattr(step, "reconstruct"):
            return step
    raise TypeError(f"{type(estimator).__name__} has no autoencoder to reconstruct with")
