"""Plain ``torch.nn.Module``s, one file per family; no skorch or sklearn in them (DESIGN §2)."""
from .fftconv import AutoConv, FFTConv
from .kim import (
    CNN1DLSTM, CNN2DLSTM, FrameDNN, Kim3DCNN, Kim3DCNNSteps, SequenceLSTM, count_parameters,
)
from .latif import LatifAE, LatifCVAE, LatifLSTM, LatifVAE, gaussian_kl
from .wieser import WieserCNN, WieserNet
from .zhang import Zhang1DCNN, Zhang3DCNN, ZhangAlexNet

__all__ = ["AutoConv", "CNN1DLSTM", "CNN2DLSTM", "FFTConv", "FrameDNN", "Kim3DCNN", "Kim3DCNNSteps",
           "LatifAE", "LatifCVAE", "LatifLSTM", "LatifVAE", "SequenceLSTM", "WieserCNN", "WieserNet", "Zhang1DCNN", "Zhang3DCNN",
           "ZhangAlexNet", "count_parameters", "gaussian_kl"]
