"""Wieser et al. 2020's networks with one head per target: ELoR (raw audio), LoM (MFCCs), FTR
(handcrafted functionals) and ELoR + FTR, each trained as the paper's Tables 1-4 say."""
from __future__ import annotations

from ..features import BinStandardScaler, WieserMFCCWindows, WieserRawWindows, WieserWindowFunctionals
from ._presets import NET_CLASS_WEIGHT, _check_net_params, _check_no_augment_names, _named_augment, ser_pipeline
from ._registry import System

#: Tables 1-4: SGD with Nesterov momentum, the learning rate decayed by ``decay`` every epoch, an
#: L2 penalty on all weights
WIESER_TRAINING = {
    "elor": dict(batch_size=15, lr=0.006, max_epochs=9, decay=0.9, momentum=0.65, l2=1e-9),
    "lom": dict(batch_size=5, lr=0.08, max_epochs=14, decay=0.75, momentum=0.7, l2=1e-3),
    "ftr": dict(batch_size=30, lr=4e-5, max_epochs=16, decay=0.99, momentum=0.65, l2=3.4e-8),
    "elor-ftr": dict(batch_size=15, lr=0.005, max_epochs=6, decay=0.9, momentum=0.65, l2=1e-9),
}

WIESER_INPUTS = {
    # kind: (representation, its parameters, the module's kind, module parameters)
    "elor": (WieserRawWindows, {}, "raw", {}),
    # 599 MFCC frames: shorter kernels and pools than the raw CNN's (the paper's are in Fig. 3a only)
    "lom": (WieserMFCCWindows, {}, "mfcc", dict(kernels=(9, 5, 3), pools=(3, 3, 3))),
    "ftr": (WieserWindowFunctionals, {}, "functionals", {}),
    "elor-ftr": (WieserWindowFunctionals, dict(with_audio=True), "raw+functionals", {}),
}


def wieser_net(kind="elor", head_updates="alternate", conv="torch", functionals=None, patience=5, pooling="mean",
               class_weight=NET_CLASS_WEIGHT, n_jobs=None, random_state=0, **net_params):
    """One of Wieser et al. 2020's networks: 6 s windows of an utterance (a longer one sliced, its
    last slice only if over 3 s) through a CNN and/or handcrafted functionals, one MLP head per
    target (two sigmoid layers with dropout); an utterance's posteriors are the mean of its
    windows'.

    ``fit(X, Y)`` with ``Y`` of shape ``(n_utterances, n_targets)`` trains one head per column
    (valence and arousal in the paper); a 1-D y (e.g. the categories) trains one head.

    kind : {"elor", "lom", "ftr", "elor-ftr"}
        "elor": raw audio at 16 kHz in [-1, 1], 96 000 samples a window, three conv/max-pool/ReLU/
        batch-norm blocks (Table 1's training). "lom": the 26 MFCCs of each window as channels,
        standardised per coefficient (Table 2). "ftr": the library's 384 LLD functionals of each
        window's audio (Table 3). "elor-ftr": both, concatenated before the heads (Table 4).
    head_updates : {"alternate", "joint"}
        The paper's one-head-after-the-other updates on each batch, or one step on the summed losses.
    functionals : None or str
        FTR's and ELoR + FTR's functionals: None for the library's 384, or an openSMILE set through
        the ``opensmile`` extra, "IS10" for the paper's own 1582 (see
        :class:`~sklearn_ser.features.WieserWindowFunctionals`).
    conv : {"torch", "fft", "auto"}
        The CNN's convolutions (``benchmarks/netspeed.py`` measures them; at these shapes PyTorch's
        own is faster on this machine's CPU than the FFT).
    patience : int
        Early stopping on held-out training speakers, within the table's epochs.
    class_weight : "balanced" (default), None or dict
        The classes' weights in each head's loss (each head's own classes when balanced).
    net_params : the net's (``max_epochs``, ``module__hidden``, ...), over the table's. Among them
        ``augment``, off by default: a callable, or for "elor" names of waveform augmentations
        (``"speed+noise"``, :func:`~sklearn_ser.estimators.make_augmentation`) applied to each
        6 s window.
    """
    from torch.optim import SGD
    from torch.optim.lr_scheduler import ExponentialLR
    from skorch.callbacks import LRScheduler

    from ..estimators import MultiHeadNetClassifier
    from ..nets import WieserNet

    if kind not in WIESER_INPUTS:
        raise ValueError(f"kind must be one of {sorted(WIESER_INPUTS)}, got {kind!r}")
    representation, rep_params, module_kind, module_params = WIESER_INPUTS[kind]
    if representation is WieserWindowFunctionals:
        rep_params = dict(rep_params, feature_set=functionals)
        if module_kind == "raw+functionals":  # where the audio ends and the functionals begin
            module_params = dict(module_params, n_functionals=representation(**rep_params).n_functionals())
    elif functionals is not None:
        raise ValueError(f"functionals is for kind 'ftr' or 'elor-ftr', not {kind!r}")
    if kind == "elor":
        net_params = _named_augment(net_params, "waveform")
    _check_no_augment_names(net_params, f"kind {kind!r} is not raw audio alone (names are for 'elor')")
    table = dict(WIESER_TRAINING[kind])
    decay, momentum, l2 = table.pop("decay"), table.pop("momentum"), table.pop("l2")
    params = {
        **table, "optimizer": SGD, "optimizer__momentum": momentum, "optimizer__nesterov": True,
        # the gradient of the loss's l2 * ||w||^2 is 2 * l2 * w: SGD's weight decay
        "optimizer__weight_decay": 2 * l2,
        "callbacks": [("lr_decay", LRScheduler(policy=ExponentialLR, gamma=decay))],
        "module__kind": module_kind, **{f"module__{k}": v for k, v in module_params.items()},
        **({"module__conv": conv} if module_kind != "functionals" else {}),
        **net_params,
    }
    steps = [("features", representation(n_jobs=n_jobs, **rep_params))]
    if kind == "lom":  # MFCCs span orders of magnitude between coefficients
        steps.append(("scale", BinStandardScaler(axis=1)))
    _check_net_params(MultiHeadNetClassifier, WieserNet, params)
    net = MultiHeadNetClassifier(WieserNet, head_updates=head_updates, patience=patience, pooling=pooling,
                                 class_weight=class_weight, random_state=random_state, **{"verbose": 0, **params})
    steps.append(("net", net))
    return ser_pipeline(steps)


SYSTEMS = (
    System("wieser-elor", wieser_net, "Wieser 2020: 1D CNN on 6 s of raw audio, a head per target (ELoR)",
           (("kind", "elor"),)),
    System("wieser-lom", wieser_net, "Wieser 2020: 1D CNN on 26 MFCC channels of 6 s windows (LoM)",
           (("kind", "lom"),)),
    System("wieser-ftr", wieser_net, "Wieser 2020: MLP heads on 384 LLD functionals of 6 s windows (FTR)",
           (("kind", "ftr"),)),
    System("wieser-elor-ftr", wieser_net,
           "Wieser 2020: ELoR's CNN features and the functionals side by side before the heads (ELoR + FTR)",
           (("kind", "elor-ftr"),)),
)
