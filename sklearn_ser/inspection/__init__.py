"""Looking inside: confusion matrices, representations, t-SNE of learned features."""
from .confusion import confusion_percent, plot_confusion_matrix
from .embedding import plot_embedding, tsne_embedding
from .representation import plot_representation

__all__ = ["confusion_percent", "plot_confusion_matrix", "plot_embedding", "plot_representation",
           "tsne_embedding"]
