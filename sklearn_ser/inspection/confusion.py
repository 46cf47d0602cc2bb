"""Confusion-matrix figures."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def confusion_percent(confusion):
    """Row-normalised confusion matrix in percent (each true class sums to 100), as Kim et al. Table 5."""
    counts = confusion.to_numpy(dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    return confusion.__class__(100 * np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0),
                               index=confusion.index, columns=confusion.columns)


def plot_confusion_matrix(confusion, path, title=None):
    """Draw a confusion matrix (DataFrame of counts, true classes as rows) in percent to a PNG."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    percent = confusion_percent(confusion)
    labels = [str(label) for label in confusion.index]
    size = 1.2 + 0.7 * len(labels)
    fig = Figure(figsize=(size + 1.5, size))
    ax = fig.add_subplot()
    image = ax.imshow(percent.to_numpy(), cmap="Blues", vmin=0, vmax=100)
    for i in range(len(labels)):
        for j in range(len(labels)):
            value = percent.iat[i, j]
            ax.text(j, i, f"{value:.0f}", ha="center", va="center",
                    color="white" if value > 55 else "black", fontsize=9)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, label="% of true class")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
