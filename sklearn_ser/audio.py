"""Reading, resampling and validating utterances (DESIGN §1: the data contract).

X entering a pipeline is a collection of utterances: file paths, in-memory waveforms, or a DataFrame
with an ``audio`` column plus metadata. :func:`as_utterances` turns any of them into one list of
sources and the metadata. :func:`checked_sources` checks every file's header and every in-memory
waveform; the feature transformers then read and check every file's samples in a first parallel
pass (:func:`decode`, each file in its own task), before any feature is computed, so a bad file
among thousands is named before heavy work starts, and decode each file again in the task that
computes its features: no corpus's audio is held at once, and only paths travel to workers.
:func:`load_utterances` reads and checks them all into memory, for those who want the waveforms.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile as sf
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin

from ._disk import take
from .exceptions import InvalidUtteranceError

DEFAULT_SR = 16000
#: Longest utterance accepted, in seconds. Longer recordings should be segmented first
#: (a one-hour file is ~230 MB as float32 at 16 kHz; beyond that memory is the user's call).
MAX_DURATION_S = 3600.0
#: Shortest utterance accepted, in seconds: a 1-sample or 10 ms file is no utterance (a syllable
#: lasts about 0.2 s); kept low so that short interjections still pass.
MIN_DURATION_S = 0.1
#: Largest sample magnitude accepted. Audio is read in [-1, 1] (integer PCM scaled by its range);
#: samples beyond this bound are at the wrong scale (e.g. 16-bit values stored as floats).
MAX_ABS_SAMPLE = 100.0
#: Sample rates a file header may declare, in Hz.
SAMPLE_RATE_RANGE = (1000, 384000)


@dataclass(frozen=True)
class Utterances:
    """Normalised view of X: one source (path or waveform) and one id per utterance."""

    sources: list
    ids: list
    meta: pd.DataFrame | None  # the input DataFrame, when X was one

    def __len__(self):
        return len(self.sources)

    @property
    def speakers(self):
        """Speaker of each utterance, or None when X carries no ``speaker`` column."""
        if self.meta is None or "speaker" not in self.meta.columns:
            return None
        return self.meta["speaker"].to_numpy()


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def take_utterances(X, idx):
    """The utterances ``idx`` of a collection: DataFrame/Series rows, array rows or list items."""
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[idx]
    if isinstance(X, np.ndarray):  # a dense X on disk stays there
        return take(X, idx)
    if hasattr(X, "__array__") and not isinstance(X, (list, tuple)):  # array-likes such as _NotAnArray
        return np.asarray(X)[idx]
    return [X[i] for i in idx]


def as_utterances(X) -> Utterances:
    """Normalise any accepted form of X (DESIGN §1) into :class:`Utterances`.

    Accepted: a 1-D sequence of paths and/or 1-D waveforms, a 2-D float array (one equal-length
    waveform per row), a Series of those, or a DataFrame with an ``audio`` column.
    """
    meta = None
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError("X is a sparse matrix; audio must be dense waveforms or file paths")
    if isinstance(X, pd.DataFrame):
        if "audio" not in X.columns:
            raise ValueError(
                "a DataFrame X needs an 'audio' column of file paths or waveforms; "
                f"got columns {list(X.columns)}"
            )
        meta = X
        values = list(X["audio"])
        labels = [f"row {idx!r}" for idx in X.index]
    elif isinstance(X, pd.Series):
        values = list(X)
        labels = [f"row {idx!r}" for idx in X.index]
    elif isinstance(X, (str, os.PathLike)):
        raise TypeError("X must be a collection of utterances, not a single path; wrap it in a list")
    else:
        if hasattr(X, "__array__") and not isinstance(X, np.ndarray):
            X = np.asarray(X)
        if isinstance(X, np.ndarray) and X.ndim == 2:
            if X.shape[1] == 0:
                raise ValueError(
                    f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required: "
                    "every waveform has 0 samples"
                )
            values = list(X)  # one equal-length waveform per row
        elif isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype != object and X.dtype.kind not in "US":
            raise ValueError(
                "X is a 1-D numeric array: that is one waveform, not a collection of utterances. "
                "Reshape your data: pass [waveform] for a single utterance"
            )
        elif isinstance(X, np.ndarray) and X.ndim != 1:
            raise ValueError(
                "X must be a 1-D collection of utterances (paths or waveforms) or a 2-D array of "
                f"equal-length waveforms; got an array of shape {X.shape}"
            )
        else:
            try:
                values = list(X)
            except TypeError:
                raise TypeError(f"X must be a collection of utterances; got {type(X).__name__}") from None
        labels = [f"utterance #{i}" for i in range(len(values))]
    ids = [str(v) if _is_path(v) else label for v, label in zip(values, labels)]
    return Utterances(sources=values, ids=ids, meta=meta)


def check_waveform(y, utterance_id: str, sr: int | None = None) -> np.ndarray:
    """Return ``y`` as a float32 1-D array, or raise naming the utterance and the problem.

    Integer samples are scaled by their type's range (int16 by 32768), as a PCM file is read.
    With ``sr``, a waveform shorter than :data:`MIN_DURATION_S` is refused too."""
    try:
        y = np.asarray(y)
    except Exception as exc:  # ragged nested lists and the like
        raise InvalidUtteranceError(utterance_id, f"cannot be read as an array ({exc})") from None
    if y.dtype == object and y.ndim == 1:  # e.g. a row of a 2-D object array
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if np.iscomplexobj(y):
        raise InvalidUtteranceError(utterance_id, "Complex data not supported: audio must be real-valued")
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise InvalidUtteranceError(utterance_id, f"audio must be numeric, got dtype {y.dtype}")
    if y.ndim != 1:
        raise InvalidUtteranceError(
            utterance_id, f"a waveform must be 1-D (mono samples), got shape {y.shape}"
        )
    if y.size == 0:
        raise InvalidUtteranceError(utterance_id, "audio is empty (0 samples)")
    if np.issubdtype(y.dtype, np.signedinteger):
        y = y / np.float32(2 ** (8 * y.dtype.itemsize - 1))
    y = y.astype(np.float32, copy=False)
    with np.errstate(over="ignore"):  # huge samples are named below, not warned about here
        energy = np.dot(y, y)  # one pass: finite and positive for almost every valid waveform
    if not (np.isfinite(energy) and energy > 0):
        if not np.all(np.isfinite(y)):
            raise InvalidUtteranceError(utterance_id, "audio contains NaN or infinite samples")
        if not np.any(y):
            raise InvalidUtteranceError(utterance_id, "audio is all zeros (silent)")
    peak = max(float(y.max()), -float(y.min()))  # no |y| temporary: an hour of audio is 230 MB
    if peak > MAX_ABS_SAMPLE:
        raise InvalidUtteranceError(
            utterance_id, f"samples reach {peak:.3g}, beyond the +-{MAX_ABS_SAMPLE:g} bound of audio "
                          f"in [-1, 1] (integer sample values stored as floats? divide by 32768)")
    if sr is not None and y.size < MIN_DURATION_S * sr:
        raise InvalidUtteranceError(utterance_id, f"{y.size / sr * 1000:.0f} ms is shorter than the "
                                                  f"{MIN_DURATION_S * 1000:.0f} ms minimum")
    return y


def check_audio_file(path, utterance_id: str | None = None, max_duration_s: float = MAX_DURATION_S):
    """Check that ``path`` exists and soundfile can decode its header; return its ``sf.info``."""
    utterance_id = utterance_id or str(path)
    if Path(path).is_dir():
        raise InvalidUtteranceError(utterance_id, "is a directory, not an audio file")
    if not Path(path).is_file():
        raise InvalidUtteranceError(utterance_id, "file not found")
    try:
        info = sf.info(str(path))
    except Exception as exc:
        raise InvalidUtteranceError(utterance_id, f"cannot be decoded as audio ({exc})") from None
    low, high = SAMPLE_RATE_RANGE
    if not low <= info.samplerate <= high:
        raise InvalidUtteranceError(utterance_id, f"its header declares {info.samplerate} Hz, not a "
                                                  f"plausible sample rate ({low}-{high} Hz)")
    if info.frames == 0:
        raise InvalidUtteranceError(utterance_id, "audio is empty (0 samples)")
    if info.duration < MIN_DURATION_S:
        raise InvalidUtteranceError(utterance_id, f"{info.duration * 1000:.0f} ms is shorter than the "
                                                  f"{MIN_DURATION_S * 1000:.0f} ms minimum")
    shortfall = wav_shortfall(path)
    if shortfall:
        warnings.warn(f"{utterance_id}: truncated: its header promises {shortfall[0]} bytes of audio, "
                      f"the file holds {shortfall[1]}; using what is there", UserWarning, stacklevel=2)
    if info.duration > max_duration_s:
        raise InvalidUtteranceError(
            utterance_id,
            f"{info.duration:.0f} s is longer than the {max_duration_s:.0f} s limit; "
            "segment long recordings first",
        )
    return info


def wav_shortfall(path):
    """For a RIFF/WAVE file whose data chunk declares more bytes than the file holds, the declared
    and present byte counts; otherwise None (soundfile silently reads what is there)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        size = os.fstat(f.fileno()).st_size
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk == b"data":
            present = size - (pos + 8)
            # 0 and 0xFFFFFFFF are what streaming writers leave when the length is unknown
            return (length, present) if present < length and length not in (0, 0xFFFFFFFF) else None
        pos += 8 + length + (length & 1)
    return None


