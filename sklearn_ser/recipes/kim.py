"""Kim et al. 2017's 3D CNNs and the baselines of their Table 4 (DNN-ELM, LSTM-ELM, the
2D-CNN-LSTMs and the 1D-CNN-LSTM on raw audio)."""
from __future__ import annotations


from ..features import (
    BinStandardScaler, FrameWindows, KimSpectrogramVolumes, LLDContextFrames, RawSubsequences,
)
from ._presets import (
    KIM_VOLUME_AXES, NET_CLASS_WEIGHT, _chain_augment, _frequency_warp, _frame_training, _named_augment, _net,
    _training, ser_pipeline,
)
from ._registry import System


def dnn_elm(context=5, training="small-corpus", class_weight=NET_CLASS_WEIGHT, n_jobs=None, random_state=0,
            **net_params):
    """DNN-ELM (Han et al. 2014), Kim et al.'s baseline: 3 x FC 256 on each 10 ms frame of the 32
    LLDs with a 5-frame context, frame posteriors -> utterance functionals -> ELM. ``training`` as
    :func:`kim_3d_cnn`'s, with batches of 256 frames; ``class_weight`` weighs the classes in the
    net's loss and the ELM's least squares (balanced by default)."""
    from ..ensemble import FunctionalsELM
    from ..nets import FrameDNN

    params = dict(random_state=random_state, class_weight=class_weight,
                  **{**_frame_training(training), **net_params})
    return ser_pipeline([
        ("features", LLDContextFrames(context=context, n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", FunctionalsELM(_net("segments", FrameDNN, **params), class_weight=class_weight,
                               random_state=random_state)),
    ])


