"""What the representations share: reading and checking the utterances, the size check, the
per-utterance map and assembly (:class:`_Representation`), min-max gain normalisation per speaker
or utterance (:class:`_GainNormalised`), the silence value that pads, and the delta operator.
"""
from __future__ import annotations

from functools import lru_cache

import librosa
import numpy as np

from ...audio import checked_sources
from ...exceptions import InvalidUtteranceError
from ..base import UtteranceTransformer, sample_range
from ..._disk import dense_on_disk, ragged_on_disk
from ..segments import ragged
from ..speaker import ENROLLED, OWN, apply_gain_range, rows_of
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

    def _extras(self, sources, ranges, plan):
        """What :meth:`_one` receives beside each waveform (None: the waveform alone), and the gain
        range of each speaker planned ``OWN`` (none by default), from each utterance's sample range
        (None for an in-memory waveform: :meth:`_read_all`)."""
        return None, {}

    def _compute(self, X, plan):
        sources, lengths, utts = checked_sources(X, sr=self.sr)
        limit = self.max_output_mb * 2**20
        for n, uid in zip(lengths, utts.ids):
            size = 4 * int(np.prod(self.output_shape(n)))
            if size > limit:
                raise InvalidUtteranceError(
                    uid, f"{n / self.sr:.0f} s of audio gives {size / 2**20:.0f} MB of "
                    f"{type(self).__name__} features, above max_output_mb={self.max_output_mb}; "
                    "cut long recordings into utterances first",
                )
        extras, gains = self._extras(sources, self._read_all(sources, utts.ids), plan)
        # one utterance at a time, decoded in its task: its frames stay in cache (batching
        # utterances was slower), and no corpus's audio is held or shipped at once
        if self._out_of_core:  # written to a file as the workers return them
            collect = ragged_on_disk if self._ragged else dense_on_disk
        else:
            collect = ragged if self._ragged else (lambda rows: np.stack(list(rows)))
        return self._map(self._one, sources, utts.ids, desc=type(self).__name__, extras=extras,
                         collect=collect), gains


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

    def _extras(self, sources, ranges, plan):
        """Each utterance's gain range (low, high), or None: its own range, or with per-speaker gain
        its speaker's (enrolled, or over its utterances planned ``OWN``), else its own widened; the
        ranges of files come from the first pass that read every file (``ranges``)."""
        if self.gain_norm not in ("speaker", "utterance", None):
            raise ValueError(f"gain_norm must be 'speaker', 'utterance' or None, got {self.gain_norm!r}")
        if self.gain_norm is None:
            return [None] * len(sources), {}
        ranges = [sample_range(source) if r is None else r for source, r in zip(sources, ranges)]
        if self.gain_norm == "utterance":
            return ranges, {}
        gains = {s: _combine([ranges[i] for i in rows]) for s, rows in rows_of(plan, OWN).items()}
        if getattr(self, "_learning", False):  # fit: how much wider a speaker's range is than one utterance's
            ratios = [_span(gains[s]) / _span(ranges[i]) for i, (kind, s) in enumerate(plan)
                      if kind == OWN and _span(ranges[i]) > 0]
            self.gain_widening_ = float(np.median(ratios)) if ratios else 1.0
        widening = getattr(self, "gain_widening_", 1.0)
        extras = [self.enrolled_[speaker].gain if kind == ENROLLED else gains[speaker] if kind == OWN
                  else _widen(ranges[i], widening) for i, (kind, speaker) in enumerate(plan)]
        return extras, gains

    def _fixed_length(self, item):
        """Trim, normalise the gain (only the samples kept), then pad with silence."""
        y, gain_range = item
        n = int(round(self.duration_s * self.sr))
        y = y[:n]
        if gain_range is not None:
            y = apply_gain_range(y, *gain_range)
        return pad_end(y, n)


def _combine(ranges):
    """The range of several utterances from each one's range."""
    return (min(low for low, _ in ranges), max(high for _, high in ranges))
