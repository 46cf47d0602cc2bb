"""Augmentations by name, for recipes and the command line: ``augment="speed+noise"``,
``--set augment='pitch(max_semitones=1)+noise(min_snr_db=20)'``."""
from __future__ import annotations

import ast

from .augment import Compose, FrequencyWarp
from .augment_masking import SpecAugment
from .augment_waveform import AdditiveNoise, PitchShift, SpeedPerturbation

#: name -> augmentation of raw-waveform batches
WAVEFORM_AUGMENTATIONS = {"speed": SpeedPerturbation, "pitch": PitchShift, "noise": AdditiveNoise}
#: name -> augmentation of spectral batches
SPECTRAL_AUGMENTATIONS = {"specaugment": SpecAugment, "vtlp": FrequencyWarp}
INPUTS = {"waveform": WAVEFORM_AUGMENTATIONS, "spectral": SPECTRAL_AUGMENTATIONS}


def make_augmentation(spec, input="waveform", freq_axis=-2, time_axis=-1):
    """The training-batch augmentation that ``spec`` names, for a net whose batches hold
    ``input``.

    ``spec`` is None (none), a callable (returned as it is), or a string of names joined by
    ``+``, applied in that order (a :class:`~sklearn_ser.estimators.Compose` of them), each
    optionally with keyword arguments in parentheses, read as Python literals:

    ============  =========  ===========================================================
    name          input      augmentation and its defaults
    ============  =========  ===========================================================
    speed         waveform   :class:`SpeedPerturbation`: factor uniform in 0.9-1.1
    pitch         waveform   :class:`PitchShift`: -2 to +2 semitones, tempo kept
    noise         waveform   :class:`AdditiveNoise`: white noise at 10-30 dB SNR
    specaugment   spectral   :class:`SpecAugment`: 2 frequency masks up to 15 % of the
                             bins, 2 time masks up to 10 % of the frames, at the mean
    vtlp          spectral   :class:`FrequencyWarp`: warp factor 0.9-1.1; only where the
                             frequency axis is the last (linear spectra, Kim's volumes)
    ============  =========  ===========================================================

    Parameters
    ----------
    spec : None, callable or str
    input : {"waveform", "spectral"}
        What the net's batches hold; a name of the other kind is refused.
    freq_axis, time_axis : negative int, or tuple for time_axis
        The spectral batches' axes: SpecAugment's, unless the spec sets them.

    Examples
    --------
    >>> from sklearn_ser.estimators import make_augmentation
    >>> make_augmentation("speed+noise(min_snr_db=20)")
    Compose(augmentations=[SpeedPerturbation(min_factor=0.9, max_factor=1.1), AdditiveNoise(min_snr_db=20, max_snr_db=30.0)])
    >>> make_augmentation("specaugment(n_time_masks=1)", "spectral", freq_axis=-1, time_axis=(-3, -2))
    SpecAugment(n_freq_masks=2, max_freq_width=0.15, n_time_masks=1, max_time_width=0.1, freq_axis=-1, time_axis=(-3, -2), value='mean')
    """
    if input not in INPUTS:
        raise ValueError(f"input must be one of {sorted(INPUTS)}, got {input!r}")
    if spec is None or callable(spec):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"augment must be None, a callable or a string of names, got {spec!r}")
    steps = [_one(term, spec, input, freq_axis, time_axis) for term in _terms(spec)]
    return steps[0] if len(steps) == 1 else Compose(steps)


def _terms(spec):
    """``spec`` split at the ``+`` outside parentheses."""
    terms, depth, start = [], 0, 0
    for i, char in enumerate(spec):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise ValueError(f"augment {spec!r}: a ')' without its '('")
        if char == "+" and depth == 0:
            terms.append(spec[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"augment {spec!r}: a '(' without its ')'")
    return terms + [spec[start:]]


def _one(term, spec, input, freq_axis, time_axis):
    known = INPUTS[input]
    try:
        call = ast.parse(term.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"augment {spec!r}: cannot read {term.strip()!r}; write name or "
                         f"name(key=value, ...), names joined by '+'") from None
    if isinstance(call, ast.Name):
        name, kwargs = call.id, {}
    elif isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
        name = call.func.id
        if call.args or any(kw.arg is None for kw in call.keywords):
            raise ValueError(f"augment {spec!r}: {term.strip()!r} takes keyword arguments only")
        try:
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
        except ValueError:
            raise ValueError(f"augment {spec!r}: the values of {term.strip()!r} must be literals "
                             "(numbers, strings, tuples)") from None
    else:
        raise ValueError(f"augment {spec!r}: cannot read {term.strip()!r}; write name or "
                         f"name(key=value, ...), names joined by '+'")
    if name not in known:
        other = next((kind for kind, names in INPUTS.items() if name in names), None)
        why = (f"{name!r} is for {other} input, and this net's batches are {input}" if other else
               f"unknown name {name!r}")
        raise ValueError(f"augment {spec!r}: {why}; {input} names: {', '.join(known)}")
    if name == "specaugment":
        kwargs = {"freq_axis": freq_axis, "time_axis": time_axis, **kwargs}
    if name == "vtlp" and freq_axis != -1:
        raise ValueError(f"augment {spec!r}: vtlp warps the last axis, and this input's frequency "
                         f"axis is {freq_axis}")
    try:
        return known[name](**kwargs)
    except TypeError as exc:
        raise TypeError(f"augment {spec!r}: {name}: {exc}") from None
