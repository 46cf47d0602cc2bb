"""One factory per published system, returning a ready Pipeline from raw audio, and a registry.

Recipes are the only place that knows a paper's whole configuration (DESIGN §2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .features import (
    BinStandardScaler, FrameWindows, KimSpectrogramVolumes, LLDContextFrames, LLDFunctionals,
    RawSubsequences,
)


def baseline(speaker_norm=False, classifier=None, n_jobs=None, random_state=0):
    """Handcrafted baseline: 32 LLDs -> 12 functionals each (384) -> standardisation -> classifier.

    Parameters
    ----------
    speaker_norm : bool, default=False
        Standardise features per speaker (``speaker`` column of X) before the global scaler.
    classifier : sklearn classifier, default=RBF SVC (C=1, balanced class weights) with
        Platt-scaled probabilities (``CalibratedClassifierCV(..., ensemble=False)``)
    n_jobs : int, default=None
        Parallel feature extraction.
    random_state : int, default=0
        Passed to the SVC.
    """
    if classifier is None:
        classifier = CalibratedClassifierCV(
            SVC(C=1.0, class_weight="balanced", random_state=random_state),
            method="sigmoid", ensemble=False,
        )
    return Pipeline([
        ("features", LLDFunctionals(speaker_norm=speaker_norm, n_jobs=n_jobs)),
        ("scale", StandardScaler()),
        ("classifier", classifier),
    ])


def _net(cls, module, **params):
    # torch only when a net is built
    from .estimators import SegmentNetClassifier, SERNetClassifier, SERStepNetClassifier

    wrapper = {"steps": SERStepNetClassifier, "segments": SegmentNetClassifier}.get(cls, SERNetClassifier)
    return wrapper(module, verbose=0, **params)


# Kim et al.'s common set-up was fitted to 15k utterances of 7 corpora. On one small corpus (EmoDB's
# ~400 training utterances make 3 updates an epoch at batch 128) the 3D CNN at lr 3e-3 collapses to
# the class prior in the first epoch and never leaves it; smaller batches, a smaller step and batch
# normalisation after each 3D convolution make it learn (README, "Kim et al. on EmoDB").
TRAINING = {
    "paper": dict(batch_size=128, lr=3e-3, patience=5),
    "small-corpus": dict(batch_size=32, lr=1e-3, patience=6),
}


def _training(training):
    if training not in TRAINING:
        raise ValueError(f"training must be one of {sorted(TRAINING)}, got {training!r}")
    return dict(TRAINING[training])


def _frame_training(training):
    # frame-level nets see ~100 samples an utterance: batches stay large, the step follows `training`
    return {**_training(training), "batch_size": 256}


def dnn_elm(context=5, training="small-corpus", n_jobs=None, random_state=0, **net_params):
    """DNN-ELM (Han et al. 2014), Kim et al.'s baseline: 3 x FC 256 on each 10 ms frame of the 32
    LLDs with a 5-frame context, frame posteriors -> utterance functionals -> ELM. ``training`` as
    :func:`kim_3d_cnn`'s, with batches of 256 frames."""
    from .ensemble import FunctionalsELM
    from .nets import FrameDNN

    params = dict(random_state=random_state, **{**_frame_training(training), **net_params})
    return Pipeline([
        ("features", LLDContextFrames(context=context, n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", FunctionalsELM(_net("segments", FrameDNN, **params), random_state=random_state)),
    ])


def lstm_elm(window=100, hop=50, training="small-corpus", n_jobs=None, random_state=0, **net_params):
    """LSTM-ELM (Lee & Tashev 2015), Kim et al.'s baseline: 2 x LSTM 128 over the 32 LLDs, trained
    on 1 s windows (``window`` frames every ``hop``) with a posterior per frame, then utterance
    functionals -> ELM. ``training`` as :func:`kim_3d_cnn`'s."""
    from .ensemble import FunctionalsELM
    from .nets import SequenceLSTM

    params = dict(random_state=random_state, **{**_training(training), **net_params})
    return Pipeline([
        ("features", LLDContextFrames(context=1, n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("windows", FrameWindows(length=window, hop=hop)),
        ("net", FunctionalsELM(_net("segments", SequenceLSTM, **params), random_state=random_state)),
    ])


def kim_3d_cnn(kernel=(2, 2, 128), elm=False, training="small-corpus", n_jobs=None, random_state=0,
               **net_params):
    """Kim et al. 2017: 3D-CNN-DNN (``elm=False``) or 3D-CNN-DNN-ELM (``elm=True``) on per-speaker
    gain-normalised 10 x 10 x 256 log-spectrogram volumes, standardised per frequency bin.
    Paper: 3 layers of 4 kernels, at most 20 epochs with early stopping on held-out speakers; the
    best kernels were 2x2x128 (DNN) and 2x2x32 (DNN-ELM). ``training="paper"`` is their Adam 3e-3,
    batch 128 with no normalisation; ``"small-corpus"`` (default) is Adam 1e-3, batch 32 and batch
    normalisation after each convolution, which single corpora need (see ``TRAINING``)."""
    from .ensemble import FunctionalsELM
    from .nets import Kim3DCNN, Kim3DCNNSteps

    params = dict(module__kernel=tuple(kernel), module__batch_norm=training != "paper",
                  random_state=random_state, **{**_training(training), **net_params})
    head = (FunctionalsELM(_net("steps", Kim3DCNNSteps, **params), random_state=random_state)
            if elm else _net("utterance", Kim3DCNN, **params))
    return Pipeline([
        ("features", KimSpectrogramVolumes(n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", head),
    ])


def kim_2d_cnn_lstm(kernel=(2, 2), dnn=False, training="small-corpus", n_jobs=None, random_state=0,
                    **net_params):
    """2D-CNN-LSTM (``dnn=False``) or 2D-CNN-LSTM-DNN baseline of Kim et al. 2017 on the same maps,
    with the same ``training`` set-up as :func:`kim_3d_cnn` (no batch normalisation)."""
    from .nets import CNN2DLSTM

    return Pipeline([
        ("features", KimSpectrogramVolumes(n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", _net("utterance", CNN2DLSTM, module__kernel=tuple(kernel), module__dnn=dnn,
                     random_state=random_state, **{**_training(training), **net_params})),
    ])


def kim_1d_cnn_lstm(n_cells=128, training="small-corpus", n_jobs=None, random_state=0, **net_params):
    """1D-CNN-LSTM baseline (Trigeorgis et al.) of Kim et al. 2017 on 2 s of raw waveform, with the
    same ``training`` set-up as :func:`kim_3d_cnn`."""
    from .nets import CNN1DLSTM

    return Pipeline([
        ("features", RawSubsequences(n_jobs=n_jobs)),
        ("scale", BinStandardScaler(per_bin=False)),
        ("net", _net("utterance", CNN1DLSTM, module__n_cells=n_cells, random_state=random_state,
                     **{**_training(training), **net_params})),
    ])


@dataclass(frozen=True)
class System:
    name: str
    factory: Callable[..., Pipeline]
    description: str
    kwargs: tuple = ()

    def build(self, **overrides):
        return self.factory(**{**dict(self.kwargs), **overrides})


SYSTEMS = {
    s.name: s
    for s in [
        System("baseline", baseline,
               "32 LLDs (F0, voicing, ZCR, MFCC 1-12, RMS + deltas) -> 384 functionals -> RBF SVM"),
        System("baseline-spknorm", baseline,
               "baseline with per-speaker feature standardisation", (("speaker_norm", True),)),
        System("kim-3d-cnn-dnn", kim_3d_cnn,
               "Kim 2017: 3D CNN (3 x 4 kernels 2x2x128) + 2 FC 512 on 10x10x256 log-spectrogram volumes"),
        System("kim-3d-cnn-dnn-paper", kim_3d_cnn,
               "kim-3d-cnn-dnn with the paper's training exactly (Adam 3e-3, batch 128, no batch norm)",
               (("training", "paper"),)),
        System("kim-3d-cnn-dnn-elm", kim_3d_cnn,
               "Kim 2017: 3D CNN (2x2x32), FC series per step, posterior functionals -> ELM",
               (("kernel", (2, 2, 32)), ("elm", True))),
        System("dnn-elm", dnn_elm,
               "Han 2014 (Kim 2017 baseline): 3 x FC 256 on LLD frames with 5-frame context -> functionals -> ELM"),
        System("lstm-elm", lstm_elm,
               "Lee & Tashev 2015 (Kim 2017 baseline): 2 x LSTM 128 on LLD frames -> functionals -> ELM"),
        System("kim-2d-cnn-lstm", kim_2d_cnn_lstm,
               "Kim 2017 baseline: 2 x 2D conv (2x2) + 2 LSTM 128 on the same maps"),
        System("kim-2d-cnn-lstm-dnn", kim_2d_cnn_lstm,
               "Kim 2017 baseline: 2D-CNN-LSTM + 2 FC 512", (("dnn", True),)),
        System("kim-1d-cnn-lstm", kim_1d_cnn_lstm,
               "Kim 2017 baseline (Trigeorgis): conv 80, pool 2, conv 800, pool 40, 2 LSTM 128 on raw 2 s"),
    ]
}


def get_system(name, **overrides):
    """Build the Pipeline of the registered system ``name``."""
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; available: {', '.join(SYSTEMS)}")
    return SYSTEMS[name].build(**overrides)
