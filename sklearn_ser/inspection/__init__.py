"""Looking inside: confusion matrices (more views arrive with the nets)."""
from .confusion import confusion_percent, plot_confusion_matrix

__all__ = ["confusion_percent", "plot_confusion_matrix"]
