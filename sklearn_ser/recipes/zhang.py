"""Zhang et al. 2021's segment CNNs (1D on raw audio, AlexNet and a 3D CNN on log-mel segments)
and their score- and feature-level fusions."""
from __future__ import annotations


from ..features import BinStandardScaler, ZhangMelClips, ZhangMelSegments, ZhangRawSegments
from ._presets import NET_CLASS_WEIGHT, ZHANG_MEL_AXES, _named_augment, _net, ser_pipeline
from ._registry import System


# Zhang et al. 2021: mini-batches of 30 segments, learning rate 0.001 (optimiser unnamed: Adam here);
# their 300 epochs become at most 30 with early stopping on held-out speakers.
ZHANG_TRAINING = dict(batch_size=30, lr=1e-3, max_epochs=30, patience=6)
# 1e-3 leaves AlexNet (no batch normalisation) at the class prior and makes the 1D CNN's first
# epoch overshoot; both train at 1e-4 (docs/zhang.md).
ZHANG_LR = {"1d": 1e-4, "2d": 1e-4, "2d-small": 1e-4}

ZHANG_INPUTS = {
    # kind: (representation, scaler, module, module parameters)
    "1d": (ZhangRawSegments, None, "Zhang1DCNN", {}),
    "2d": (ZhangMelSegments, 1, "ZhangAlexNet", {}),
    "2d-small": (ZhangMelSegments, 1, "ZhangAlexNet", dict(input_size=None, n_hidden=1024, pooled=2)),
    "3d": (ZhangMelClips, 1, "Zhang3DCNN", {}),
}


def zhang_cnn(kind="2d-small", pretrained=None, pooling="mean", class_weight=NET_CLASS_WEIGHT, n_jobs=None,
              random_state=0, **net_params):
    """One of Zhang et al. 2021's segment CNNs, trained on segments labelled with their utterance's
    emotion, utterance posteriors by average pooling of the segments'.

    kind : {"1d", "2d", "2d-small", "3d"}
        "1d": 625-sample raw segments at 22.05 kHz scaled to [-256, 256], Table 1's CNN.
        "2d": 3 x 64 x 64 log-mel segments (static, delta, delta-delta) resized to 227 x 227,
        AlexNet (Table 2). "2d-small": the same AlexNet layers on the 64 x 64 segments as they are
        (no resize), FC 1024 (CPU-sized). "3d": clips of 4 segments, Table 3's CNN.
    pretrained : path, optional
        ImageNet AlexNet state dict in torchvision's layout (kinds "2d", "2d-small"): fine-tune it.
    class_weight : "balanced" (default), None or dict
        The classes' weights in the net's loss.
    net_params : the net's parameters over ``ZHANG_TRAINING``; among them ``augment``, off by
        default: a callable, or names (:func:`~sklearn_ser.estimators.make_augmentation`) of
        waveform augmentations for "1d" (``"speed+noise"``, on each 625-sample segment) or of
        spectral ones for the others (``"specaugment"``: masks over the 64 mel bands and the 64
        frames of a segment, shared by its delta channels).
    """
    from .. import nets

    if kind not in ZHANG_INPUTS:
        raise ValueError(f"kind must be one of {sorted(ZHANG_INPUTS)}, got {kind!r}")
    representation, channel_axis, module, module_params = ZHANG_INPUTS[kind]
    if pretrained is not None:
        if module != "ZhangAlexNet":
            raise ValueError(f"pretrained weights are for the AlexNet kinds '2d' and '2d-small', not {kind!r}")
        module_params = {k: v for k, v in module_params.items() if k == "input_size"}  # rest: the checkpoint's
        module_params["pretrained"] = str(pretrained)
    params = {**ZHANG_TRAINING, "lr": ZHANG_LR.get(kind, ZHANG_TRAINING["lr"]),
              **{f"module__{k}": v for k, v in module_params.items()},
              **_named_augment(net_params, "waveform" if kind == "1d" else "spectral", **ZHANG_MEL_AXES)}
    steps = [("features", representation(n_jobs=n_jobs))]
    if channel_axis is not None:  # mel maps: standardise static, delta and delta-delta separately
        steps.append(("scale", BinStandardScaler(axis=channel_axis)))
    steps.append(("net", _net("segments", getattr(nets, module), pooling=pooling, class_weight=class_weight,
                              random_state=random_state, **params)))
    return ser_pipeline(steps)


ZHANG_MEMBERS = ("1d", "2d-small", "3d")


def zhang_fusion(level="score", members=ZHANG_MEMBERS, pretrained=None, member_params=None,
                 class_weight=NET_CLASS_WEIGHT, n_jobs=None, random_state=0, **fusion_params):
    """Zhang et al.'s multi-CNN fusion of the ``members`` (kinds of :func:`zhang_cnn`): ``level=
    "score"`` weights their utterance posteriors on the simplex (grid step 0.1, chosen on 3
    speaker-disjoint inner folds; a mix only if it beats the best member alone by 0.01 UA there),
    ``"feature"`` concatenates their utterance-averaged top FC
    layers for a linear SVM. Members are fitted in parallel with ``n_jobs``. ``member_params``
    (dict) are net settings every member gets, e.g. ``{"max_epochs": 10}``, as is ``class_weight``
    (balanced by default); the other keyword
    arguments go to the fusion classifier (e.g. ``cv``)."""
    from ..ensemble import FeatureFusionClassifier, ScoreFusionClassifier

    estimators = [(kind, zhang_cnn(kind, pretrained=pretrained if kind.startswith("2d") else None,
                                   random_state=random_state,
                                   **{"class_weight": class_weight, **(member_params or {})}))
                  for kind in members]
    if level == "score":
        return ScoreFusionClassifier(estimators, n_jobs=n_jobs, **fusion_params)
    if level == "feature":
        return FeatureFusionClassifier(estimators, n_jobs=n_jobs, **fusion_params)
    raise ValueError(f"level must be 'score' or 'feature', got {level!r}")


SYSTEMS = (
    System("zhang-1d", zhang_cnn, "Zhang 2021: 1D CNN on 625-sample raw segments, average pooling",
           (("kind", "1d"),)),
    System("zhang-2d", zhang_cnn,
           "Zhang 2021: AlexNet on 3x64x64 log-mel segments resized to 227x227 (slow on CPU)",
           (("kind", "2d"),)),
    System("zhang-2d-small", zhang_cnn,
           "Zhang 2021's AlexNet on the 64x64 segments without resize, FC 1024 (CPU-sized)",
           (("kind", "2d-small"),)),
    System("zhang-3d", zhang_cnn, "Zhang 2021: 3D CNN on clips of 4 log-mel segments",
           (("kind", "3d"),)),
    System("zhang-score-fusion", zhang_fusion,
           "Zhang 2021: score-level fusion of zhang-1d, -2d-small, -3d (simplex weights on inner folds)",
           (("level", "score"),)),
    System("zhang-feature-fusion", zhang_fusion,
           "Zhang 2021: feature-level fusion (utterance-averaged top FC layers) + linear SVM",
           (("level", "feature"),)),
)
