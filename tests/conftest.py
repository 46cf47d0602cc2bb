"""Shared fixtures: real corpora when present (skipped otherwise), synthetic audio everywhere."""
import os
from pathlib import Path

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


def tone(freq=200.0, seconds=1.0, sr=16000, amplitude=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


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
