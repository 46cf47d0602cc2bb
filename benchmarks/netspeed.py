"""How close a system's network runs to this machine's limit: FLOPs per sample, training
throughput and achieved GFLOP/s beside a matmul ceiling measured in the same run, and the time to
infer one utterance. Used by accuracy.py; runs alone as

    python benchmarks/netspeed.py --systems kim-3d-cnn-dnn kim-3d-cnn-dnn-elm

FLOPs are those of the plain layers (``conv="torch"``: the direct convolution a reader would count),
taken by ``torch.utils.flop_counter``; the nets run their default (FFT) convolutions, which do far
fewer, so "achieved GFLOP/s" is the direct-convolution-equivalent rate. The counter does not see
the LSTM kernels: nets with LSTMs under-report their FLOPs.
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


def flops_per_sample(module, sample):
    """(forward, training step) FLOPs for one sample, as torch's flop counter sees them: counted on
    a batch of two, since batch normalisation cannot train on one sample of length 1."""
    x = torch.as_tensor(np.stack([sample, sample]))
    module.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(x)
    forward = counter.get_total_flops()
    module.train()
    with FlopCounterMode(display=False) as counter:
        module(x).sum().backward()
    return forward / 2, counter.get_total_flops() / 2


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
    # whole sequence. (The Latif family's encoders are not measured here: issue 27 item 7.)
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
        module(batch).log_softmax(-1).mean().backward()  # the modules end in logits: a cross-entropy's cost
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
    return dict(
        sample_shape=list(sample.shape), forward_gflop=forward / 1e9, train_gflop=train / 1e9,
        batch_size=net.batch_size, train_samples_per_second=samples_per_second,
        train_gflops=train * samples_per_second / 1e9, infer_ms=infer_seconds * 1e3,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    args = parser.parse_args()
    ceiling = matmul_ceiling()
    print(f"matmul ceiling: {ceiling:.0f} GFLOP/s ({torch.get_num_threads()} threads)")
    for name in args.systems:
        speed = measure(name)
        if speed:
            print(f"{name}: {speed['train_gflop']:.3f} GFLOP/train sample, "
                  f"{speed['train_samples_per_second']:.0f} samples/s = {speed['train_gflops']:.0f} GFLOP/s "
                  f"({speed['train_gflops'] / ceiling:.0%} of ceiling), infer {speed['infer_ms']:.1f} ms")


if __name__ == "__main__":
    main()
