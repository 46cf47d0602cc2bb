"""One factory per published system, returning a ready Pipeline from raw audio, and a registry.

Recipes are the only place that knows a paper's whole configuration (DESIGN §2). One module per
paper family (:mod:`.baseline`, :mod:`.functionals`, :mod:`.kim`, :mod:`.zhang`, :mod:`.latif`, :mod:`.wieser`, and :mod:`.fusion` across them), each with its systems in a tuple
``SYSTEMS``; :mod:`._registry` joins them into :data:`SYSTEMS`, and :mod:`._presets` holds the
training presets and the building of a net that the families share.
"""
# the registry first: the family modules import System from it
from ._registry import SYSTEMS, System, get_system, parse_settings, system_settings
from ._presets import TRAINING
from .baseline import baseline
from .functionals import INNER_FOLDS, functionals_svm
from .fusion import CROSS_FAMILY_MEMBERS, cross_family_fusion
from .kim import dnn_elm, kim_1d_cnn_lstm, kim_2d_cnn_lstm, kim_3d_cnn, lstm_elm
from .latif import latif_lstm
from .wieser import WIESER_INPUTS, WIESER_TRAINING, wieser_net
from .zhang import ZHANG_INPUTS, ZHANG_LR, ZHANG_MEMBERS, ZHANG_TRAINING, zhang_cnn, zhang_fusion

__all__ = [
    "CROSS_FAMILY_MEMBERS", "INNER_FOLDS", "SYSTEMS", "System", "TRAINING", "WIESER_INPUTS", "WIESER_TRAINING", "ZHANG_INPUTS", "ZHANG_LR", "ZHANG_MEMBERS", "ZHANG_TRAINING",
    "baseline", "cross_family_fusion", "dnn_elm", "functionals_svm", "get_system", "kim_1d_cnn_lstm", "kim_2d_cnn_lstm", "kim_3d_cnn",
    "latif_lstm", "lstm_elm", "parse_settings", "system_settings", "wieser_net", "zhang_cnn", "zhang_fusion",
]
