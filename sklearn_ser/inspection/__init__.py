"""Looking inside: confusion matrices, representations (more views arrive with the nets)."""
from .confusion import confusion_percent, plot_confusion_matrix
from .representation import plot_representation

__all__ = ["confusion_percent", "plot_confusion_matrix", "plot_representation"]
