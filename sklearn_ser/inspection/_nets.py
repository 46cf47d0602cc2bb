"""What the explanation tools need of a fitted net, whatever its family: its torch module, the
inputs it sees, the logits of one head, the labels of that head, and a module left as it was found.

The contract (issue 28): a fitted net estimator has ``module_``, a ``torch.nn.Module`` whose forward
takes the net's input as one float32 tensor and returns class logits ``(batch, n_classes)``, or a
tuple/list of such tensors, one per head; ``classes_`` is the labels (for a multi-head net a list of
label arrays, one per head). A bare ``nn.Module`` is accepted too: its labels are then the output
indices.
"""
from __future__ import annotations

import contextlib
import numbers

import numpy as np


def split_pipeline(estimator):
    """``(net, features)``: the last step of a Pipeline and a function running X through all the
    steps before it; a net itself and the identity."""
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return estimator, lambda X: X
    before = [step for _, step in steps[:-1] if step is not None and step != "passthrough"]

    def features(X):
        for step in before:
            X = step.transform(X)
        return X

    return steps[-1][1], features


def torch_module(net):
    """The fitted net's ``module_`` (or ``net`` if it is a module), refusing nets whose module
    takes more than one input tensor."""
    from torch import nn

    if isinstance(net, nn.Module):
        return net
    module = getattr(net, "module_", None)
    if not isinstance(module, nn.Module):
        raise TypeError(f"{type(net).__name__} has no module_ (a torch module): pass a fitted net, or a "
                        f"fitted Pipeline ending in one")
    from ..estimators import LatentLSTMClassifier

    if isinstance(net, LatentLSTMClassifier):  # its module takes padded batches with their lengths
        raise TypeError("LatentLSTMClassifier's module takes padded sequences with their lengths, "
                        "not one input tensor: it cannot be explained here")
    return module


def is_segment_net(net, X):
    """Whether X holds a stack of segments per utterance (ragged, or dense for a segment net)."""
    from ..estimators import SegmentNetClassifier

    return (isinstance(X, np.ndarray) and X.dtype == object) or isinstance(net, SegmentNetClassifier)


def check_input_shape(net, shape):
    """Refuse inputs of another shape than the net was fitted on (skorch's check, which the
    explanation tools bypass by calling the module directly)."""
    fitted = getattr(net, "input_shape_", None)
    if fitted is not None and tuple(shape) != tuple(fitted):
        raise ValueError(f"the net's inputs have shape {tuple(shape)}, but {type(net).__name__} was "
                         f"fitted on inputs of shape {tuple(fitted)}")


def head_logits(output, head):
    """The logits ``(batch, n_classes)`` of head ``head`` from a module's output; logits per step
    ``(batch, steps, n_classes)`` are averaged over the steps (as SERStepNetClassifier pools them)."""
    import torch

    heads = list(output) if isinstance(output, (tuple, list)) else [output]
    if not isinstance(head, numbers.Integral) or not 0 <= head < len(heads):
        raise IndexError(f"head {head!r} is out of range: the net has {len(heads)} head(s), 0 to {len(heads) - 1}")
    logits = heads[head]
    if not isinstance(logits, torch.Tensor) or logits.ndim not in (2, 3):
        raise TypeError(f"head {head} of the module's output is not a (batch, n_classes) logits tensor "
                        f"(got {type(logits).__name__} {getattr(logits, 'shape', '')})")
    return logits.mean(dim=1) if logits.ndim == 3 else logits


def head_classes(net, head, n_classes):
    """The labels of head ``head``: ``classes_`` (or its entry ``head`` for a multi-head net), else
    the output indices."""
    classes = getattr(net, "classes_", None)
    if classes is None:
        return np.arange(n_classes)
    per_head = isinstance(classes, (list, tuple)) or (
        isinstance(classes, np.ndarray) and classes.dtype == object and classes.ndim == 1
        and len(classes) > 0 and np.ndim(classes[0]) == 1)
    if per_head:
        if not 0 <= head < len(classes):
            raise IndexError(f"head {head} is out of range: classes_ lists {len(classes)} head(s)")
        classes = classes[head]
    classes = np.asarray(classes)
    if len(classes) != n_classes:
        raise ValueError(f"head {head} outputs {n_classes} logits but has {len(classes)} classes")
    return classes


def class_indices(target, classes, n):
    """Output indices of ``target`` (one label, or one per sample) among ``classes``, ``(n,)``."""
    targets = np.asarray(target)
    targets = np.repeat(targets, n) if targets.ndim == 0 else targets
    if len(targets) != n:
        raise ValueError(f"got {len(targets)} targets for {n} samples")
    lookup = {label: i for i, label in enumerate(classes.tolist())}
    unknown = [t for t in targets.tolist() if t not in lookup]
    if unknown:
        raise ValueError(f"unknown target label {unknown[0]!r}: the head's classes are {classes.tolist()}")
    return np.array([lookup[t] for t in targets.tolist()], dtype=np.int64)


def module_device(module):
    import torch

    param = next(iter(module.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


@contextlib.contextmanager
def evaluating(module):
    """``module`` in eval mode (batch norm on its running statistics, no dropout) inside the block,
    every submodule's own mode restored after it."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in modes:
            m.training = training
