"""Flag utterances far outside the training audio instead of answering them confidently.

A classifier answers anything: white noise, a DC offset or a clipped recording get a label and a
probability like speech does. :class:`NoveltyCheck` describes each utterance by a small set of
acoustic statistics that every system's input shares (the level and spread of 40 log-mel bands,
loudness percentiles, spectral flatness, zero crossings, clipping, DC offset), learns at fit how far
training utterances lie from the training mean (two ways: over all statistics, and in the one
that moved most), and flags an utterance more than ``factor`` times as far as the ``quantile`` of
the training utterances, either way. The statistics are computed from the audio,
not from a system's features, because gain-normalised spectrogram volumes make noise look like
speech to a distance in feature space.

:class:`SERPipeline`, the Pipeline of every registered system, fits one at ``fit`` and checks every
utterance it predicts: a warning naming the flagged ones (``novelty__on_outlier="warn"``, the
default), an error (``"raise"``), or nothing (``"ignore"``; ``novelty=None`` skips the check).
"""
from __future__ import annotations

import warnings
from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._parallel import map_utterances
from .audio import DEFAULT_SR, as_utterances, checked_sources
from .exceptions import OutlierUtteranceError, OutlierWarning

ON_OUTLIER = ("warn", "raise", "ignore")
N_MELS = 40
_BLOCK_S = 60  # seconds of audio analysed at once: bounded memory for hour-long recordings


def audio_descriptor(y, sr=DEFAULT_SR):
    """Acoustic statistics of one waveform, float64 ``(2 * N_MELS + 8,)``, independent of its
    level (a quiet recording of speech is still speech): mean of each log-mel band relative to the
    median frame loudness and standard deviation of each band (dB); 10th and 90th percentiles of
    the frame loudness relative to its median; mean spread of a frame's bands (dB) and mean
    spectral flatness; zero-crossing rate; share of clipped samples (|y| >= 0.99); DC offset and
    crest factor relative to the RMS. Computed a minute at a time, so an hour-long recording needs
    no more memory than a minute."""
    from .features.spectral import log_mel_spectrogram

    block = _BLOCK_S * sr
    total, squares, n_frames = np.zeros(N_MELS), np.zeros(N_MELS), 0
    loudness, spread, flatness = [], [], []
    crossings = clipped = 0
    level = energy = 0.0
    for start in range(0, len(y), block):
        part = y[start:start + block + 1]  # one sample of overlap: the crossing at the seam
        mel = log_mel_spectrogram(part[:block], sr=sr, n_mels=N_MELS).astype(np.float64)
        total += mel.sum(axis=0)
        squares += np.square(mel).sum(axis=0)
        n_frames += len(mel)
        loudness.append(mel.mean(axis=1))
        spread.append(mel.std(axis=1))
        flatness.append(_flatness(mel))
        crossings += int(np.count_nonzero(np.diff(np.signbit(part))))
        part = part[:block].astype(np.float64)
        clipped += int(np.count_nonzero(part >= 0.99) + np.count_nonzero(part <= -0.99))
        level += float(part.sum())
        energy += float(np.dot(part, part))
    mean = total / n_frames
    std = np.sqrt(np.maximum(squares / n_frames - mean**2, 0.0))
    low, median, high = np.percentile(np.concatenate(loudness), [10, 50, 90])
    rms = np.sqrt(energy / len(y)) + 1e-12
    peak = max(float(y.max()), -float(y.min()))
    return np.concatenate([mean - median, std, [
        low - median, high - median,
        float(np.mean(np.concatenate(spread))),
        float(np.mean(np.concatenate(flatness))),
        crossings / max(len(y) - 1, 1),
        clipped / len(y),
        level / len(y) / rms,
        20 * np.log10(peak / rms + 1e-12),
    ]])


