"""Saliency maps of a fitted net's inputs (Wieser et al. 2020, §2.3.2 and §4.2.1): which samples of
an utterance moved the prediction, by guided backpropagation (Springenberg et al. 2015) or the plain
gradient; how they follow the signal's loudness, and how two heads' maps agree."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from ..features.segments import ragged, stack_segments
from ._nets import (check_input_shape, class_indices, evaluating, head_classes, head_logits, is_segment_net,
                    module_device, split_pipeline, torch_module)

METHODS = ("guided", "gradient")


def saliency(estimator, X, target=None, head=0, method="guided", batch_size=64):
    """The gradient of one class's logit with respect to each input of a fitted net.

    Parameters
    ----------
    estimator : fitted Pipeline ending in a net, or a fitted net (or a bare ``torch.nn.Module``)
        A Pipeline runs X through all its steps but the last to make the net's inputs; a net takes
        X as its input already. The net's ``module_`` returns logits, or a tuple of logits per head.
    X : utterances (for a Pipeline) or the net's inputs
    target : None, a label, or one label per utterance
        The class whose logit is explained; None: each utterance's predicted class on that head
        (for a segment net, the class its pooled posteriors predict).
    head : int, default=0
        Which head of a multi-head net.
    method : {"guided", "gradient"}, default="guided"
        "guided": guided backpropagation: at every ``nn.ReLU`` the gradient passes back only where
        the forward input and the incoming gradient are both positive. "gradient": the plain
        gradient of the logit.
    batch_size : int, default=64
        Inputs per forward pass.

    Returns
    -------
    ndarray or ragged object array
        Per input, an array of its shape: a dense array shaped like the net's input, or for a stack
        of segments per utterance, one float32 stack per utterance (the library's ragged convention).

    Notes
    -----
    The module is put in eval mode for the pass and every submodule's mode is restored after it;
    hooks are removed and in-place ReLUs made in-place again, so the net is left as it was. Guided
    backpropagation sees ReLUs only as ``nn.ReLU`` modules: a module applying ``relu`` functionally
    is refused by name (use ``method="gradient"`` for it). A ``refit="average"`` net is explained
    through ``module_`` alone.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    net, features = split_pipeline(estimator)
    module = torch_module(net)
    X = features(X)
    segmented = is_segment_net(net, X)
    if segmented:
        rows, owners = stack_segments(X)
        rows = np.asarray(rows, dtype=np.float32)
    else:
        rows = np.asarray(X, dtype=np.float32)
        owners = np.arange(len(rows))
    check_input_shape(net, rows.shape[1:])
    n_samples = int(owners[-1]) + 1 if len(owners) else 0
    device = module_device(module)
    with evaluating(module):
        logits = _logits(module, rows, head, batch_size, device)
        classes = head_classes(net, head, logits.shape[1])
        if target is None and not segmented:
            chosen = logits.argmax(axis=1)
        elif target is None:
            chosen = _predicted(logits, owners, n_samples, getattr(net, "pooling", "mean"))
        else:
            chosen = class_indices(target, classes, n_samples)
        maps = _gradients(module, rows, chosen[owners], head, batch_size, device, method == "guided")
    if not segmented:
        return maps
    return ragged(np.split(maps, np.searchsorted(owners, np.arange(1, n_samples))))


def _batches(rows, batch_size, device):
    import torch

    for start in range(0, len(rows), batch_size):
        yield start, torch.as_tensor(rows[start:start + batch_size], device=device)


def _logits(module, rows, head, batch_size, device):
    import torch

    with torch.no_grad():
        return np.concatenate([head_logits(module(x), head).float().cpu().numpy()
                               for _, x in _batches(rows, batch_size, device)])


def _predicted(logits, owners, n_samples, pooling):
    """Each sample's predicted class: the argmax of its segments' pooled posteriors."""
    from scipy.special import softmax

    from ..estimators import pool_posteriors

    posteriors = softmax(logits, axis=1)
    return np.array([pool_posteriors(posteriors[owners == i], pooling).argmax() for i in range(n_samples)])


def _gradients(module, rows, targets, head, batch_size, device, guided):
    """d logit[target] / d input for every row; ``torch.autograd.grad`` rather than ``backward``
    so that no parameter's ``.grad`` is touched."""
    import torch

    out = np.empty_like(rows)
    context = _guided_relus(module) if guided else contextlib.nullcontext()
    with context as watch:
        for start, x in _batches(rows, batch_size, device):
            x.requires_grad_(True)
            logits = head_logits(module(x), head)
            if watch is not None:
                watch.check()
            index = torch.as_tensor(targets[start:start + len(x)], device=logits.device)
            # rows are independent in eval mode: the gradient of the sum is each row's gradient
            chosen = logits.gather(1, index[:, None]).sum()
            out[start:start + len(x)] = torch.autograd.grad(chosen, x)[0].float().cpu().numpy()
    return out


def _positive_gradient(module, grad_input, grad_output):
    # ReLU's own backward already zeroed the gradient where its input was <= 0; guided
    # backpropagation also drops the negative incoming gradient
    return tuple(None if g is None else g.clamp(min=0) for g in grad_input)


class _FunctionalReluWatch:
    """Notes a ``relu`` called outside any ``nn.ReLU`` module during a forward pass, with the module
    that called it, through a torch function mode and a stack of the running modules."""

    def __init__(self, module):
        from torch.overrides import TorchFunctionMode

        self.stack, self.culprit, self.handles = [], None, []
        watch = self

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                if watch.culprit is None and getattr(func, "__name__", "") in ("relu", "relu_") \
                        and not (watch.stack and _is_relu(watch.stack[-1])):
                    watch.culprit = (watch.stack[-1] if watch.stack else None, func.__name__)
                return func(*args, **(kwargs or {}))

        self.mode = Mode()
        for m in module.modules():
            self.handles.append(m.register_forward_pre_hook(self._enter))
            self.handles.append(m.register_forward_hook(self._leave))

    def _enter(self, module, args):
        self.stack.append(module)

    def _leave(self, module, args, output):
        self.stack.pop()  # returning it would replace the module's output

    def check(self):
        if self.culprit is not None:
            owner, name = self.culprit
            where = type(owner).__name__ if owner is not None else "the module"
            raise ValueError(f"{where} applies {name} functionally in its forward: guided backpropagation "
                             f"sees only nn.ReLU modules; use method='gradient', or nn.ReLU in {where}")

    def remove(self):
        for handle in self.handles:
            handle.remove()


def _is_relu(module):
    from torch import nn

    return isinstance(module, nn.ReLU)


@contextlib.contextmanager
def _guided_relus(module):
    """Guided-backpropagation hooks on every ``nn.ReLU`` of ``module`` and a watch for functional
    ReLUs inside the block; everything removed and put back after it."""
    relus = [m for m in module.modules() if _is_relu(m)]
    inplace = [m.inplace for m in relus]
    handles = []
    watch = _FunctionalReluWatch(module)
    try:
        for m in relus:
            m.inplace = False  # full backward hooks refuse modules that modify their input in place
            handles.append(m.register_full_backward_hook(_positive_gradient))
        with watch.mode:
            yield watch
    finally:
        watch.remove()
        for handle in handles:
            handle.remove()
        for m, flag in zip(relus, inplace):
            m.inplace = flag


def _envelope(x, frame):
    """The amplitude envelope of each row (the last axis is time): frame RMS every ``frame // 2``
    samples (librosa), or the Hilbert magnitude per sample (scipy) when ``frame`` is None."""
    import librosa
    from scipy.signal import hilbert

    rows = np.atleast_2d(np.asarray(x, dtype=np.float64)).reshape(-1, np.shape(x)[-1])
    if frame is None:
        return np.abs(hilbert(rows, axis=-1)).ravel()
    frame = min(int(frame), rows.shape[-1])
    return librosa.feature.rms(y=rows, frame_length=frame, hop_length=max(1, frame // 2),
                               center=False)[..., 0, :].ravel()


def _pearson(a, b):
    from scipy.stats import pearsonr

    if np.ptp(a) == 0 or np.ptp(b) == 0:  # pearsonr would warn and answer nan
        return float("nan")
    return float(pearsonr(a, b).statistic)


def envelope_correlation(signal, saliency, frame=400):
    """Pearson correlation between the amplitude envelope of ``signal`` and that of the positive
    part of its ``saliency`` (Wieser et al. 2020, §4.2.1: 0.50 for arousal, 0.53 for valence).

    Parameters
    ----------
    signal, saliency : arrays of one shape
        One input of the net and its saliency map; with several rows (windows or segments) the last
        axis is time, and each row's envelope is taken before they are joined.
    frame : int or None, default=400
        Envelopes are the RMS of ``frame``-sample frames every ``frame // 2`` samples (400 = 25 ms
        at 16 kHz); None: the Hilbert magnitude of every sample.

    Returns
    -------
    float, nan if either envelope is constant (a silent input, a map without positive values).

    Notes
    -----
    The paper says only that the "correlation between the input signal and the corresponding
    saliency map" is Pearson's. A raw signal swings around zero, so its sample values cannot follow
    a saliency that is high wherever the signal is loud; the claim drawn from the figure is about
    amplitude, hence envelopes. The positive part of the map is the one its Fig. 4 draws. The
    frame (or none) is our choice; the paper's 0.50 / 0.53 are means over utterances of IEMOCAP.
    """
    signal, saliency = np.asarray(signal), np.asarray(saliency)
    if signal.shape != saliency.shape:
        raise ValueError(f"signal {signal.shape} and saliency {saliency.shape} differ in shape")
    return _pearson(_envelope(signal, frame), _envelope(np.maximum(saliency, 0), frame))


def saliency_correlation(a, b):
    """Pearson correlation between two saliency maps of one input, e.g. of two heads (Wieser et al.
    2020: 0.96 on average between valence and arousal); nan if either map is constant."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"the saliency maps differ in shape: {a.shape} and {b.shape}")
    return _pearson(a.ravel(), b.ravel())


def plot_saliency(signal, saliency, path, sr=16000, title=None):
    """Draw a signal and its saliency map to ``path`` (PNG) as Wieser et al.'s Fig. 4: the waveform,
    the positive saliency, and the waveform coloured by the saliency (red positive, blue negative);
    returns the path. Several rows (windows, segments) are drawn joined end to end."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    signal, saliency = np.asarray(signal, dtype=float), np.asarray(saliency, dtype=float)
    if signal.shape != saliency.shape:
        raise ValueError(f"signal {signal.shape} and saliency {saliency.shape} differ in shape")
    signal, saliency = signal.ravel(), saliency.ravel()
    t = np.arange(len(signal)) / sr
    fig = Figure(figsize=(9, 5.5))
    axes = fig.subplots(3, 1, sharex=True)
    axes[0].plot(t, signal, lw=0.4, color="0.2")
    axes[0].set_title("input", fontsize=8)
    axes[1].plot(t, np.maximum(saliency, 0), lw=0.4, color="tab:red")
    axes[1].set_title("positive saliency", fontsize=8)
    bound = float(np.abs(saliency).max()) or 1.0
    points = np.column_stack([t, signal])
    lines = LineCollection(np.stack([points[:-1], points[1:]], axis=1), cmap="coolwarm",
                           norm=TwoSlopeNorm(0.0, -bound, bound), linewidths=0.6)
    lines.set_array(saliency[:-1])
    axes[2].add_collection(lines)
    axes[2].set_ylim(*(axes[0].get_ylim()))
    axes[2].set_title("input coloured by saliency (red positive, blue negative)", fontsize=8)
    fig.colorbar(lines, ax=axes[2], pad=0.01)
    axes[2].set_xlabel("time (s)", fontsize=7)
    for ax in axes:
        ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