def mix_to_mono(y, path=""):
    """Average the channels (frames x channels), unless they cancel (anti-phase): then the loudest
    channel, with a warning, rather than near-silence."""
    if y.shape[1] == 1:
        return y[:, 0]
    mix = y.mean(axis=1)
    channel_energy = np.einsum("ij,ij->j", y, y)
    if np.dot(mix, mix) < 1e-2 * channel_energy.mean():  # the mix lost over 20 dB: cancellation
        warnings.warn(f"{path}: its channels cancel when mixed to mono (anti-phase); using the loudest "
                      f"channel", UserWarning, stacklevel=3)
        return np.ascontiguousarray(y[:, int(np.argmax(channel_energy))])
    return mix


def read_audio(path, sr: int | None = DEFAULT_SR, mono: bool = True) -> np.ndarray:
    """Read any file soundfile decodes as float32 in [-1, 1], mixed to mono, resampled to ``sr``.

    ``sr=None`` keeps the file's own rate. Resampling uses soxr's high-quality mode. Channels
    that cancel when averaged give the loudest channel instead (:func:`mix_to_mono`).
    """
    y, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = mix_to_mono(y, path) if mono else y.T
    if sr is not None and file_sr != sr:
        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr, res_type="soxr_hq", axis=-1)
    return np.ascontiguousarray(y, dtype=np.float32)


