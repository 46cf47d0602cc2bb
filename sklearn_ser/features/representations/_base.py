"""What the representations share: reading and checking the utterances, the size check, the
per-utterance map and assembly (:class:`_Representation`), min-max gain normalisation per speaker
or utterance (:class:`_GainNormalised`), the silence value that pads, and the delta operator.
"""
from __future__ import annotations

from functools import lru_cache

import librosa
import numpy as np

from ..._parallel import map_utterances
from ...audio import load_utterances
from ...exceptions import InvalidUtteranceError
from ..base import UtteranceTransformer
from ..segments import ragged
from ..speaker import ENROLLED, OWN, apply_gain_range, gain_range, rows_of
from ..spectral import AMIN, pad_end


_SILENCE_DB = float(10.0 * np.log10(AMIN))  # the dB value of zero power: pad value


@lru_cache(maxsize=8)
def delta_operator(n_frames, width):
    """librosa.feature.delta (Savitzky-Golay, 'interp' edges) along a segment of ``n_frames``
    frames is linear: these two ``(n_frames, n_frames)`` matrices give the first and second order,
    so the deltas of all segments are two matmuls. Built by running librosa on the identity."""
    eye = np.eye(n_frames)
    return tuple(
        np.ascontiguousarray(librosa.feature.delta(eye, width=width, order=k, axis=-1), dtype=np.float32)
        for k in (1, 2)
    )


class _Representation(UtteranceTransformer):
    """Shared computation: load and check, size check, (optionally) normalise gain, map, assemble."""

    _ragged = True  # one array of segments per utterance; False: a dense stack

    def output_shape(self, n_samples):
        """Shape of one utterance's representation, from its length in samples."""
        raise NotImplementedError

    def _one(self, item):
        raise NotImplementedError

    def _prepare(self, waves, plan):
        """The items handed to :meth:`_one`, one per utterance (the waveforms by default), and the
        gain range of each speaker planned ``OWN`` (none by default)."""
        return waves, {}

    def _compute(self, X, plan):
        waves, utts = load_utterances(X, sr=self.sr, n_jobs=self.n_jobs)
        limit = self.max_output_mb * 2**20
        for y, uid in zip(waves, utts.ids):
            size = 4 * int(np.prod(self.output_shape(len(y))))
            if size > limit:
                raise InvalidUtteranceError(
                    uid, f"{len(y) / self.sr:.0f} s of audio gives {size / 2**20:.0f} MB of "
                    f"{type(self).__name__} features, above max_output_mb={self.max_output_mb}; "
                    "cut long recordings into utterances first",
                )
        items, gains = self._prepare(waves, plan)
        # one utterance at a time: its frames stay in cache (batching utterances was slower)
        rows = map_utterances(self._one, items, utts.ids, n_jobs=self.n_jobs,
                              progress=self.progress, desc=type(self).__name__)
        return (ragged(rows) if self._ragged else np.stack(rows)), gains


def _span(gain):
    return gain[1] - gain[0]


def _widen(gain, factor):
    """``gain`` (low, high) stretched by ``factor`` about its centre."""
    centre, half = (gain[0] + gain[1]) / 2, factor * _span(gain) / 2
    return (centre - half, centre + half)


class _GainNormalised(_Representation):
    """Min-max gain normalisation (per speaker or utterance), then trim or zero-pad to ``duration_s``.

    Per speaker: the range of the speaker's enrolled audio, else of its utterances in the call if
    there are ``min_utterances``, else the utterance's own range (a lone utterance stands for its
    speaker), widened when the transformer was fitted with ``speaker_norm=True`` by the median
    ratio of a training speaker's range to its utterances' (``gain_widening_``), so that a lone
    utterance lands on the scale of the training speakers."""

    def _prepare(self, waves, plan):
        if self.gain_norm not in ("speaker", "utterance", None):
            raise ValueError(f"gain_norm must be 'speaker', 'utterance' or None, got {self.gain_norm!r}")
        if self.gain_norm is None:
            return [(y, None) for y in waves], {}
        ranges = [gain_range([y]) for y in waves]
        gains = {}
        if self.gain_norm == "speaker":
            gains = {s: gain_range([waves[i] for i in rows]) for s, rows in rows_of(plan, OWN).items()}
            if getattr(self, "_learning", False):  # fit: how much wider a speaker's range is than one utterance's
                ratios = [_span(gains[s]) / _span(ranges[i]) for i, (kind, s) in enumerate(plan)
                          if kind == OWN and _span(ranges[i]) > 0]
                self.gain_widening_ = float(np.median(ratios)) if ratios else 1.0
            widening = getattr(self, "gain_widening_", 1.0)
            for i, (kind, speaker) in enumerate(plan):
                if kind == ENROLLED:
                    ranges[i] = self.enrolled_[speaker].gain
                elif kind == OWN:
                    ranges[i] = gains[speaker]
                else:
                    ranges[i] = _widen(ranges[i], widening)
        return list(zip(waves, ranges)), gains

    def _fixed_length(self, item):
        """Trim, normalise the gain (only the samples kept), then pad with silence."""
        y, gain_range = item
        n = int(round(self.duration_s * self.sr))
        y = y[:n]
        if gain_range is not None:
            y = apply_gain_range(y, *gain_range)
        return pad_end(y, n)
