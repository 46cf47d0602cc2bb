"""One factory per published system, returning a ready Pipeline from raw audio, and a registry.

Recipes are the only place that knows a paper's whole configuration (DESIGN §2).
"""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from typing import Callable

from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .features import (
    BinStandardScaler, FrameWindows, KimSpectrogramVolumes, LLDContextFrames, LLDFunctionals,
    RawSubsequences, ZhangMelClips, ZhangMelSegments, ZhangRawSegments,
)


def baseline(speaker_norm=False, C=1.0, classifier=None, n_jobs=None, random_state=0):
    """Handcrafted baseline: 32 LLDs -> 12 functionals each (384) -> standardisation -> classifier.

    Parameters
    ----------
    speaker_norm : bool, default=False
        Standardise features per speaker (``speaker`` column of X) before the global scaler.
    C : float, default=1.0
        The default classifier's SVM regularisation. ``GridSearchCV`` reaches it in a built
        pipeline as ``classifier__estimator__C`` (the SVC inside ``CalibratedClassifierCV``).
    classifier : sklearn classifier, default=RBF SVC (``C``, balanced class weights) with
        Platt-scaled probabilities (``CalibratedClassifierCV(..., ensemble=False)``)
    n_jobs : int, default=None
        Parallel feature extraction.
    random_state : int, default=0
        Passed to the SVC.
    """
    if classifier is None:
        classifier = CalibratedClassifierCV(
            SVC(C=C, class_weight="balanced", random_state=random_state),
            method="sigmoid", ensemble=False,
        )
    return Pipeline([
        ("features", LLDFunctionals(speaker_norm=speaker_norm, n_jobs=n_jobs)),
        ("scale", StandardScaler()),
        ("classifier", classifier),
    ])


def _net(cls, module, **params):
    # torch only when a net is built
    from .estimators import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier

    wrapper = {"steps": SERStepNetClassifier, "segments": SegmentNetClassifier}.get(cls, SERNetClassifier)
    _check_net_params(wrapper, module, params)
    return wrapper(module, **{"verbose": 0, **params})


def _named_parameters(callable_):
    return {name for name, p in inspect.signature(callable_).parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _check_net_params(wrapper, module, params):
    """Refuse a setting that neither the net nor its module takes. skorch checks only when the
    net is initialised, at fit, after the features have been extracted."""
    takes = set().union(*(_named_parameters(cls) for cls in wrapper.__mro__ if "__init__" in vars(cls)))
    prefixes = {"module", "criterion", "optimizer", *wrapper.prefixes_}
    module_kwargs = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(module).parameters.values())
    for key in params:
        prefix, nested, rest = key.partition("__")
        if not nested and key not in takes:
            raise TypeError(f"unknown setting {key!r}: {wrapper.__name__} does not take it")
        if nested and prefix not in prefixes:
            raise TypeError(f"unknown setting {key!r}: {prefix!r} is not a part of {wrapper.__name__} "
                            f"(parts: {', '.join(sorted(prefixes))})")
        if prefix == "module" and not module_kwargs and rest not in _named_parameters(module):
            raise TypeError(f"unknown setting {key!r}: {module.__name__} takes no {rest!r}")


# Kim et al.'s common set-up was fitted to 15k utterances of 7 corpora. On one small corpus (EmoDB's
# ~400 training utterances make 3 updates an epoch at batch 128) the 3D CNN at lr 3e-3 collapses to
# the class prior in the first epoch and never leaves it; smaller batches, a smaller step and batch
# normalisation after each 3D convolution make it learn, and it is still improving at 20 epochs on
# most folds, so it gets 40 (benchmarks/kim-emodb.md).
TRAINING = {
    "paper": dict(batch_size=128, lr=3e-3, max_epochs=20, patience=5),
    "small-corpus": dict(batch_size=32, lr=1e-3, max_epochs=40, patience=8),
}


def _training(training):
    if training not in TRAINING:
        raise ValueError(f"training must be one of {sorted(TRAINING)}, got {training!r}")
    return dict(TRAINING[training])


def _frame_training(training):
    # frame-level nets see ~100 samples an utterance: batches stay large, the step follows `training`
    return {**_training(training), "batch_size": 256}