def check_no_missing(values, what, ids=None):
    """Refuse NaN or None among ``values`` (labels, speakers), naming the first utterance that has
    one, instead of numpy's "'<' not supported between 'float' and 'str'" at the first sort."""
    values = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if values.dtype.kind in "iub":
        return values
    missing = np.flatnonzero(pd.isna(values) if values.ndim == 1 else pd.isna(values).any(axis=1))
    if len(missing):
        i = missing[0]
        name = ids[i] if ids is not None else f"utterance #{i}"
        raise InvalidUtteranceError(name, f"has no {what} (NaN or None)" +
                                    (f"; {len(missing)} utterances lack one" if len(missing) > 1 else ""))
    return values


def validate_utterances(X, max_duration_s: float = MAX_DURATION_S) -> Utterances:
    """Cheap checks of every utterance, without decoding files: their form, file headers, and the
    samples of in-memory waveforms. Raises naming the first bad utterance; returns the normalised view.
    """
    utts = as_utterances(X)
    if len(utts) == 0:
        raise ValueError("X holds no utterances")
    for source, uid in zip(utts.sources, utts.ids):
        if _is_path(source):
            check_audio_file(source, uid, max_duration_s)
        else:
            check_waveform(source, uid)
    return utts


def checked_sources(X, sr: int = DEFAULT_SR, max_duration_s: float = MAX_DURATION_S):
    """Check every utterance of X cheaply, without decoding a file: its header, or an in-memory
    waveform's samples. Raises naming the first bad utterance.

    Returns ``(sources, lengths, utts)``: each file's path as it is (:func:`decode` reads it later,
    in the task that uses it, so audio never travels between processes or machines), each
    waveform checked as float32 (taken to be at ``sr``), and each utterance's length in samples at
    ``sr``, known before any decoding so that sizes can be checked up front.
    """
    utts = as_utterances(X)
    if len(utts) == 0:
        raise ValueError("X holds no utterances")
    sources, lengths = [], []
    for source, uid in zip(utts.sources, utts.ids):
        if _is_path(source):
            info = check_audio_file(source, uid, max_duration_s)
            # the length librosa.resample gives, or the file's own
            lengths.append(int(np.ceil(info.frames * sr / info.samplerate)) if sr else info.frames)
            sources.append(str(source))
        else:
            y = decode(source, uid, sr, max_duration_s)
            lengths.append(len(y))
            sources.append(y)
    return sources, lengths, utts


