"""How close a system's network runs to this machine's limit: FLOPs per sample, training
throughput and achieved GFLOP/s beside a matmul ceiling measured in the same run, and the time to
infer one utterance. Used by accuracy.py; runs alone as

    python benchmarks/netspeed.py --systems kim-3d-cnn-dnn kim-3d-cnn-dnn-elm

FLOPs are those of the plain layers (``conv="torch"``: the direct convolution a reader would count),
taken by ``torch.utils.flop_counter``; the nets run their default (FFT) convolutions, which do far
fewer, so "achieved GFLOP/s" is the direct-convolution-equivalent rate. The counter does not see
the LSTM kernels: their FLOPs are counted here from the shapes each LSTM met (the four gates' two
matrix products per step and layer; backward: the weights' gradients, the recurrence's and the
input's where it needs one).

Latif et al.'s systems also train an autoencoder (AE, VAE or CVAE) before their LSTM: its figures
are measured the same way, per 800-value segment at the encoder's batch size, as ``encoder``.
"""
import argparse
import inspect
import time

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from torch.utils.flop_counter import FlopCounterMode

from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.estimators import LatentLSTMClassifier
from sklearn_ser.features.segments import stack_segments
from sklearn_ser.recipes import get_system


def matmul_ceiling(n=2048, repeats=5):
    """Best GFLOP/s of an n x n x n float32 matmul with torch's current threads."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _net_step(pipe):
    net = pipe.steps[-1][1]
    return getattr(net, "estimator", net)  # inside FunctionalsELM


def build_module(net, sample_shape, n_classes, **overrides):
    """The module a fitted ``net`` (an unfitted SERNetClassifier) would build for samples of
    ``sample_shape``, as SERNetClassifier.initialize_module infers it."""
    inferred = {"n_classes": n_classes, "n_features": sample_shape[-1], "input_shape": tuple(sample_shape)}
    params = {**net.get_params_for("module"), **overrides}
    accepted = inspect.signature(net.module).parameters
    params = {**{k: v for k, v in inferred.items() if k in accepted},
              **{k: v for k, v in params.items() if k in accepted}}
    return net.module(**params)


def lstm_step_flops(lstm):
    """Forward FLOPs of one time step of ``lstm`` (all layers and directions): per layer, the four
    gates' products with the input and with the hidden state, 2 * 4 * H * (I + H)."""
    directions = 2 if lstm.bidirectional else 1
    total = 0
    for layer in range(lstm.num_layers):
        inputs = lstm.input_size if layer == 0 else lstm.hidden_size * directions
        total += directions * 8 * lstm.hidden_size * (inputs + lstm.hidden_size)
    return total


def lstm_backward_step_flops(lstm, input_grad):
    """Backward FLOPs of one time step of ``lstm``: the weights' gradients (as many as the forward
    products), the recurrent state's gradients, and the input's except for a first layer whose
    input needs none (``input_grad=False``, e.g. features)."""
    directions = 2 if lstm.bidirectional else 1
    total = lstm_step_flops(lstm)  # weight gradients
    for layer in range(lstm.num_layers):
        inputs = lstm.input_size if layer == 0 else lstm.hidden_size * directions
        total += directions * 8 * lstm.hidden_size * lstm.hidden_size  # through the recurrence
        if layer > 0 or input_grad:
            total += directions * 8 * lstm.hidden_size * inputs
    return total


class _LSTMCounter:
    """Counts the forward and backward FLOPs of every ``nn.LSTM`` of a module from the steps it is
    given (torch's counter does not see the fused LSTM kernels)."""

    def __init__(self, module):
        self.flops = self.backward_flops = 0
        self.handles = [m.register_forward_hook(self._hook) for m in module.modules()
                        if isinstance(m, torch.nn.LSTM)]

    def _hook(self, lstm, inputs, output):
        x = inputs[0]
        data = x.data if isinstance(x, torch.nn.utils.rnn.PackedSequence) else x
        if isinstance(x, torch.nn.utils.rnn.PackedSequence):
            steps = x.data.shape[0]  # every valid step of every sequence
        else:
            steps = x.shape[0] * x.shape[1] if x.dim() == 3 else x.shape[0]
        self.flops += steps * lstm_step_flops(lstm)
        self.backward_flops += steps * lstm_backward_step_flops(lstm, data.requires_grad)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()


def _heads(out):
    return out if isinstance(out, tuple) else (out,)


def flops_per_sample(module, sample):
    """(forward, training step) FLOPs for one sample, as torch's flop counter sees them plus the
    LSTMs' (:func:`lstm_backward_step_flops`): counted on a batch of two, since batch
    normalisation cannot train on one sample of length 1."""
    x = torch.as_tensor(np.stack([sample, sample]))
    module.eval()
    with FlopCounterMode(display=False) as counter, _LSTMCounter(module) as lstm, torch.no_grad():
        module(x)
    forward = counter.get_total_flops() + lstm.flops
    module.train()
    with FlopCounterMode(display=False) as counter, _LSTMCounter(module) as lstm:
        sum(out.sum() for out in _heads(module(x))).backward()
    return forward / 2, (counter.get_total_flops() + lstm.flops + lstm.backward_flops) / 2