def _augment(frequency_warp):
    from .estimators import FrequencyWarp

    return {} if not frequency_warp else {"augment": FrequencyWarp(max_warp=frequency_warp)}


def dnn_elm(context=5, training="small-corpus", n_jobs=None, random_state=0, **net_params):
    """DNN-ELM (Han et al. 2014), Kim et al.'s baseline: 3 x FC 256 on each 10 ms frame of the 32
    LLDs with a 5-frame context, frame posteriors -> utterance functionals -> ELM. ``training`` as
    :func:`kim_3d_cnn`'s, with batches of 256 frames."""
    from .ensemble import FunctionalsELM
    from .nets import FrameDNN

    params = dict(random_state=random_state, **{**_frame_training(training), **net_params})
    return Pipeline([
        ("features", LLDContextFrames(context=context, n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", FunctionalsELM(_net("segments", FrameDNN, **params), random_state=random_state)),
    ])


def lstm_elm(window=100, hop=50, training="small-corpus", n_jobs=None, random_state=0, **net_params):
    """LSTM-ELM (Lee & Tashev 2015), Kim et al.'s baseline: 2 x LSTM 128 over the 32 LLDs, trained
    on 1 s windows (``window`` frames every ``hop``) with a posterior per frame, then utterance
    functionals -> ELM. ``training`` as :func:`kim_3d_cnn`'s."""
    from .ensemble import FunctionalsELM
    from .nets import SequenceLSTM

    params = dict(random_state=random_state, **{**_training(training), **net_params})
    return Pipeline([
        ("features", LLDContextFrames(context=1, n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("windows", FrameWindows(length=window, hop=hop)),
        ("net", FunctionalsELM(_net("segments", SequenceLSTM, **params), random_state=random_state)),
    ])


def kim_3d_cnn(kernel=(2, 2, 128), elm=False, training="small-corpus", segment_hop_s=None,
               speaker_norm=False, frequency_warp=None, n_jobs=None, random_state=0, **net_params):
    """Kim et al. 2017: 3D-CNN-DNN (``elm=False``) or 3D-CNN-DNN-ELM (``elm=True``) on per-speaker
    gain-normalised 10 x 10 x 256 log-spectrogram volumes, standardised per frequency bin.
    Paper: 3 layers of 4 kernels, at most 20 epochs with early stopping on held-out speakers; the
    best kernels were 2x2x128 (DNN) and 2x2x32 (DNN-ELM). ``training="paper"`` is their Adam 3e-3,
    batch 128, 20 epochs, no normalisation; ``"small-corpus"`` (default) is Adam 1e-3, batch 32, up
    to 40 epochs and batch normalisation after each convolution, which single corpora need (see
    ``TRAINING``). ``segment_hop_s=None`` keeps each utterance's first 2 s (the paper); a hop in
    seconds cuts the whole utterance into 2 s volumes every hop, trains on all of them and averages
    their posteriors per utterance (the ELM's functionals run over the steps of all volumes).
    ``speaker_norm=True`` z-scores each frequency bin per speaker (see
    :class:`~sklearn_ser.features.KimSpectrogramVolumes`). ``frequency_warp`` (e.g. 0.1) warps each
    training volume's spectra by a random factor within 1 ± it (VTLP,
    :class:`~sklearn_ser.estimators.FrequencyWarp`)."""
    from .ensemble import FunctionalsELM
    from .nets import Kim3DCNN, Kim3DCNNSteps

    params = dict(module__kernel=tuple(kernel), module__batch_norm=training != "paper",
                  random_state=random_state, **_augment(frequency_warp),
                  **{**_training(training), **net_params})
    wrapper = "segments" if segment_hop_s is not None else ("steps" if elm else "utterance")
    head = (FunctionalsELM(_net(wrapper, Kim3DCNNSteps, **params), random_state=random_state)
            if elm else _net(wrapper, Kim3DCNN, **params))
    return Pipeline([
        ("features", KimSpectrogramVolumes(segment_hop_s=segment_hop_s, speaker_norm=speaker_norm,
                                           n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", head),
    ])


def kim_2d_cnn_lstm(kernel=(2, 2), dnn=False, training="small-corpus", n_jobs=None, random_state=0,
                    **net_params):
    """2D-CNN-LSTM (``dnn=False``) or 2D-CNN-LSTM-DNN baseline of Kim et al. 2017 on the same maps,
    with the same ``training`` set-up as :func:`kim_3d_cnn` (no batch normalisation)."""
    from .nets import CNN2DLSTM

    return Pipeline([
        ("features", KimSpectrogramVolumes(n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", _net("utterance", CNN2DLSTM, module__kernel=tuple(kernel), module__dnn=dnn,
                     random_state=random_state, **{**_training(training), **net_params})),
    ])


def kim_1d_cnn_lstm(n_cells=128, training="small-corpus", n_jobs=None, random_state=0, **net_params):
    """1D-CNN-LSTM baseline (Trigeorgis et al.) of Kim et al. 2017 on 2 s of raw waveform, with the
    same ``training`` set-up as :func:`kim_3d_cnn`."""
    from .nets import CNN1DLSTM

    return Pipeline([
        ("features", RawSubsequences(n_jobs=n_jobs)),
        ("scale", BinStandardScaler(per_bin=False)),
        ("net", _net("utterance", CNN1DLSTM, module__n_cells=n_cells, random_state=random_state,
                     **{**_training(training), **net_params})),
    ])


# Zhang et al. 2021: mini-batches of 30 segments, learning rate 0.001 (optimiser unnamed: Adam here);
# their 300 epochs become at most 30 with early stopping on held-out speakers.
ZHANG_TRAINING = dict(batch_size=30, lr=1e-3, max_epochs=30, patience=6)
# AlexNet has no batch normalisation: with Adam at 1e-3 it stays at the class prior (EmoDB, speaker
# 03 held out: training loss 1.915 after 6 epochs, ln 7 = 1.946); at 1e-4 it learns (1.36).
# The 1D CNN's first epoch at 1e-3 overshoots (synthetic corpus: loss 6.8, then the prior; EmoDB
# speaker 03: UA 0.257, best epoch 4); at 1e-4 it trains smoothly (EmoDB speaker 03: UA 0.361).
ZHANG_LR = {"1d": 1e-4, "2d": 1e-4, "2d-small": 1e-4}

ZHANG_INPUTS = {
    # kind: (representation, scaler, module, module parameters)
    "1d": (ZhangRawSegments, None, "Zhang1DCNN", {}),
    "2d": (ZhangMelSegments, 1, "ZhangAlexNet", {}),
    "2d-small": (ZhangMelSegments, 1, "ZhangAlexNet", dict(input_size=None, n_hidden=1024, pooled=2)),
    "3d": (ZhangMelClips, 1, "Zhang3DCNN", {}),
}


def zhang_cnn(kind="2d-small", pretrained=None, pooling="mean", n_jobs=None, random_state=0,
              **net_params):
    """One of Zhang et al. 2021's segment CNNs, trained on segments labelled with their utterance's
    emotion, utterance posteriors by average pooling of the segments'.

    kind : {"1d", "2d", "2d-small", "3d"}
        "1d": 625-sample raw segments at 22.05 kHz scaled to [-256, 256], Table 1's CNN.
        "2d": 3 x 64 x 64 log-mel segments (static, delta, delta-delta) resized to 227 x 227,
        AlexNet (Table 2). "2d-small": the same AlexNet layers on the 64 x 64 segments as they are
        (no resize), FC 1024 (CPU-sized). "3d": clips of 4 segments, Table 3's CNN.
    pretrained : path, optional
        ImageNet AlexNet state dict in torchvision's layout (kinds "2d", "2d-small"): fine-tune it.
    """
    from . import nets

    if kind not in ZHANG_INPUTS:
        raise ValueError(f"kind must be one of {sorted(ZHANG_INPUTS)}, got {kind!r}")
    representation, channel_axis, module, module_params = ZHANG_INPUTS[kind]
    if pretrained is not None:
        if module != "ZhangAlexNet":
            raise ValueError(f"pretrained weights are for the AlexNet kinds '2d' and '2d-small', not {kind!r}")
        module_params = {k: v for k, v in module_params.items() if k == "input_size"}  # rest: the checkpoint's
        module_params["pretrained"] = str(pretrained)
    params = {**ZHANG_TRAINING, "lr": ZHANG_LR.get(kind, ZHANG_TRAINING["lr"]),
              **{f"module__{k}": v for k, v in module_params.items()}, **net_params}
    steps = [("features", representation(n_jobs=n_jobs))]
    if channel_axis is not None:  # mel maps: standardise static, delta and delta-delta separately
        steps.append(("scale", BinStandardScaler(axis=channel_axis)))
    steps.append(("net", _net("segments", getattr(nets, module), pooling=pooling,
                              random_state=random_state, **params)))
    return Pipeline(steps)


ZHANG_MEMBERS = ("1d", "2d-small", "3d")


def zhang_fusion(level="score", members=ZHANG_MEMBERS, pretrained=None, member_params=None, n_jobs=None,
                 random_state=0, **fusion_params):
    """Zhang et al.'s multi-CNN fusion of the ``members`` (kinds of :func:`zhang_cnn`): ``level=
    "score"`` weights their utterance posteriors on the simplex (grid step 0.1, chosen on 3
    speaker-disjoint inner folds; a mix only if it beats the best member alone by 0.01 UA there),
    ``"feature"`` concatenates their utterance-averaged top FC
    layers for a linear SVM. Members are fitted in parallel with ``n_jobs``. ``member_params``
    (dict) are net settings every member gets, e.g. ``{"max_epochs": 10}``; the other keyword
    arguments go to the fusion classifier (e.g. ``cv``)."""
    from .ensemble import FeatureFusionClassifier, ScoreFusionClassifier

    estimators = [(kind, zhang_cnn(kind, pretrained=pretrained if kind.startswith("2d") else None,
                                   random_state=random_state, **(member_params or {})))
                  for kind in members]
    if level == "score":
        return ScoreFusionClassifier(estimators, n_jobs=n_jobs, **fusion_params)
    if level == "feature":
        return FeatureFusionClassifier(estimators, n_jobs=n_jobs, **fusion_params)
    raise ValueError(f"level must be 'score' or 'feature', got {level!r}")


# What the 3D nets needed to transfer across EmoDB's speakers (benchmarks/kim-emodb.md):
# each frequency bin z-scored per speaker, every 2 s volume of the utterance and the 2x2x32 kernels
# (0.522 against 0.482 for 2x2x128, both with dropout 0.2). FC dropout stays the paper's 0.5 where
# two seeds favour it (the DNN: 0.554 and 0.539 against 0.522 and 0.484 with 0.2). Both refit on
# all nine training speakers after early stopping (three seeds each, mean pooled UA: DNN 0.552
# against 0.535 without, ELM 0.607 against 0.570; neither gain significant over the 30 fold pairs,
# p = 0.452 and 0.289, but no seed got worse by more than 0.006). Two more DNN seeds (0.504, 0.540)
# put its five-seed mean at 0.540.
# Averaging its early-stopped and refitted nets (refit="average") scored 0.585, 0.514, 0.553 (seeds
# 0-2, on a second machine where a seed is not the same fit) and 0.564 (seed 4): mean 0.554, no narrower,
# and four paired seeds (refit_members.py, seeds 3-6) put it level with the refitted net alone
# (pooled mean 0.547 against 0.535, 40 fold pairs p = 0.914): not adopted, for twice the inference.
# The DNN also warps its training spectra (VTLP, frequency_warp=0.1): four paired seeds (3-6, one
# machine) score 0.560, 0.554, 0.562, 0.583 against 0.531, 0.533, 0.501, 0.577 unwarped, higher on
# every seed but not significantly over the 40 fold pairs (+0.015, p = 0.393). Warping is meant for
# what EmoDB's folds test least, speakers unlike the training ones.
_SPEAKER_NORMALISED = (("speaker_norm", True), ("segment_hop_s", 1.0), ("kernel", (2, 2, 32)),
                       ("refit", True))


@dataclass(frozen=True)
class System:
    name: str
    factory: Callable[..., Pipeline]
    description: str
    kwargs: tuple = ()

    def build(self, **overrides):
        return self.factory(**self.settings(**overrides))

    def settings(self, **overrides):
        """The factory's keyword arguments once the system's and ``overrides`` are applied: what a
        run of this system with these overrides actually built."""
        parameters = inspect.signature(self.factory).parameters
        defaults = {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}
        takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
        unknown = sorted(set(overrides) - set(defaults))
        if unknown and not takes_any:
            raise TypeError(f"unknown setting {unknown[0]!r} for system {self.name!r}; "
                            f"its settings: {', '.join(defaults)}")
        return {**defaults, **dict(self.kwargs), **overrides}


SYSTEMS = {
    s.name: s
    for s in [
        System("baseline", baseline,
               "32 LLDs (F0, voicing, ZCR, MFCC 1-12, RMS + deltas) -> 384 functionals -> RBF SVM"),
        System("baseline-spknorm", baseline,
               "baseline with per-speaker feature standardisation", (("speaker_norm", True),)),
        System("kim-3d-cnn-dnn", kim_3d_cnn,
               "Kim 2017: 3D CNN (3 x 4 kernels 2x2x128) + 2 FC 512 on 10x10x256 log-spectrogram volumes"),
        System("kim-3d-cnn-dnn-paper", kim_3d_cnn,
               "kim-3d-cnn-dnn with the paper's training exactly (Adam 3e-3, batch 128, no batch norm)",
               (("training", "paper"),)),
        System("kim-3d-cnn-dnn-elm", kim_3d_cnn,
               "Kim 2017: 3D CNN (2x2x32), FC series per step, posterior functionals -> ELM",
               (("kernel", (2, 2, 32)), ("elm", True))),
        System("kim-3d-cnn-dnn-spknorm", kim_3d_cnn,
               "kim-3d-cnn-dnn on per-speaker z-scored spectrograms of whole utterances, 2x2x32, "
               "refit on every training speaker, training spectra frequency-warped (VTLP 0.1)",
               _SPEAKER_NORMALISED + (("frequency_warp", 0.1),)),
        System("kim-3d-cnn-dnn-elm-spknorm", kim_3d_cnn,
               "kim-3d-cnn-dnn-elm on per-speaker z-scored spectrograms of whole utterances, dropout 0.2, "
               "refit on every training speaker",
               _SPEAKER_NORMALISED + (("module__dropout", 0.2), ("elm", True))),
        System("dnn-elm", dnn_elm,
               "Han 2014 (Kim 2017 baseline): 3 x FC 256 on LLD frames with 5-frame context -> functionals -> ELM"),
        System("lstm-elm", lstm_elm,
               "Lee & Tashev 2015 (Kim 2017 baseline): 2 x LSTM 128 on LLD frames -> functionals -> ELM"),
        System("kim-2d-cnn-lstm", kim_2d_cnn_lstm,
               "Kim 2017 baseline: 2 x 2D conv (2x2) + 2 LSTM 128 on the same maps"),
        System("kim-2d-cnn-lstm-dnn", kim_2d_cnn_lstm,
               "Kim 2017 baseline: 2D-CNN-LSTM + 2 FC 512", (("dnn", True),)),
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
        System("kim-1d-cnn-lstm", kim_1d_cnn_lstm,
               "Kim 2017 baseline (Trigeorgis): conv 80, pool 2, conv 800, pool 40, 2 LSTM 128 on raw 2 s"),
    ]
}


def get_system(name, **overrides):
    """Build the model of the registered system ``name``: a Pipeline, or a fusion of Pipelines.

    ``overrides`` are the recipe's keyword arguments; a recipe that ends in a net also takes the
    net's parameters (``max_epochs=5``, ``module__dropout=0.2``). An unknown one raises TypeError."""
    return _registered(name).build(**overrides)


def system_settings(name, **overrides):
    """Every keyword argument the recipe of system ``name`` receives with ``overrides`` (defaults
    included), e.g. to record what a benchmark run used after a default has changed."""
    return _registered(name).settings(**overrides)


def parse_settings(items):
    """Recipe overrides from ``key=value`` strings, as ``--set`` gives them: a value is read as
    JSON when it parses (``10``, ``1e-3``, ``true``, ``[2, 2, 32]``, ``{"max_epochs": 1}``) and
    kept as a string otherwise (``kind=2d``).

    Examples
    --------
    >>> parse_settings(["C=10", "kind=2d", "kernel=[2, 2, 32]"])
    {'C': 10, 'kind': '2d', 'kernel': [2, 2, 32]}
    """
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"a setting is key=value, got {item!r}")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return settings


def _registered(name):
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; available: {', '.join(SYSTEMS)}")
    return SYSTEMS[name]