def _flatness(mel_db):
    """Spectral flatness of each frame over the mel bands: geometric over arithmetic mean of the
    power (1 for white noise, near 0 for a tone)."""
    log_power = mel_db * (np.log(10.0) / 10.0)
    top = log_power.max(axis=1, keepdims=True)
    arithmetic = np.log(np.exp(log_power - top).mean(axis=1)) + top[:, 0]
    return np.exp(log_power.mean(axis=1) - arithmetic)


def distances_from_training(descriptors, mean, scale):
    """Each row's distance from the training mean in training standard deviations, two ways:
    the root mean square over the statistics (a shift of many) and the largest (a shift of one,
    such as a DC offset); infinite for a non-finite row."""
    z = np.abs((descriptors - mean) / scale)
    with np.errstate(over="ignore", invalid="ignore"):
        rms, largest = np.sqrt(np.mean(z * z, axis=1)), z.max(axis=1)
    finite = np.isfinite(rms) & np.isfinite(largest)
    return np.where(finite, rms, np.inf), np.where(finite, largest, np.inf)


def _scale(std, mean):
    # a statistic constant in training (no clipping at all) still has a scale: any change is news
    return np.maximum(std, 1e-3 * (1.0 + np.abs(mean)))


class NoveltyCheck(OutlierMixin, BaseEstimator):
    """Flag utterances whose audio is far outside the training audio.

    X is a collection of utterances (paths, waveforms, or a DataFrame with an ``audio`` column),
    as everywhere in the library. ``predict`` gives 1 for an inlier and -1 for an outlier, as
    scikit-learn's novelty detectors do; :meth:`check` warns or raises naming the outliers.

    Parameters
    ----------
    factor : float, default=2.0
        An utterance is an outlier when its distance from the training mean exceeds ``factor``
        times the ``quantile`` of the training utterances' distances. On EmoDB's held-out speakers
        the largest distance was 0.7 of that threshold; noise, tones, DC offsets and clipped or
        over-amplified speech were above it.
    quantile : float, default=0.99
    on_outlier : {"warn", "raise", "ignore"}, default="warn"
        What :meth:`check` does with outliers: an :class:`~sklearn_ser.exceptions.OutlierWarning`
        naming them, an :class:`~sklearn_ser.exceptions.OutlierUtteranceError`, or nothing.
    sr : int, default=16000
    n_jobs : int, default=None
        Utterances described in parallel.

    Attributes
    ----------
    mean_, scale_ : ndarray
        Training mean and standard deviation of each statistic.
    thresholds_ : ndarray of shape (2,)
        The distances (root mean square, largest) beyond which an utterance is an outlier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.datasets import make_synthetic_corpus
    >>> from sklearn_ser.novelty import NoveltyCheck
    >>> corpus = make_synthetic_corpus(n_speakers=4, n_per_class=4, random_state=0)
    >>> check = NoveltyCheck().fit(corpus)
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    >>> check.predict([corpus["audio"][0], tone]).tolist()
    [1, -1]
    """

    def __init__(self, factor=2.0, quantile=0.99, on_outlier="warn", sr=DEFAULT_SR, n_jobs=None):
        self.factor = factor
        self.quantile = quantile
        self.on_outlier = on_outlier
        self.sr = sr
        self.n_jobs = n_jobs

    def describe(self, X):
        """The statistics of each utterance of X, ``(n_utterances, n_statistics)``."""
        sources, _, utts = checked_sources(X, sr=self.sr)
        rows = map_utterances(partial(audio_descriptor, sr=self.sr), sources, utts.ids, n_jobs=self.n_jobs, sr=self.sr)
        return np.vstack(rows)

    def fit(self, X, y=None):
        if self.on_outlier not in ON_OUTLIER:
            raise ValueError(f"on_outlier must be one of {ON_OUTLIER}, got {self.on_outlier!r}")
        descriptors = self.describe(X)
        self.mean_ = descriptors.mean(axis=0)
        self.scale_ = _scale(descriptors.std(axis=0), self.mean_)
        # each training utterance measured against the others (leave-one-out mean and scale), as a
        # new utterance is: with few training utterances, in-sample distances would be too short
        n = len(descriptors)
        if n > 2:
            others_mean = (descriptors.sum(axis=0) - descriptors) / (n - 1)
            others_var = (np.square(descriptors).sum(axis=0) - np.square(descriptors)) / (n - 1) - others_mean**2
            scale = _scale(np.sqrt(np.maximum(others_var, 0.0)), others_mean)
            distances = distances_from_training(descriptors, others_mean, scale)
        else:
            distances = distances_from_training(descriptors, self.mean_, self.scale_)
        self.thresholds_ = np.array([max(self.factor * np.quantile(d, self.quantile), 1e-9) for d in distances])
        return self

    def score_samples(self, X):
        """Minus each utterance's distance from the training audio over the threshold (the larger
        of the two distances of :func:`distances_from_training`, each over its own threshold):
        below -1 is an outlier (lower is more abnormal, as in scikit-learn)."""
        check_is_fitted(self)
        rms, largest = distances_from_training(self.describe(X), self.mean_, self.scale_)
        return -np.maximum(rms / self.thresholds_[0], largest / self.thresholds_[1])

    def decision_function(self, X):
        """Negative for outliers."""
        return self.score_samples(X) + 1.0

    def predict(self, X):
        return np.where(self.decision_function(X) < 0, -1, 1)

    def check(self, X):
        """Warn about (or refuse, by ``on_outlier``) the utterances of X far from the training
        audio, naming them as the audio layer does; return the outliers' names."""
        if self.on_outlier == "ignore":
            return []
        # predict reads and checks the utterances; their names need no second pass over the files
        names = [name for name, flag in zip(as_utterances(X).ids, self.predict(X)) if flag < 0]
        if names and self.on_outlier == "raise":
            raise OutlierUtteranceError(names)
        if names:
            warnings.warn(OutlierWarning(names), stacklevel=3)
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class SERPipeline(Pipeline):
    """A scikit-learn Pipeline from raw utterances that also learns, at ``fit``, what its training
    audio is like, and flags the utterances far from it whenever it predicts. Everything else is
    Pipeline's.

    novelty : NoveltyCheck, "auto" or None, default="auto"
        The check fitted on the training utterances (a clone of it); "auto" is ``NoveltyCheck()``,
        None none. The registered systems pass an instance, so that
        ``set_params(novelty__on_outlier="raise")`` refuses such utterances instead of warning.
    """

    def __init__(self, steps, *, novelty="auto", transform_input=None, memory=None, verbose=False):
        super().__init__(steps, transform_input=transform_input, memory=memory, verbose=verbose)
        self.novelty = novelty

    def fit(self, X, y=None, **params):
        super().fit(X, y, **params)
        self.__dict__.pop("novelty_", None)
        if self.novelty is not None:
            self.novelty_ = (NoveltyCheck() if self.novelty == "auto" else clone(self.novelty)).fit(X)
        return self

    def _check(self, X):
        if getattr(self, "novelty_", None) is None or self.novelty is None:
            return
        if isinstance(self.novelty, NoveltyCheck):  # set_params reaches self.novelty, not the fitted clone
            self.novelty_.set_params(on_outlier=self.novelty.on_outlier)
        self.novelty_.check(X)

    def predict(self, X, **params):
        self._check(X)
        return super().predict(X, **params)

    def predict_proba(self, X, **params):
        self._check(X)
        return super().predict_proba(X, **params)

    def predict_log_proba(self, X, **params):
        self._check(X)
        return super().predict_log_proba(X, **params)

    def decision_function(self, X, **params):
        self._check(X)
        return super().decision_function(X, **params)


__all__ = ["NoveltyCheck", "SERPipeline", "audio_descriptor", "distances_from_training"]