def measure(name, n_classes=7, steps=4, **recipe_params):
    """Speed figures of the network of system ``name`` built with ``recipe_params`` (None if it
    has no network)."""
    pipe = get_system(name, **recipe_params)
    net = _net_step(pipe)
    if not hasattr(net, "module"):
        return None
    corpus = make_synthetic_corpus(n_speakers=2, n_per_class=2, random_state=0)
    features = Pipeline(pipe.steps[:-1]).fit_transform(corpus, corpus["label"])
    # a segment net's sample is a segment; a sequence classifier's (Latif's LSTM) an utterance's
    # whole sequence
    if len(pipe.steps) > 1 and features.dtype == object and not isinstance(net, LatentLSTMClassifier):
        features = stack_segments(features)[0]
    sample = np.asarray(features[0], dtype=np.float32)
    reference = build_module(net, sample.shape, n_classes, **(
        {"conv": "torch"} if "conv" in inspect.signature(net.module).parameters else {}))
    forward, train = flops_per_sample(reference, sample)

    torch.manual_seed(0)
    module = build_module(net, sample.shape, n_classes)
    batch = torch.randn(net.batch_size, *sample.shape)
    optimizer = torch.optim.Adam(module.parameters())

    def step():
        optimizer.zero_grad()
        # the modules end in logits (a tuple of them, one per head, for multi-head nets): a cross-entropy's cost
        sum(out.log_softmax(-1).mean() for out in _heads(module(batch))).backward()
        optimizer.step()

    module.train()
    step()
    step_seconds = min(_timed(step) for _ in range(steps))
    module.eval()
    one = torch.as_tensor(sample[None])
    with torch.no_grad():
        module(one)
        infer_seconds = min(_timed(lambda: module(one)) for _ in range(20))
    samples_per_second = net.batch_size / step_seconds
    speed = dict(
        sample_shape=list(sample.shape), forward_gflop=forward / 1e9, train_gflop=train / 1e9,
        batch_size=net.batch_size, train_samples_per_second=samples_per_second,
        train_gflops=train * samples_per_second / 1e9, infer_ms=infer_seconds * 1e3,
    )
    encoder = dict(pipe.steps).get("encoder")
    if encoder is not None and hasattr(encoder, "reconstruct"):
        speed["encoder"] = measure_encoder(encoder, n_classes, steps=steps)
    return speed


def measure_encoder(encoder, n_classes=7, n_features=800, steps=4, utterance_segments=30):
    """Speed figures of a Latif autoencoder step (unfitted): FLOPs per segment, training segments/s
    and GFLOP/s of its training step (reconstruction + KL loss, Adam, clipping, as ``fit``), and the
    time to encode one 3 s utterance (``utterance_segments`` segments)."""
    conditional = hasattr(encoder, "condition")
    params = dict(n_features=n_features, hidden=tuple(encoder.hidden), latent_size=encoder.latent_size)
    if conditional:
        params["n_classes"] = n_classes
    torch.manual_seed(0)
    module = encoder._net(**params)
    batch = torch.randn(encoder.batch_size, n_features)
    extra = (torch.eye(n_classes)[torch.randint(n_classes, (len(batch),))],) if conditional else ()
    optimizer = torch.optim.Adam(module.parameters(), lr=encoder.lr, betas=tuple(encoder.betas), eps=encoder.eps)

    def step():
        out = module(batch, *extra)
        loss = (out[0] - batch).square().sum(dim=-1)
        if encoder._variational:
            loss = loss + encoder._kl(*out[1:])
        optimizer.zero_grad()
        loss.mean().backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 100.0)
        optimizer.step()

    module.train()
    with FlopCounterMode(display=False) as counter:
        step()
    train = counter.get_total_flops() / len(batch)
    step_seconds = min(_timed(step) for _ in range(steps))
    module.eval()
    one = torch.randn(utterance_segments, n_features)
    conditions = [torch.eye(n_classes)[k].expand(len(one), n_classes) for k in range(n_classes)] if conditional else [None]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        for c in conditions:  # the CVAE's label-free transform encodes under every class
            module.encode(one, *(() if c is None else (c,)))
    forward = counter.get_total_flops() / len(one)

    def encode():
        with torch.no_grad():
            for c in conditions:
                module.encode(one, *(() if c is None else (c,)))

    encode()
    per_second = len(batch) / step_seconds
    return dict(kind=type(encoder).__name__, batch_size=encoder.batch_size, encode_gflop=forward / 1e9,
                train_gflop=train / 1e9, train_samples_per_second=per_second, train_gflops=train * per_second / 1e9,
                infer_ms=min(_timed(encode) for _ in range(20)) * 1e3, infer_segments=utterance_segments)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    args = parser.parse_args()
    ceiling = matmul_ceiling()
    print(f"matmul ceiling: {ceiling:.0f} GFLOP/s ({torch.get_num_threads()} threads)")
    for name in args.systems:
        speed = measure(name)
        if speed:
            print(f"{name}: {speed['train_gflop']:.3g} GFLOP/train sample, "
                  f"{speed['train_samples_per_second']:.0f} samples/s = {speed['train_gflops']:.2g} GFLOP/s "
                  f"({speed['train_gflops'] / ceiling:.0%} of ceiling), infer {speed['infer_ms']:.1f} ms")
        if speed and "encoder" in speed:
            enc = speed["encoder"]
            print(f"  its {enc['kind']}: {enc['train_gflop'] * 1e3:.3g} MFLOP/train segment, "
                  f"{enc['train_samples_per_second']:.0f} segments/s = {enc['train_gflops']:.2g} GFLOP/s "
                  f"({enc['train_gflops'] / ceiling:.0%} of ceiling), encode a 3 s utterance "
                  f"({enc['infer_segments']} segments) {enc['infer_ms']:.2f} ms")


if __name__ == "__main__":
    main()
