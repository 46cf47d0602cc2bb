"""The base of the transformers that map each utterance to its features (DESIGN §1, §2).

Without per-speaker steps such a transformer learns nothing: ``fit`` only checks the utterances,
and the tag ``requires_fit=False`` lets :func:`~sklearn_ser.model_selection.evaluate` run it once
for all folds. With ``speaker_norm=True`` it learns the training population's statistics at fit,
the fallback of utterances whose speaker is unknown, enrolled nowhere and has fewer than
``min_utterances`` utterances in the call (:mod:`.speaker`).
"""
from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..audio import _UtteranceTransformerBase, as_utterances, check_no_missing
from .speaker import (
    ENROLLED, FALLBACK, OWN, SpeakerProfile, apply_zscore, average_speaker, check_min_utterances,
    known_speakers, require_speakers, rows_of, spoken_rows, statistics_plan, warn_fallback,
    zscore_stats,
)


class UtteranceTransformer(_UtteranceTransformerBase):
    """Shared fit/transform/enroll of the utterance transformers.

    A subclass implements ``_compute(X, plan) -> (out, gains)``: its features for the utterances X
    (a dense array or a ragged object array, utterances first), given where each utterance's speaker
    statistics come from (``plan``, see :func:`~.speaker.statistics_plan`), and the gain range it
    used for each speaker planned ``OWN`` (empty without per-speaker gain). ``speaker_norm`` (if the
    subclass has it) z-scores the last axis of the features; ``_silence`` is the value of padding,
    left out of the statistics.
    """

    _silence = None

    @property
    def adapts_to_speakers(self):
        """Whether the output of an utterance depends on its speaker's statistics."""
        return bool(getattr(self, "speaker_norm", False)) or getattr(self, "gain_norm", None) == "speaker"

    def _compute(self, X, plan):
        raise NotImplementedError

    def _min_utterances(self):
        return check_min_utterances(getattr(self, "min_utterances", 2))

    def fit(self, X, y=None):
        super().fit(X, y)  # the utterances and labels, checked cheaply before any work
        if getattr(self, "speaker_norm", False):
            self.fit_transform(X)
            return self
        self.enrolled_ = {}
        return self

    def fit_transform(self, X, y=None, **fit_params):
        if y is not None:  # a Pipeline's fit comes here, not to fit
            check_no_missing(np.asarray(y), "label", as_utterances(X).ids)
        self.enrolled_ = {}
        if not getattr(self, "speaker_norm", False):
            return self.transform(X)  # transform checks every utterance itself
        utts = as_utterances(X)
        speakers = known_speakers(utts.speakers, len(utts))
        require_speakers(speakers, f"{type(self).__name__}(speaker_norm=True).fit")
        plan, fell_back = statistics_plan(speakers, {}, self._min_utterances())
        self.__dict__.pop("gain_widening_", None)
        self._learning = True  # lets _compute learn what the fallback needs from the training speakers
        try:
            out, _ = self._compute(X, plan)
        finally:
            del self._learning
        own = self._own_zscores(out, plan)
        # the population is the speakers with statistics of their own, or every speaker if none has
        basis = own or self._own_zscores(out, plan, FALLBACK)
        self.population_ = average_speaker(basis.values())
        self.n_training_speakers_ = len(set(speakers))
        self._warn(fell_back)
        return self._zscore(out, plan, own)

    def transform(self, X):
        if getattr(self, "speaker_norm", False):
            check_is_fitted(self, "population_")
        utts = as_utterances(X)
        enrolled = getattr(self, "enrolled_", {})
        if self.adapts_to_speakers:
            plan, fell_back = statistics_plan(known_speakers(utts.speakers, len(utts)), enrolled,
                                              self._min_utterances())
        else:
            plan, fell_back = [(FALLBACK, None)] * len(utts), []
        out, _ = self._compute(X, plan)
        self._warn(fell_back)
        if not getattr(self, "speaker_norm", False):
            return out
        return self._zscore(out, plan, self._own_zscores(out, plan))

    def enroll(self, X):
        """Store the statistics of each speaker in X (a DataFrame with ``audio`` and ``speaker``),
        replacing any earlier ones: those speakers' utterances are then normalised with them
        however few share a call. See :func:`sklearn_ser.features.enroll` for whole models."""
        if not self.adapts_to_speakers:
            raise ValueError(f"{type(self).__name__} has no per-speaker step to enroll speakers in")
        if getattr(self, "speaker_norm", False):
            check_is_fitted(self, "population_")
        utts = as_utterances(X)
        speakers = known_speakers(utts.speakers, len(utts))
        require_speakers(speakers, f"{type(self).__name__}.enroll")
        few = sorted(s for s, n in Counter(speakers).items() if n < self._min_utterances())
        if few:
            warnings.warn(f"enrolling speaker(s) {', '.join(map(repr, few))} on fewer than "
                          f"min_utterances={self._min_utterances()} utterances: their statistics are "
                          "rough", UserWarning, stacklevel=2)
        plan = [(OWN, s) for s in speakers]
        out, gains = self._compute(X, plan)
        zscores = self._own_zscores(out, plan) if getattr(self, "speaker_norm", False) else {}
        enrolled = dict(getattr(self, "enrolled_", {}))
        for s in set(speakers):
            enrolled[s] = SpeakerProfile(gain=gains.get(s), zscore=zscores.get(s))
        self.enrolled_ = enrolled
        return self

    def _own_zscores(self, out, plan, source=OWN):
        """Each speaker's statistics over its utterances planned ``source``."""
        # a bin that does not vary among a speaker's utterances takes the population's scale
        flat = getattr(self, "population_", None)
        return {s: zscore_stats([spoken_rows(out[i], self._silence) for i in rows],
                                1.0 if flat is None else flat.scale)
                for s, rows in rows_of(plan, source).items()}

    def _zscore(self, out, plan, own):
        out = out.copy()
        for i, (kind, speaker) in enumerate(plan):
            stats = (self.enrolled_[speaker].zscore if kind == ENROLLED
                     else own[speaker] if kind == OWN else self.population_)
            out[i] = apply_zscore(out[i], stats)
        return out

    def _warn(self, fell_back):
        if not self.adapts_to_speakers:
            return
        instead = []
        if getattr(self, "speaker_norm", False):
            instead.append("z-scored with the training population's statistics")
        if getattr(self, "gain_norm", None) == "speaker":
            instead.append("gain-normalised on their own range")
        warn_fallback(fell_back, self._min_utterances(), " and ".join(instead))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # float32 out, or ragged: an object array of float32 stacks
        tags.requires_fit = bool(getattr(self, "speaker_norm", False))
        return tags
