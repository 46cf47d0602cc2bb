"""The base of the transformers that map each utterance to its features (DESIGN §1, §2).

Without per-speaker steps such a transformer learns nothing: ``fit`` only checks the utterances,
and the tag ``requires_fit=False`` lets :func:`~sklearn_ser.model_selection.evaluate` run it once
for all folds. With ``speaker_norm=True`` it learns the training population's statistics at fit,
the fallback of utterances whose speaker is unknown, enrolled nowhere and has fewer than
``min_utterances`` utterances in the call (:mod:`.speaker`). ``domain_norm=True`` (the functionals
transformers) does the same per recording domain (:mod:`.domain`); with both, an utterance takes
its speaker's statistics where they are at hand, else its domain's, else the population's.
"""
from __future__ import annotations

import importlib.metadata
import sys
import warnings
from collections import Counter
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._parallel import map_utterances
from ..audio import _UtteranceTransformerBase, _is_path, as_utterances, check_no_missing
from .._disk import like
from .domain import domain_column, domains_of, warn_domain_fallback
from .speaker import (
    ENROLLED, FALLBACK, OWN, SpeakerProfile, apply_zscore, average_speaker, check_min_utterances, gain_range,
    known_speakers, require_speakers, rows_of, spoken_rows, statistics_plan, warn_fallback,
    zscore_stats,
)


#: libraries whose version changes what a feature transformer computes
FEATURE_DEPENDENCIES = ("numpy", "scipy", "librosa", "soundfile", "soxr", "numba", "opensmile")
#: parameters that change no utterance's own output (only the z-scoring after it, the speaker
#: plan, whose outcome is an utterance's extra, a size limit, or how the work is run)
NOT_IN_CACHE_KEY = ("n_jobs", "progress", "memory", "speaker_norm", "domain_norm", "min_utterances", "max_output_mb")


@lru_cache(maxsize=None)
def feature_code_version(module=None):
    """A hash of the code that reads audio and computes features (this package's, the module
    ``module`` a subclass lives in, and the versions of :data:`FEATURE_DEPENDENCIES`): a fix, a new
    release or an upgraded library is a new version, and cached features of the old one are not
    reused."""
    package = Path(__file__).resolve().parent.parent
    files = [package / "audio.py", package / "_parallel.py", *sorted((package / "features").rglob("*.py"))]
    source = getattr(sys.modules.get(module), "__file__", None)
    if source and Path(source).resolve() not in files:
        files.append(Path(source).resolve())
    versions = {}
    for name in FEATURE_DEPENDENCIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return joblib.hash([[f.read_bytes() for f in files], versions])


def sample_range(y):
    """(lowest, highest) sample of one waveform."""
    return gain_range([y])


def no_plan(n):
    """The plan of ``n`` utterances that use no group's statistics."""
    return [(FALLBACK, None)] * n


