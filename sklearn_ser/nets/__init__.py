"""Plain ``torch.nn.Module``s, one file per family; no skorch or sklearn in them (DESIGN §2)."""
from .kim import (
    CNN1DLSTM, CNN2DLSTM, FrameDNN, Kim3DCNN, Kim3DCNNSteps, SequenceLSTM, count_parameters,
)

__all__ = ["CNN1DLSTM", "CNN2DLSTM", "FrameDNN", "Kim3DCNN", "Kim3DCNNSteps", "SequenceLSTM",
           "count_parameters"]
