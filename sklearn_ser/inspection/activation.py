"""Activation maximisation (Wieser et al. 2020, §2.3.1 and §4.2.2, after Erhan et al. 2009 and
Simonyan et al. 2013): the input a fitted net finds most typical of a class, written to listen to
and look at, and summarised as the paper's Table 6 summarises its generalized signals."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..features.segments import stack_segments
from ._nets import (check_input_shape, class_indices, evaluating, head_classes, head_logits, is_segment_net,
                    module_device, split_pipeline, torch_module)

INITS = ("noise", "mean")


def maximize_activation(estimator, target, head=0, n_steps=200, lr=0.01, l2=1e-3, init="noise",
                        input_shape=None, clip=None, X=None, noise_std=0.01,
                        optimizer="adam", random_state=0):
    """The input that maximises a class's logit, by gradient ascent:
    ``x* = argmax_x a_c(x) - l2 * ||x||^2`` (the paper's Eq. 4).

    Parameters
    ----------
    estimator : fitted Pipeline ending in a net, or a fitted net (or a bare ``torch.nn.Module``)
    target : label
        The class of head ``head`` whose logit ``a_c`` is maximised.
    head : int, default=0
    n_steps : int, default=200
        Optimiser steps.
    lr : float, default=0.01
    l2 : float, default=1e-3
        Weight of the squared L2 norm of the input (Simonyan et al.'s regulariser, which keeps the
        input from growing without bound along directions the logit rewards).
    init : {"noise", "mean"} or array, default="noise"
        Start: Gaussian noise of standard deviation ``noise_std`` (Erhan et al.'s start, the
        paper's); "mean": the mean input of ``X`` (Simonyan et al.'s mean image; for a Pipeline, X
        is utterances and goes through its steps); or an input array of its own.
    input_shape : tuple, optional
        Shape of one input; by default the net's fitted ``input_shape_`` (for a segment net, one
        segment's), or ``init``'s shape. Needed for a bare module started from noise.
    clip : (float, float) or None, default=None
        Bounds the input is clipped to after every step: ``(-1, 1)`` for raw audio scaled so
        (Wieser et al.'s nets), ``(-256, 256)`` for Zhang et al.'s 1-D CNN; None for features.
    X : array-like, optional
        Inputs (or utterances, for a Pipeline) whose mean starts the ascent, with ``init="mean"``.
    noise_std : float, default=0.01
    optimizer : {"adam", "sgd"} or a torch optimizer class, default="adam"
        "sgd" is the paper's (stochastic) gradient ascent; Adam copes with the very different
        gradient scales of nets' inputs.
    random_state : int, default=0
        Seeds the noise start.

    Returns
    -------
    ndarray, float32, of the net's input shape (a signal, a stack of subsequences, a segment).

    The net is evaluated in eval mode and left as it was found; its parameters are never updated.
    """
    import torch

    net, features = split_pipeline(estimator)
    module = torch_module(net)
    x0 = _start(net, features, init, input_shape, X, noise_std, random_state)
    check_input_shape(net, x0.shape)
    if clip is not None:
        x0 = np.clip(x0, *clip)
    device = module_device(module)
    x = torch.tensor(x0[None], dtype=torch.float32, device=device, requires_grad=True)
    ascent = _optimizer(optimizer)([x], lr=lr)
    with evaluating(module):
        with torch.no_grad():
            classes = head_classes(net, head, head_logits(module(x), head).shape[1])
        c = int(class_indices(target, classes, 1)[0])
        for _ in range(n_steps):
            objective = head_logits(module(x), head)[0, c] - l2 * x.pow(2).sum()
            # autograd.grad, not backward: the ascent moves the input only, no parameter's .grad
            (gradient,) = torch.autograd.grad(-objective, x)
            x.grad = gradient
            ascent.step()
            if clip is not None:
                with torch.no_grad():
                    x.clamp_(*clip)
    return x.detach().cpu().numpy()[0].astype(np.float32)


def _optimizer(optimizer):
    import torch

    if isinstance(optimizer, str):
        known = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
        if optimizer not in known:
            raise ValueError(f"optimizer must be one of {sorted(known)} or a torch optimizer class, got {optimizer!r}")
        return known[optimizer]
    return optimizer


def _start(net, features, init, input_shape, X, noise_std, random_state):
    """The starting input, shaped as one input of the net."""
    if not isinstance(init, str):
        x0 = np.asarray(init, dtype=np.float32)
        if input_shape is not None and x0.shape != tuple(input_shape):
            raise ValueError(f"init has shape {x0.shape}, not input_shape {tuple(input_shape)}")
        return x0
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS} or an array, got {init!r}")
    if init == "mean":
        if X is None:
            raise ValueError('init="mean" needs X: the inputs (for a Pipeline, the utterances) to average')
        inputs = features(X)
        inputs = stack_segments(inputs)[0] if is_segment_net(net, inputs) else np.asarray(inputs)
        return np.asarray(inputs, dtype=np.float32).mean(axis=0)
    shape = input_shape if input_shape is not None else getattr(net, "input_shape_", None)
    if shape is None:
        raise ValueError(f"{type(net).__name__} has no fitted input_shape_: pass input_shape")
    rng = np.random.default_rng(random_state)
    return (noise_std * rng.standard_normal(tuple(shape))).astype(np.float32)


def _as_signal(signal):
    """A 1-D signal; rows of subsequences or windows (the last axis is time) are joined in order."""
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim == 0 or signal.size == 0:
        raise ValueError(f"expected a signal, got an array of shape {signal.shape}")
    return signal.ravel()


def _replace_into(path, write):
    """Write through a temporary file in the same folder, then rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_activation(signal, wav_path, png_path, sr=16000, n_fft=512, title=None):
    """Write a generated signal as a WAV to listen to and a PNG of its waveform above its
    spectrogram (as Wieser et al.'s Fig. 5); returns ``(wav_path, png_path)``.

    A signal that would clip (peak above 1, e.g. Zhang et al.'s inputs in [-256, 256]) is scaled
    to a peak of 1 in the WAV; a quieter one keeps its level, which is part of what it says.
    Rows of subsequences or windows are joined end to end.
    """
    import librosa
    import soundfile as sf
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    y = _as_signal(signal)
    peak = float(np.abs(y).max())
    audio = (y / peak if peak > 1 else y).astype(np.float32)
    wav = _replace_into(wav_path, lambda tmp: sf.write(tmp, audio, sr, subtype="PCM_16", format="WAV"))

    n_fft = min(n_fft, len(y))
    db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=n_fft, hop_length=max(1, n_fft // 4))),
                                 ref=np.max, top_db=80)
    fig = Figure(figsize=(8, 5))
    top, bottom = fig.subplots(2, 1)
    top.plot(np.arange(len(y)) / sr, y, lw=0.4, color="0.2")
    top.set_xlim(0, len(y) / sr)
    top.set_title("waveform", fontsize=8)
    image = bottom.imshow(db, origin="lower", aspect="auto", cmap="magma",
                          extent=(0, len(y) / sr, 0, sr / 2000))
    bottom.set_ylabel("kHz", fontsize=7)
    bottom.set_xlabel("time (s)", fontsize=7)
    bottom.set_title("spectrogram (dB re max)", fontsize=8)
    fig.colorbar(image, ax=bottom, pad=0.01)
    for ax in (top, bottom):
        ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    png = _replace_into(png_path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    return wav, png


def activation_summary(signals, sr=16000, frame_length=400, hop_length=160, pause_db=-40.0, n_fft=4096):
    """One row per generated signal with the characteristics of Wieser et al.'s Table 6.

    Parameters
    ----------
    signals : sequence of arrays, or mapping name -> array (names become the index)
        Rows of subsequences or windows are joined end to end.
    sr : int, default=16000
    frame_length, hop_length : int, default=400, 160
        Frames for the pause detection (25 ms every 10 ms at 16 kHz).
    pause_db : float, default=-40
        A frame is a pause when its RMS is more than ``-pause_db`` dB below the signal's loudest
        frame's. Relative, not absolute: the paper's generalized signals peak near 0.015 (-36 dBFS),
        so an absolute speech/silence threshold would call all of them silent.
    n_fft : int, default=4096
        FFT size of the magnitude spectrum (at most the signal's length).

    Returns
    -------
    DataFrame with columns
        ``loudness_dbfs``: RMS of the whole signal in dB re full scale 1.0 (a full-scale square wave
        is 0 dBFS, a full-scale sine -3.01; pauses count, as in an utterance's loudness);
        ``peak_dbfs``: the largest absolute sample in dB re 1.0;
        ``min_amplitude``, ``max_amplitude``: the extreme samples (Table 6's rows);
        ``dominant_hz``: the argmax of the magnitude spectrum averaged over STFT frames;
        ``pause_share``: the fraction of frames that are pauses;
        ``mean_pause_ms``: the mean length of runs of pause frames, counted in hops (Table 6's
        "pause duration"; 0 without pauses).
    """
    import pandas as pd

    items = signals.items() if hasattr(signals, "items") else enumerate(signals)
    rows, index = [], []
    for name, signal in items:
        rows.append(_characteristics(_as_signal(signal), sr, frame_length, hop_length, pause_db, n_fft))
        index.append(name)
    return pd.DataFrame(rows, index=index)


def _db(value):
    return float(20 * np.log10(value)) if value > 0 else float("-inf")


def _characteristics(y, sr, frame_length, hop_length, pause_db, n_fft):
    import librosa

    n_fft = min(n_fft, len(y))
    magnitude = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=max(1, n_fft // 4), center=False)).mean(axis=1)
    frames = librosa.feature.rms(y=y, frame_length=min(frame_length, len(y)), hop_length=hop_length,
                                 center=False)[0]
    loudest = frames.max()
    pauses = frames < loudest * 10 ** (pause_db / 20) if loudest > 0 else np.ones(len(frames), bool)
    return {
        "loudness_dbfs": _db(np.sqrt(np.mean(y ** 2))),
        "peak_dbfs": _db(np.abs(y).max()),
        "min_amplitude": float(y.min()),
        "max_amplitude": float(y.max()),
        "dominant_hz": float(librosa.fft_frequencies(sr=sr, n_fft=n_fft)[magnitude.argmax()]),
        "pause_share": float(pauses.mean()),
        "mean_pause_ms": _mean_run(pauses) * hop_length / sr * 1000,
    }


def _mean_run(flags):
    """Mean length of the runs of True in ``flags`` (0 if none)."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return float(np.mean(ends - starts)) if len(starts) else 0.0