def lstm_elm(window=100, hop=50, training="small-corpus", class_weight=NET_CLASS_WEIGHT, n_jobs=None,
             random_state=0, **net_params):
    """LSTM-ELM (Lee & Tashev 2015), Kim et al.'s baseline: 2 x LSTM 128 over the 32 LLDs, trained
    on 1 s windows (``window`` frames every ``hop``) with a posterior per frame, then utterance
    functionals -> ELM. ``training`` and ``class_weight`` as :func:`dnn_elm`'s."""
    from ..ensemble import FunctionalsELM
    from ..nets import SequenceLSTM

    params = dict(random_state=random_state, class_weight=class_weight, **{**_training(training), **net_params})
    return ser_pipeline([
        ("features", LLDContextFrames(context=1, n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("windows", FrameWindows(length=window, hop=hop)),
        ("net", FunctionalsELM(_net("segments", SequenceLSTM, **params), class_weight=class_weight,
                               random_state=random_state)),
    ])


def kim_3d_cnn(kernel=(2, 2, 128), elm=False, training="small-corpus", segment_hop_s=None,
               speaker_norm=False, frequency_warp=None, class_weight=NET_CLASS_WEIGHT, n_jobs=None, random_state=0,
               **net_params):
    """Kim et al. 2017: 3D-CNN-DNN (``elm=False``) or 3D-CNN-DNN-ELM (``elm=True``) on per-speaker
    gain-normalised 10 x 10 x 256 log-spectrogram volumes, standardised per frequency bin.
    Paper: 3 layers of 4 kernels, at most 20 epochs with early stopping on held-out speakers; the
    best kernels were 2x2x128 (DNN) and 2x2x32 (DNN-ELM). ``training="paper"`` is their Adam 3e-3,
    batch 128, 20 epochs, no normalisation; ``"small-corpus"`` (default) is Adam 1e-3, batch 32, up
    to 40 epochs and batch normalisation after each convolution, which single corpora need (see
    ``TRAINING``). ``segment_hop_s=None`` keeps each utterance's first 2 s (the paper); a hop in
    seconds cuts the whole utterance into 2 s volumes every hop, trains on all of them and averages
    their posteriors per utterance (the ELM's functionals run over the steps of all volumes).
    ``speaker_norm=True`` z-scores each frequency bin per speaker (see
    :class:`~sklearn_ser.features.KimSpectrogramVolumes`). ``frequency_warp`` (e.g. 0.1) warps each
    training volume's spectra by a random factor within 1 ± it (VTLP,
    :class:`~sklearn_ser.estimators.FrequencyWarp`), before any ``augment`` of ``net_params``:
    a callable, or names such as ``"specaugment"`` or ``"vtlp"``
    (:func:`~sklearn_ser.estimators.make_augmentation`; masks over the 256 bins and the 100
    frames of a volume). Augmentation is off by default. ``class_weight`` weighs the classes in the
    net's loss (and the ELM's least squares), balanced by default."""
    from ..ensemble import FunctionalsELM
    from ..nets import Kim3DCNN, Kim3DCNNSteps

    net_params = _chain_augment(_named_augment(net_params, "spectral", **KIM_VOLUME_AXES),
                                _frequency_warp(frequency_warp))
    params = dict(module__kernel=tuple(kernel), module__batch_norm=training != "paper",
                  random_state=random_state, class_weight=class_weight, **{**_training(training), **net_params})
    wrapper = "segments" if segment_hop_s is not None else ("steps" if elm else "utterance")
    head = (FunctionalsELM(_net(wrapper, Kim3DCNNSteps, **params), class_weight=class_weight,
                           random_state=random_state)
            if elm else _net(wrapper, Kim3DCNN, **params))
    return ser_pipeline([
        ("features", KimSpectrogramVolumes(segment_hop_s=segment_hop_s, speaker_norm=speaker_norm,
                                           n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", head),
    ])


def kim_2d_cnn_lstm(kernel=(2, 2), dnn=False, training="small-corpus", class_weight=NET_CLASS_WEIGHT, n_jobs=None,
                    random_state=0, **net_params):
    """2D-CNN-LSTM (``dnn=False``) or 2D-CNN-LSTM-DNN baseline of Kim et al. 2017 on the same maps,
    with the same ``training`` set-up as :func:`kim_3d_cnn` (no batch normalisation) and the same
    named spectral augmentations (off by default) and class weights (balanced by default)."""
    from ..nets import CNN2DLSTM

    net_params = _named_augment(net_params, "spectral", **KIM_VOLUME_AXES)
    return ser_pipeline([
        ("features", KimSpectrogramVolumes(n_jobs=n_jobs)),
        ("scale", BinStandardScaler()),
        ("net", _net("utterance", CNN2DLSTM, module__kernel=tuple(kernel), module__dnn=dnn,
                     random_state=random_state, class_weight=class_weight,
                     **{**_training(training), **net_params})),
    ])


def kim_1d_cnn_lstm(n_cells=128, training="small-corpus", class_weight=NET_CLASS_WEIGHT, n_jobs=None,
                    random_state=0, **net_params):
    """1D-CNN-LSTM baseline (Trigeorgis et al.) of Kim et al. 2017 on 2 s of raw waveform, with the
    same ``training`` set-up as :func:`kim_3d_cnn`. ``augment`` may name waveform augmentations
    (``"speed+noise"``, :func:`~sklearn_ser.estimators.make_augmentation`), applied to each 2 s as
    one waveform; off by default. Classes weighted as :func:`kim_3d_cnn`'s."""
    from ..nets import CNN1DLSTM

    net_params = _named_augment(net_params, "waveform")
    return ser_pipeline([
        ("features", RawSubsequences(n_jobs=n_jobs)),
        ("scale", BinStandardScaler(per_bin=False)),
        ("net", _net("utterance", CNN1DLSTM, module__n_cells=n_cells, random_state=random_state,
                     class_weight=class_weight, **{**_training(training), **net_params})),
    ])


# What the 3D nets needed to transfer across the speakers of a small corpus (per-speaker z-scores,
# every 2 s volume, 2x2x32 kernels, a refit on all of them); the measurements are in docs/kim.md.
_SPEAKER_NORMALISED = (("speaker_norm", True), ("segment_hop_s", 1.0), ("kernel", (2, 2, 32)),
                       ("refit", True))


SYSTEMS = (
    System("kim-3d-cnn-dnn", kim_3d_cnn,
           "Kim 2017: 3D CNN (3 x 4 kernels 2x2x128) + 2 FC 512 on 10x10x256 log-spectrogram volumes"),
    System("kim-3d-cnn-dnn-paper", kim_3d_cnn,
           "kim-3d-cnn-dnn with the paper's training exactly (Adam 3e-3, batch 128, no batch norm, "
           "unweighted classes)",
           (("training", "paper"), ("class_weight", None))),
    System("kim-3d-cnn-dnn-elm", kim_3d_cnn,
           "Kim 2017: 3D CNN (2x2x32), FC series per step, posterior functionals -> ELM",
           (("kernel", (2, 2, 32)), ("elm", True))),
    System("kim-3d-cnn-dnn-spknorm", kim_3d_cnn,
           "kim-3d-cnn-dnn on per-speaker z-scored spectrograms of whole utterances, 2x2x32, "
           "refit on every training speaker, training spectra frequency-warped (VTLP 0.1)",
           _SPEAKER_NORMALISED + (("frequency_warp", 0.1),)),
    System("kim-3d-cnn-dnn-elm-spknorm", kim_3d_cnn,
           "kim-3d-cnn-dnn-elm on per-speaker z-scored spectrograms of whole utterances, dropout 0.2, "
           "refit on every training speaker",
           _SPEAKER_NORMALISED + (("module__dropout", 0.2), ("elm", True))),
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
)