class UtteranceTransformer(_UtteranceTransformerBase):
    """Shared fit/transform/enroll of the utterance transformers.

    A subclass implements ``_compute(X, plan) -> (out, gains)``: its features for the utterances X
    (a dense array or a ragged object array, utterances first), given where each utterance's speaker
    statistics come from (``plan``, see :func:`~.speaker.statistics_plan`), and the gain range it
    used for each speaker planned ``OWN`` (empty without per-speaker gain). ``speaker_norm`` (if the
    subclass has it) z-scores the last axis of the features, and so does ``domain_norm`` (if the
    subclass has it) per recording domain; ``_silence`` is the value of padding, left out of the
    statistics.
    """

    _silence = None

    @property
    def adapts_to_speakers(self):
        """Whether the output of an utterance depends on its speaker's (or domain's) statistics."""
        return self._uses_speakers or self._domain_norm

    @property
    def _uses_speakers(self):
        return bool(getattr(self, "speaker_norm", False)) or getattr(self, "gain_norm", None) == "speaker"

    @property
    def _speaker_norm(self):
        return bool(getattr(self, "speaker_norm", False))

    @property
    def _domain_norm(self):
        return bool(getattr(self, "domain_norm", False))

    @property
    def _zscores(self):
        """Whether the features are z-scored (per speaker or per domain): fit learns a population."""
        return self._speaker_norm or self._domain_norm

    def _plans(self, utts, learning=False):
        """(speaker plan, its speakers that fell back, domain plan) of the utterances ``utts``:
        where each one's speaker and domain statistics come from (:func:`~.speaker.statistics_plan`;
        no enrolment counts while learning)."""
        n = len(utts)
        if self._uses_speakers:
            plan, fell_back = statistics_plan(known_speakers(utts.speakers, n),
                                              {} if learning else getattr(self, "enrolled_", {}),
                                              self._min_utterances())
        else:
            plan, fell_back = no_plan(n), []
        dplan = (statistics_plan(domains_of(utts.meta, n), {} if learning else getattr(self, "enrolled_domains_", {}),
                                 self._min_utterances())[0] if self._domain_norm else no_plan(n))
        return plan, fell_back, dplan

    def _compute(self, X, plan):
        raise NotImplementedError

    def _map(self, func, sources, ids, desc=None, extras=None, collect=list):
        """``func`` over the utterances ``sources``, each decoded in its task, in parallel
        (``n_jobs``), through the per-utterance cache of ``memory`` if there is one; a progress
        bar (``progress``) when there is a ``desc``; the outputs in order, through ``collect``."""
        return map_utterances(func, sources, ids, n_jobs=self.n_jobs, progress=bool(desc) and self.progress,
                              desc=desc, sr=self.sr, extras=extras, memory=getattr(self, "memory", None),
                              key=(self._cache_key(), func.__name__), collect=collect)

    @property
    def _out_of_core(self):
        """Whether a call's output is assembled on disk (:mod:`sklearn_ser._disk`): with a disk cache."""
        return getattr(self, "memory", None) is not None

    def _read_all(self, sources, ids):
        """Read every file among ``sources`` (in parallel, each in its own task) and check its
        samples, before any feature is computed: a silent, NaN or undecodable file among
        thousands is named first. Returns each utterance's sample range (None for an in-memory
        waveform, which was checked on arrival), for gain normalisation."""
        files = [i for i, source in enumerate(sources) if _is_path(source)]
        ranges = [None] * len(sources)
        for i, extremes in zip(files, self._map(sample_range, [sources[i] for i in files], [ids[i] for i in files])):
            ranges[i] = extremes
        return ranges

    def _cache_key(self):
        """What an utterance's cached output depends on besides its audio: this class, the
        parameters that change the output, and the code that computes it."""
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in NOT_IN_CACHE_KEY}
        return (type(self).__module__, type(self).__qualname__, feature_code_version(type(self).__module__),
                joblib.hash(params))

    def _min_utterances(self):
        return check_min_utterances(getattr(self, "min_utterances", 2))

    def fit(self, X, y=None):
        super().fit(X, y)  # the utterances and labels, checked cheaply before any work
        if self._zscores:
            self.fit_transform(X)
            return self
        self.enrolled_, self.enrolled_domains_ = {}, {}
        return self

    def fit_transform(self, X, y=None, **fit_params):
        if y is not None:  # a Pipeline's fit comes here, not to fit
            check_no_missing(np.asarray(y), "label", as_utterances(X).ids)
        self.enrolled_, self.enrolled_domains_ = {}, {}
        if not self._zscores:
            return self.transform(X)  # transform checks every utterance itself
        utts = as_utterances(X)
        speakers = known_speakers(utts.speakers, len(utts))
        if self._speaker_norm:
            require_speakers(speakers, f"{type(self).__name__}(speaker_norm=True).fit")
        plan, fell_back, dplan = self._plans(utts, learning=True)
        self.__dict__.pop("gain_widening_", None)
        self._learning = True  # lets _compute learn what the fallback needs from the training speakers
        try:
            out, _ = self._compute(X, plan)
        finally:
            del self._learning
        own, own_domains = self._own_statistics(out, plan, dplan)
        # the population is the average speaker (or, without speaker_norm, the average domain) with
        # statistics of its own, or of every speaker (domain) if none has
        grouping = plan if self._speaker_norm else dplan
        basis = (own if self._speaker_norm else own_domains) or self._own_zscores(out, grouping, FALLBACK)
        self.population_ = average_speaker(basis.values())
        self.n_training_speakers_ = len(set(speakers))
        self._warn(fell_back, plan, dplan)
        return self._zscore(out, plan, own, dplan, own_domains)

    def transform(self, X):
        if self._zscores:
            check_is_fitted(self, "population_")
        utts = as_utterances(X)
        plan, fell_back, dplan = self._plans(utts)
        out, _ = self._compute(X, plan)
        self._warn(fell_back, plan, dplan)
        if not self._zscores:
            return out
        own, own_domains = self._own_statistics(out, plan, dplan)
        return self._zscore(out, plan, own, dplan, own_domains)

    def enroll(self, X):
        """Store the statistics of each speaker in X (a DataFrame with ``audio`` and ``speaker``),
        and with ``domain_norm`` of each domain (its ``domain`` or ``corpus`` column), replacing
        any earlier ones: those speakers' (domains') utterances are then normalised with them
        however few share a call. See :func:`sklearn_ser.features.enroll` for whole models."""
        if not self.adapts_to_speakers:
            raise ValueError(f"{type(self).__name__} has no per-speaker step to enroll speakers in")
        if self._zscores:
            check_is_fitted(self, "population_")
        utts = as_utterances(X)
        speakers = known_speakers(utts.speakers, len(utts))
        domains = self._enrolment_domains(utts)
        if self._uses_speakers:
            require_speakers(speakers, f"{type(self).__name__}.enroll")
            _warn_few(speakers, self._min_utterances(), "speaker")
        plan = [(OWN, s) for s in speakers]
        out, gains = self._compute(X, plan)
        if self._uses_speakers:
            zscores = self._own_zscores(out, plan) if self._speaker_norm else {}
            enrolled = dict(getattr(self, "enrolled_", {}))
            for s in set(speakers):
                enrolled[s] = SpeakerProfile(gain=gains.get(s), zscore=zscores.get(s))
            self.enrolled_ = enrolled
        if domains is not None:
            _warn_few(domains, self._min_utterances(), "domain")
            self.enrolled_domains_ = {**getattr(self, "enrolled_domains_", {}),
                                      **self._own_zscores(out, [(OWN, d) for d in domains])}
        return self

    def _enrolment_domains(self, utts):
        """The domains an enrolment stores (None: none): with ``domain_norm``, those of X's domain
        column, which a domain-only step requires (a speaker step without one enrols speakers only)."""
        if not self._domain_norm:
            return None
        column = domain_column(utts.meta)
        if column is None:
            if self._uses_speakers:
                return None
            raise ValueError(f"{type(self).__name__}(domain_norm=True).enroll needs the domain of every utterance: "
                             "a DataFrame X with a 'domain' or 'corpus' column")
        domains = domains_of(utts.meta, len(utts))
        if any(d is None for d in domains):
            raise ValueError(f"{type(self).__name__}.enroll: the {column!r} column has missing values")
        return domains

    def _own_statistics(self, out, plan, dplan):
        """(speaker -> statistics, domain -> statistics) over the utterances planned ``OWN`` in
        ``plan`` and ``dplan``, each empty unless its normalisation is on."""
        return (self._own_zscores(out, plan) if self._speaker_norm else {},
                self._own_zscores(out, dplan) if self._domain_norm else {})

    def _own_zscores(self, out, plan, source=OWN):
        """Each speaker's statistics over its utterances planned ``source``."""
        # a bin that does not vary among a speaker's utterances takes the population's scale
        flat = getattr(self, "population_", None)
        return {s: zscore_stats([spoken_rows(out[i], self._silence) for i in rows],
                                1.0 if flat is None else flat.scale)
                for s, rows in rows_of(plan, source).items()}

    def _zscore(self, out, plan, own, dplan, own_domains):
        """``out`` with each utterance z-scored by its speaker's statistics (speaker_norm) where at
        hand, else its domain's (domain_norm) where at hand, else the population's; on disk if
        ``out`` is."""
        def scored(i):
            stats = self._speaker_stats(plan[i], own) if self._speaker_norm else None
            if stats is None and self._domain_norm:
                stats = _group_stats(dplan[i], own_domains, self.enrolled_domains_)
            return apply_zscore(out[i], self.population_ if stats is None else stats)

        return like(out, (scored(i) for i in range(len(out))))

    def _speaker_stats(self, planned, own):
        kind, speaker = planned
        return self.enrolled_[speaker].zscore if kind == ENROLLED else own[speaker] if kind == OWN else None

    def _warn(self, fell_back, plan, dplan):
        """One warning for the speakers, one for the domains, whose utterances fell back."""
        if self._uses_speakers:
            instead = []
            if self._speaker_norm:
                instead.append("z-scored with their domain's statistics where it has enough utterances, else "
                               "the training population's" if self._domain_norm
                               else "z-scored with the training population's statistics")
            if getattr(self, "gain_norm", None) == "speaker":
                instead.append("gain-normalised on their own range")
            warn_fallback(fell_back, self._min_utterances(), " and ".join(instead))
        if self._domain_norm:  # the utterances that reach their domain's statistics and find none
            reached = [d for (kind, _), (dkind, d) in zip(plan, dplan)
                       if dkind == FALLBACK and (kind == FALLBACK or not self._speaker_norm)]
            warn_domain_fallback(reached, self._min_utterances())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # float32 out, or ragged: an object array of float32 stacks
        tags.requires_fit = self._zscores
        return tags


def _group_stats(planned, own, enrolled):
    """The statistics a plan entry ``(source, group)`` points at, None for the fallback."""
    kind, group = planned
    return enrolled[group] if kind == ENROLLED else own[group] if kind == OWN else None


def _warn_few(groups, min_utterances, what):
    few = sorted(g for g, n in Counter(groups).items() if n < min_utterances)
    if few:
        warnings.warn(f"enrolling {what}(s) {', '.join(map(repr, few))} on fewer than "
                      f"min_utterances={min_utterances} utterances: their statistics are rough",
                      UserWarning, stacklevel=3)
