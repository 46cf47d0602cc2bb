"""Looking inside: confusion matrices, representations, t-SNE of learned features, autoencoders'
reconstructions, saliency maps and activation maximisation."""
from .activation import activation_summary, maximize_activation, write_activation
from .confusion import confusion_percent, plot_confusion_matrix
from .embedding import plot_embedding, tsne_embedding
from .reconstruction import plot_reconstruction, reconstruction_errors, unfold_segments
from .representation import plot_representation
from .saliency import envelope_correlation, plot_saliency, saliency, saliency_correlation

__all__ = ["confusion_percent", "plot_confusion_matrix", "plot_embedding", "plot_reconstruction",
           "plot_representation", "reconstruction_errors", "tsne_embedding", "unfold_segments",
           # issue 28 (Wieser et al.)
           "activation_summary", "envelope_correlation", "maximize_activation", "plot_saliency", "saliency",
           "saliency_correlation", "write_activation"]
