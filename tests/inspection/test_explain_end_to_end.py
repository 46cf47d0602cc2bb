"""Saliency and activation maximisation end to end: a fitted zhang-1d system, and Kim's 1D-CNN-LSTM
(raw subsequences, an LSTM, FFT convolutions) as a module (issue 28)."""
import copy

import numpy as np
import pytest
import soundfile as sf
import torch

from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.inspection import (activation_summary, envelope_correlation, maximize_activation,
                                    plot_saliency, saliency, write_activation)
from sklearn_ser.recipes import get_system


@pytest.fixture(scope="module")
def fitted():
    corpus = make_synthetic_corpus(n_speakers=2, n_per_class=2, duration=(0.5, 0.8))
    pipe = get_system("zhang-1d", max_epochs=1, module__n_hidden=[16, 16], module__filters=[4, 4, 4, 4])
    return pipe.fit(corpus, corpus["label"], net__groups=corpus["speaker"]), corpus


def test_saliency_and_activation_through_a_zhang_1d_pipeline(fitted, tmp_path):
    pipe, corpus = fitted
    two = corpus.iloc[[0, 5]]
    inputs = pipe[:-1].transform(two)  # the net's inputs: a ragged stack of 625-sample segments each
    maps = saliency(pipe, two)
    assert [m.shape for m in maps] == [x.shape for x in inputs]
    assert all(np.isfinite(m).all() and np.abs(m).max() > 0 for m in maps)
    np.testing.assert_array_equal(saliency(pipe.named_steps["net"], inputs)[1], maps[1])  # net == Pipeline
    label = pipe.classes_[0]
    plain = saliency(pipe, two, target=label, method="gradient")
    assert not np.allclose(plain[0], saliency(pipe, two, target=label)[0])  # the ReLUs were guided
    with pytest.raises(ValueError, match=r"inputs have shape \(600,\), but SegmentNetClassifier was fitted on inputs of shape \(625,\)"):
        saliency(pipe.named_steps["net"], np.zeros((1, 2, 600), np.float32))  # 1 utterance, 2 segments
    r = envelope_correlation(inputs[0], maps[0], frame=125)
    assert -1 <= r <= 1
    assert plot_saliency(inputs[0], maps[0], tmp_path / "saliency.png", sr=22050).stat().st_size > 20000

    signal = maximize_activation(pipe, label, n_steps=20, lr=1.0, clip=(-256, 256))
    assert signal.shape == (625,) and np.isfinite(signal).all() and np.abs(signal).max() <= 256
    start = maximize_activation(pipe, label, n_steps=0, clip=(-256, 256))
    module = copy.deepcopy(pipe.named_steps["net"].module_).eval()
    with torch.no_grad():
        logits = module(torch.as_tensor(np.stack([start, signal])))[:, 0]
    assert logits[1] > logits[0]  # the ascent raised the class's logit
    wav, png = write_activation(signal, tmp_path / "a.wav", tmp_path / "a.png", sr=22050)
    assert sf.info(wav).frames == 625 and png.stat().st_size > 10000
    summary = activation_summary({label: signal}, sr=22050)
    assert list(summary.index) == [label] and np.isfinite(summary["dominant_hz"]).all()


def test_kim_1d_cnn_lstm_module_on_raw_subsequences():
    from sklearn_ser.nets import CNN1DLSTM

    torch.manual_seed(0)
    module = CNN1DLSTM(n_classes=3, n_filters=(2, 2), n_cells=4)
    X = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 20, 1600)).astype(np.float32)
    maps = saliency(module, X)
    assert maps.shape == X.shape and np.isfinite(maps).all() and np.abs(maps).max() > 0
    signal = maximize_activation(module, 1, n_steps=3, input_shape=(20, 1600), clip=(-1, 1))
    assert signal.shape == (20, 1600) and np.abs(signal).max() <= 1
