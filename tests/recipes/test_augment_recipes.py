"""Augmentation in the recipes: off by default in every registered system, named augmentations
reach the nets whose batches are raw audio or spectra with their representation's axes, and a
name that does not fit a net's input is refused when the system is built."""
import pytest

from sklearn_ser.estimators import (
    AdditiveNoise, Compose, FrequencyWarp, PitchShift, SpecAugment, SpeedPerturbation,
)
from sklearn_ser.recipes import SYSTEMS, get_system

# what a registered system trains with unless asked otherwise
DEFAULT_AUGMENT = {"kim-3d-cnn-dnn-spknorm": FrequencyWarp(max_warp=0.1)}


def _nets(model):
    """Every net inside a built system (through FunctionalsELM and fusions)."""
    return [v for k, v in model.get_params(deep=True).items()
            if (k == "net" or k.endswith("__net") or k.endswith("net__estimator")) and hasattr(v, "augment")]


@pytest.mark.parametrize("name", [n for n in SYSTEMS if not n.startswith(("compare", "egemaps"))])
def test_no_registered_system_augments_unless_asked(name):
    for net in _nets(get_system(name)):
        assert net.augment == DEFAULT_AUGMENT.get(name)


@pytest.mark.parametrize("name, augment, expected", [
    ("zhang-1d", "speed+noise", Compose([SpeedPerturbation(), AdditiveNoise()])),
    ("wieser-elor", "pitch(max_semitones=1)", PitchShift(max_semitones=1)),
    ("kim-1d-cnn-lstm", "noise", AdditiveNoise()),
    ("zhang-2d-small", "specaugment", SpecAugment(freq_axis=-2, time_axis=-1)),
    ("zhang-3d", "specaugment", SpecAugment(freq_axis=-2, time_axis=-1)),
    ("kim-3d-cnn-dnn", "specaugment+vtlp", Compose([SpecAugment(freq_axis=-1, time_axis=(-3, -2)), FrequencyWarp()])),
    ("kim-3d-cnn-dnn-elm", "specaugment", SpecAugment(freq_axis=-1, time_axis=(-3, -2))),
    ("kim-2d-cnn-lstm", "vtlp", FrequencyWarp()),
])
def test_a_named_augmentation_reaches_the_net_with_the_inputs_axes(name, augment, expected):
    [net] = _nets(get_system(name, augment=augment))
    assert net.augment == expected


def test_the_recipes_vtlp_comes_before_a_named_augmentation():
    [net] = _nets(get_system("kim-3d-cnn-dnn-spknorm", augment="specaugment"))
    assert net.augment == Compose([FrequencyWarp(0.1), SpecAugment(freq_axis=-1, time_axis=(-3, -2))])


@pytest.mark.parametrize("name, augment, match", [
    ("zhang-1d", "specaugment", "is for spectral input"),
    ("zhang-2d-small", "speed", "is for waveform input"),
    ("zhang-2d-small", "vtlp", "vtlp warps the last axis"),
    ("wieser-lom", "noise", "not raw audio alone"),
    ("wieser-elor-ftr", "noise", "not raw audio alone"),
    ("dnn-elm", "noise", "neither raw audio nor a spectrogram"),
    ("latif-vae-lstm", "specaugment", "latent codes"),
])
def test_a_name_that_does_not_fit_the_nets_input_is_refused_when_built(name, augment, match):
    with pytest.raises(ValueError, match=match):
        get_system(name, augment=augment)


def test_a_callable_passes_through_as_it_is():
    warp = FrequencyWarp(0.05)
    [net] = _nets(get_system("dnn-elm", augment=warp))
    assert net.augment is warp
