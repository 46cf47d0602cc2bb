"""What the recipes of every family share: the training presets and the building of a net."""
from __future__ import annotations

import inspect

# "paper": Kim et al.'s set-up, fitted to 15k utterances of 7 corpora. "small-corpus": what the 3D
# CNN needs to leave the class prior on one small corpus such as EmoDB (docs/kim.md).
TRAINING = {
    "paper": dict(batch_size=128, lr=3e-3, max_epochs=20, patience=5),
    "small-corpus": dict(batch_size=32, lr=1e-3, max_epochs=40, patience=8),
}


def ser_pipeline(steps):
    """A recipe's steps as a :class:`~sklearn_ser.novelty.SERPipeline`: a Pipeline that also
    learns what its training audio is like and flags inputs far from it when predicting."""
    from ..novelty import NoveltyCheck, SERPipeline

    return SERPipeline(steps, novelty=NoveltyCheck())


#: how an SVM recipe turns decision values into probabilities (CalibratedClassifierCV's methods)
CALIBRATIONS = ("temperature", "sigmoid")


def calibrated(classifier, calibration):
    """``classifier`` with probabilities calibrated on decision values of held-out speakers (five
    speaker folds when fit gets the speakers), itself fitted once on all the data. "temperature"
    (one temperature, then a softmax) keeps the argmax of the classifier's decision function as
    the prediction;
    "sigmoid" (Platt, one sigmoid per class) predicts the largest calibrated sigmoid, which need
    not be the classifier's decision."""
    from ..calibration import SpeakerCalibratedClassifierCV

    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {calibration!r}")
    return SpeakerCalibratedClassifierCV(classifier, method=calibration, ensemble=False)


def _training(training):
    if training not in TRAINING:
        raise ValueError(f"training must be one of {sorted(TRAINING)}, got {training!r}")
    return dict(TRAINING[training])


def _frame_training(training):
    # frame-level nets see ~100 samples an utterance: batches stay large, the step follows `training`
    return {**_training(training), "batch_size": 256}


def _net(cls, module, **params):
    # torch only when a net is built
    from ..estimators import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier

    _check_no_augment_names(params)
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


def _frequency_warp(frequency_warp):
    """Kim's ``frequency_warp`` setting as an augmentation, or None when it is off."""
    from ..estimators import FrequencyWarp

    return FrequencyWarp(max_warp=frequency_warp) if frequency_warp else None


#: every net's class weights unless set: each class weighs the same in the loss, so a net trained
#: on a corpus with a small class still predicts it (unweighted accuracy is the measure here)
NET_CLASS_WEIGHT = "balanced"


#: the axes of the spectral batches of each family's representation, for SpecAugment
ZHANG_MEL_AXES = dict(freq_axis=-2, time_axis=-1)  # (..., 64 mel bands, 64 frames)
KIM_VOLUME_AXES = dict(freq_axis=-1, time_axis=(-3, -2))  # (..., L steps, T frames, 256 bins)


def _named_augment(params, input, **axes):
    """``params`` with a named ``augment`` (a string, e.g. ``"speed+noise"`` from ``--set``) made
    into the augmentation of a net whose batches hold ``input`` ("waveform" or "spectral", with
    its ``axes``): see :func:`~sklearn_ser.estimators.make_augmentation`. A callable or None stays.
    Augmentation is off unless asked for: no recipe sets ``augment`` itself."""
    if isinstance(params.get("augment"), str):
        from ..estimators import make_augmentation

        params = {**params, "augment": make_augmentation(params["augment"], input, **axes)}
    return params


def _chain_augment(params, first):
    """``params`` with the augmentation ``first`` (None: nothing) applied before their own."""
    if first is None:
        return params
    from ..estimators import Compose

    own = params.get("augment")
    return {**params, "augment": first if own is None else Compose([first, own])}


def _check_no_augment_names(params, why="this system's net takes neither raw audio nor a spectrogram"):
    """Refuse a named ``augment`` where the recipe has not resolved it: a net whose input is
    neither raw audio nor a spectrogram names none (a callable still works)."""
    if isinstance(params.get("augment"), str):
        raise ValueError(f"augment={params['augment']!r}: {why}, so no augmentation is named for it; "
                         "pass a callable (batch -> batch)")
