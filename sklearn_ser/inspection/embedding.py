"""t-SNE of learned utterance features, coloured by class (Kim et al. 2017, Figure 3)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.manifold import TSNE


def tsne_embedding(features, perplexity=30.0, random_state=0):
    """2-D t-SNE of ``features`` (n_utterances, d), e.g. ``net.embed(X)`` of a fitted net."""
    features = np.asarray(features, dtype=np.float64)
    perplexity = min(perplexity, max(1.0, (len(features) - 1) / 3))
    return TSNE(n_components=2, perplexity=perplexity, init="pca",
                random_state=random_state).fit_transform(features)


def plot_embedding(features, labels, path, title=None, random_state=0):
    """t-SNE of ``features`` coloured by ``labels``, drawn to a PNG; returns the path."""
    from matplotlib.figure import Figure

    points = tsne_embedding(features, random_state=random_state)
    labels = np.asarray(labels)
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    for label in np.unique(labels):
        mask = labels == label
        ax.scatter(points[mask, 0], points[mask, 1], s=10, label=str(label), alpha=0.8)
    ax.legend(fontsize=8, markerscale=2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "t-SNE of learned features")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
