"""Shared fixtures: real corpora when present (skipped otherwise), synthetic audio everywhere."""
import os
import subprocess
import sys
from pathlib import Path

# The tests' nets are toys: torch's threads cost more than they save on them, and on a shared
# 2-core machine far more (a toy fit: 0.1 s on one thread, seconds on two). Subprocesses inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import joblib
import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]


def corpus_dir(name):
    """``$SKLEARN_SER_DATA/<name>``, else ``../shared/data/<name>`` beside the repository."""
    root = os.environ.get("SKLEARN_SER_DATA")
    candidates = ([Path(root) / name] if root else []) + [REPO.parent / "shared" / "data" / name]
    return next((p for p in candidates if p.is_dir()), None)


def _corpus_or_skip(name):
    path = corpus_dir(name)
    if path is None:
        pytest.skip(f"{name} not found: set SKLEARN_SER_DATA or place it at ../shared/data/{name}")
    return path


@pytest.fixture(scope="session")
def emodb_dir():
    return _corpus_or_skip("emodb")


@pytest.fixture(scope="session")
def tess_dir():
    return _corpus_or_skip("tess")


@pytest.fixture(scope="session")
def small_corpus():
    from sklearn_ser.datasets import make_synthetic_corpus

    return make_synthetic_corpus(n_speakers=6, n_per_class=6, random_state=1)


SR = 16000


def as_wav_files(corpus, root):
    """``corpus`` (a synthetic one) with its waveforms written as float WAV files under ``root``,
    the ``audio`` column holding their paths."""
    paths = [str(root / f"u{i:02d}.wav") for i in range(len(corpus))]
    for path, wave in zip(paths, corpus["audio"]):
        sf.write(path, wave, SR, subtype="FLOAT")
    return corpus.assign(audio=paths)


def tone(freq=200.0, seconds=1.0, sr=SR, amplitude=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds, seed=0, sr=SR):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, int(seconds * sr)).astype(np.float32)


@pytest.fixture
def wav_files(tmp_path):
    """Write a few short files (one stereo, one at 8 kHz, one flac) and return their paths."""
    paths = []
    y = tone(220.0)
    sf.write(tmp_path / "mono16k.wav", y, 16000)
    sf.write(tmp_path / "stereo.wav", np.stack([y, 0.5 * y], axis=1), 16000)
    sf.write(tmp_path / "low8k.wav", tone(220.0, sr=8000), 8000)
    sf.write(tmp_path / "mono.flac", y, 16000)
    for name in ("mono16k.wav", "stereo.wav", "low8k.wav", "mono.flac"):
        paths.append(str(tmp_path / name))
    return paths


def _round_trip_in_new_process(model, train, test, tmp_path):
    """Fit on ``train``, save with joblib, load in a fresh interpreter, predict the test
    utterances from WAV files there: the probabilities must be identical."""
    files = []
    for i, y in enumerate(test["audio"]):
        path = tmp_path / f"u{i}.wav"
        sf.write(path, y, 16000, subtype="FLOAT")
        files.append(str(path))
    model = model.fit(train, train["label"])
    expected = model.predict_proba(files)
    assert (model.classes_[expected.argmax(1)] == model.predict(files)).all()
    joblib.dump(model, tmp_path / "model.joblib")
    np.save(tmp_path / "files.npy", np.array(files))
    code = (
        "import joblib, numpy as np, sys;"
        f"m = joblib.load({str(tmp_path / 'model.joblib')!r});"
        f"files = list(np.load({str(tmp_path / 'files.npy')!r}));"
        f"np.save({str(tmp_path / 'out.npy')!r}, m.predict_proba(files))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


@pytest.fixture
def round_trip_in_new_process():
    return _round_trip_in_new_process


def _torchvision_alexnet_state(n_out=1000, seed=0, n_hidden=4096):
    """A checkpoint in torchvision's alexnet layout and widths (64, 192, 384, 256, 256)."""
    import torch

    torch.manual_seed(seed)
    shapes = {
        "features.0": (64, 3, 11, 11), "features.3": (192, 64, 5, 5), "features.6": (384, 192, 3, 3),
        "features.8": (256, 384, 3, 3), "features.10": (256, 256, 3, 3),
        "classifier.1": (n_hidden, 9216), "classifier.4": (n_hidden, n_hidden),
        "classifier.6": (n_out, n_hidden),
    }
    state = {}
    for name, shape in shapes.items():
        state[f"{name}.weight"] = torch.randn(shape) * 0.01
        state[f"{name}.bias"] = torch.randn(shape[0]) * 0.01
    return state


@pytest.fixture
def torchvision_alexnet_state():
    return _torchvision_alexnet_state