def decode(source, utterance_id, sr: int | None = DEFAULT_SR, max_duration_s: float = MAX_DURATION_S):
    """The float32 waveform of one utterance: a file read (its header checked by the caller),
    resampled to ``sr`` and checked, or an in-memory waveform checked. Raises naming the utterance."""
    if _is_path(source):
        try:
            source = read_audio(source, sr=sr)
        except Exception as exc:
            raise InvalidUtteranceError(utterance_id, f"cannot be decoded as audio ({exc})") from None
    y = check_waveform(source, utterance_id, sr)
    if sr is not None and y.size > max_duration_s * sr:
        raise InvalidUtteranceError(
            utterance_id, f"longer than the {max_duration_s:.0f} s limit; segment it first"
        )
    return y


def load_utterances(
    X, sr: int = DEFAULT_SR, n_jobs=None, max_duration_s: float = MAX_DURATION_S
) -> tuple[list[np.ndarray], Utterances]:
    """Read and validate every utterance of X; return the waveforms and the normalised view.

    File headers and in-memory waveforms are checked first (cheap), so a missing or corrupt file is
    named before any decoding; then files are decoded in parallel and their samples checked.
    In-memory waveforms are taken to be at ``sr`` already. Feature transformers do not hold a whole
    corpus's audio: they map :func:`decode` and their features over :func:`checked_sources`.
    """
    waves, _, utts = checked_sources(X, sr, max_duration_s)
    paths = [i for i, source in enumerate(waves) if _is_path(source)]
    decoded = Parallel(n_jobs=n_jobs)(delayed(decode)(waves[i], utts.ids[i], sr, max_duration_s) for i in paths)
    for i, y in zip(paths, decoded):
        waves[i] = y
    return waves, utts


def with_audio(utts: Utterances, waves: list) -> object:
    """Put loaded waveforms back into X's own form (a DataFrame keeps its metadata)."""
    column = np.empty(len(waves), dtype=object)
    column[:] = waves
    if utts.meta is None:
        return column
    out = utts.meta.copy()
    out["audio"] = column
    return out


class _UtteranceTransformerBase(TransformerMixin, BaseEstimator):
    """What every transformer that reads utterances shares: ``fit`` only checks them, cheaply
    (their form, file headers, the samples of in-memory waveforms), and learns nothing, so the tag
    ``requires_fit=False`` lets :func:`~sklearn_ser.model_selection.evaluate` run it once for all
    folds. The output is float32 (DESIGN §4), or, for ``_ragged`` output, an object array of
    float32 arrays. Subclasses: :class:`AudioLoader`, :class:`sklearn_ser.features.base.UtteranceTransformer`
    (which learns at fit when it normalises per speaker)."""

    _ragged = False  # True: one array per utterance in an object array

    def fit(self, X, y=None):
        utts = validate_utterances(X)
        if y is not None:
            check_no_missing(np.asarray(y), "label", utts.ids)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = [] if self._ragged else ["float32"]
        return tags


class AudioLoader(_UtteranceTransformerBase):
    """Read utterances into float32 mono waveforms at one sample rate.

    Parameters
    ----------
    sr : int, default=16000
        Target sample rate; files at other rates are resampled (soxr, high quality).
        In-memory waveforms are taken to be at this rate already.
    n_jobs : int, default=None
        Files decoded in parallel through :class:`joblib.Parallel`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.audio import AudioLoader
    >>> out = AudioLoader().fit_transform([np.ones(1600), np.linspace(-1, 1, 3200)])
    >>> [w.shape for w in out], out[0].dtype
    ([(1600,), (3200,)], dtype('float32'))
    """

    _ragged = True  # float32 waveforms of any length in an object array

    def __init__(self, sr=DEFAULT_SR, n_jobs=None):
        self.sr = sr
        self.n_jobs = n_jobs

    def transform(self, X):
        waves, utts = load_utterances(X, sr=self.sr, n_jobs=self.n_jobs)
        return with_audio(utts, waves)
