"""Latif et al. 2017: latent codes of 100 ms log-mel segments learnt by an autoencoder (AE), a
variational autoencoder (VAE) or a conditional VAE (CVAE), classified as a sequence by an LSTM."""
from __future__ import annotations

from ..features import LatifLogMelSegments
from ._presets import NET_CLASS_WEIGHT, _check_net_params, _check_no_augment_names, ser_pipeline
from ._registry import System

AUTOENCODERS = ("ae", "vae", "cvae")


def latif_lstm(autoencoder="vae", latent_size=128, hidden=(512, 256), output="mean_logvar",
               condition="marginal", encoder_epochs=40, encoder_batch_size=256, tol=0.0,
               class_weight=NET_CLASS_WEIGHT, n_jobs=None, random_state=0, **net_params):
    """Latif et al. 2017: each utterance's 100 ms log-mel segments (80 bands x 10 frames = 800
    values) -> the codes of an autoencoder fitted on the training segments only -> two LSTM
    layers over the utterance's sequence of codes -> a dense projection -> softmax.

    autoencoder : {"ae", "vae", "cvae"}
        :class:`~sklearn_ser.estimators.AEEncoder`, :class:`~sklearn_ser.estimators.VAEEncoder`
        or :class:`~sklearn_ser.estimators.CVAEEncoder` (conditioned on the training labels).
    latent_size, hidden : 128, (512, 256)
        The paper's shape: 800 -> 512 -> 256 -> latent (its Fig. 2 sweeps 32 ... 512).
    output : {"mean_logvar", "mean"}
        What the VAEs hand the LSTM per segment: the posterior's mean and log-variance (the
        paper's "parameters of the distribution", 2 x latent_size values) or its mean. The AE has
        one code.
    condition : {"marginal", "zeros", "predicted"}
        The CVAE's label-free encoding at transform (see :class:`~sklearn_ser.estimators.CVAEEncoder`).
    encoder_epochs, encoder_batch_size, tol : 40, 256, 0.0
        The encoder's ``max_epochs``, ``batch_size`` (segments) and stopping threshold on its
        training reconstruction error (0: train ``encoder_epochs``); Adam with the paper's
        settings (lr 1e-3, betas (0.999, 0.99), eps 1e-8).
    class_weight : "balanced" (default), None or dict
        The classes' weights in the LSTM's loss.
    net_params :
        :class:`~sklearn_ser.estimators.LatentLSTMClassifier`'s parameters (``max_epochs=20``,
        ``lr=1e-3``, ``batch_size=32``, ``patience=5``, ``module__n_cells=128``,
        ``module__n_hidden=0``, ``device``...); ``device`` applies to the encoder too.
    """
    from ..estimators import AEEncoder, CVAEEncoder, LatentLSTMClassifier, VAEEncoder
    from ..nets import LatifLSTM

    if autoencoder not in AUTOENCODERS:
        raise ValueError(f"autoencoder must be one of {AUTOENCODERS}, got {autoencoder!r}")
    _check_net_params(LatentLSTMClassifier, LatifLSTM, net_params)
    _check_no_augment_names(net_params, "Latif's LSTM reads sequences of latent codes")
    shared = dict(latent_size=latent_size, hidden=tuple(hidden), batch_size=encoder_batch_size,
                  max_epochs=encoder_epochs, tol=tol, random_state=random_state,
                  device=net_params.get("device", "cpu"))
    if autoencoder == "ae":
        encoder = AEEncoder(**shared)
    elif autoencoder == "vae":
        encoder = VAEEncoder(output=output, **shared)
    else:
        encoder = CVAEEncoder(output=output, condition=condition, **shared)
    return ser_pipeline([
        ("features", LatifLogMelSegments(n_jobs=n_jobs)),
        ("encoder", encoder),
        ("net", LatentLSTMClassifier(LatifLSTM, random_state=random_state, class_weight=class_weight,
                                     **{"verbose": 0, **net_params})),
    ])


SYSTEMS = (
    System("latif-ae-lstm", latif_lstm,
           "Latif 2017: autoencoder codes (800-512-256-128) of 100 ms log-mel segments -> 2 x LSTM",
           (("autoencoder", "ae"),)),
    System("latif-vae-lstm", latif_lstm,
           "Latif 2017: VAE posterior means and log-variances (latent 128) of 100 ms log-mel segments "
           "-> 2 x LSTM", (("autoencoder", "vae"),)),
    System("latif-cvae-lstm", latif_lstm,
           "Latif 2017: label-conditioned VAE (at test, mixed over the classes by their priors) of "
           "100 ms log-mel segments -> 2 x LSTM", (("autoencoder", "cvae"),)),
)
