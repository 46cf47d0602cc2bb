"""Draw one utterance's representation to a PNG, so a person can check shapes and content by eye."""
from __future__ import annotations

from pathlib import Path

import numpy as np

KINDS = ("waveform", "image", "maps", "channels", "clips")
_AUTO = {1: "waveform", 2: "image", 3: "maps", 4: "channels", 5: "clips"}


def _image(ax, data, title):
    ax.imshow(np.asarray(data, dtype=float).T, origin="lower", aspect="auto", cmap="magma",
              interpolation="nearest")
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=6)


def plot_representation(rep, path, kind=None, title=None, max_panels=10):
    """Plot one utterance's representation ``rep`` to ``path`` (PNG); returns the path.

    kind : {"waveform", "image", "maps", "channels", "clips"}, default by ``rep.ndim``
        waveform: a 1-D signal, or rows of signal segments (raw windows) one panel each;
        image: frames x features (time on x); maps: a stack of images (Kim's L maps, MFCC windows);
        channels: segments x channels (Zhang's static / delta / delta-delta);
        clips: the first clip, channels x depth (Zhang's 3D input).
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    rep = np.asarray(rep)
    kind = kind or _AUTO.get(rep.ndim)
    if kind not in KINDS:
        raise ValueError(f"cannot draw a {rep.ndim}-D representation without kind in {KINDS}")
    if kind == "waveform":
        rows = rep[None] if rep.ndim == 1 else rep[:max_panels]
        fig = Figure(figsize=(8, 1.2 + 1.0 * len(rows)))
        for i, row in enumerate(rows):
            ax = fig.add_subplot(len(rows), 1, i + 1)
            ax.plot(np.arange(len(row)), row, lw=0.5)
            ax.set_title(f"segment {i}: {len(row)} samples" if rep.ndim > 1 else f"{len(row)} samples",
                         fontsize=8)
            ax.tick_params(labelsize=6)
    elif kind == "image":
        fig = Figure(figsize=(8, 3))
        _image(fig.add_subplot(), rep, f"{rep.shape[0]} frames x {rep.shape[1]} features")
    elif kind == "maps":
        n = min(len(rep), max_panels)
        fig = Figure(figsize=(1.6 * n + 1, 3))
        for i in range(n):
            _image(fig.add_subplot(1, n, i + 1), rep[i], f"{i}: {rep[i].shape[0]}x{rep[i].shape[1]}")
    elif kind == "channels":
        n = min(len(rep), max_panels)
        fig = Figure(figsize=(1.8 * rep.shape[1] + 1, 1.6 * n + 1))
        names = ["static", "delta", "delta-delta"] if rep.shape[1] == 3 else None
        for i in range(n):
            for c in range(rep.shape[1]):
                label = names[c] if names else f"ch {c}"
                _image(fig.add_subplot(n, rep.shape[1], i * rep.shape[1] + c + 1), rep[i, c].T,
                       f"seg {i} {label}")
    else:  # clips: first clip, (channels, depth, H, W)
        clip = rep[0]
        fig = Figure(figsize=(1.8 * clip.shape[1] + 1, 1.6 * clip.shape[0] + 1))
        for c in range(clip.shape[0]):
            for d in range(clip.shape[1]):
                _image(fig.add_subplot(clip.shape[0], clip.shape[1], c * clip.shape[1] + d + 1),
                       clip[c, d].T, f"ch {c}, segment {d}")
    fig.suptitle(title or f"shape {rep.shape}", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
