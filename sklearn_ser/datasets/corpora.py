"""Readers of emotional-speech corpora in their original layouts, and of any CSV manifest.

Each returns a DataFrame with ``audio`` (absolute file path), ``speaker``, ``label`` and the corpus's
own columns, one row per utterance, sorted by path; each raises :class:`CorpusLayoutError` naming
the folder and what it expected when the layout does not match.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class CorpusLayoutError(ValueError):
    """A folder that does not hold the corpus layout a reader expects."""


def _root(path, corpus) -> Path:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise CorpusLayoutError(f"{corpus}: {root} is not a folder")
    return root.resolve()


def _audio_files(folder: Path, pattern="*"):
    return sorted(p for p in folder.glob(pattern) if p.suffix.lower() in AUDIO_SUFFIXES)


def _frame(rows, corpus, root, expected):
    if not rows:
        raise CorpusLayoutError(f"{corpus}: no audio files matching {expected} under {root}")
    return pd.DataFrame(rows).sort_values("audio", ignore_index=True)


# --- EmoDB ----------------------------------------------------------------------------------------

EMODB_EMOTIONS = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fear", "F": "happy",
                  "T": "sad", "N": "neutral"}
EMODB_MALE = {"03", "10", "11", "12", "15"}
_EMODB_NAME = re.compile(r"^(\d\d)([abc]\d\d)([WLEAFTN])([a-z])$")


def read_emodb(path):
    """Berlin EmoDB: ``wav/<speaker:2><text:3><emotion:1><version:1>.wav`` (e.g. ``03a01Fa.wav``).

    Columns: audio, speaker, label, gender, text_id, version.
    """
    root = _root(path, "emodb")
    wav = root / "wav"
    if not wav.is_dir():
        raise CorpusLayoutError(f"emodb: expected a 'wav' folder in {root}")
    rows = []
    for file in _audio_files(wav):
        match = _EMODB_NAME.match(file.stem)
        if not match:
            raise CorpusLayoutError(f"emodb: {file} does not follow the EmoDB name pattern, e.g. 03a01Fa.wav")
        speaker, text, code, version = match.groups()
        rows.append(dict(audio=str(file), speaker=speaker, label=EMODB_EMOTIONS[code],
                         gender="male" if speaker in EMODB_MALE else "female",
                         text_id=text, version=version))
    return _frame(rows, "emodb", wav, "03a01Fa.wav")


# --- TESS -----------------------------------------------------------------------------------------

TESS_SPEAKERS = ("OAF", "YAF")
_TESS_LABELS = {"ps": "surprise", "pleasant_surprise": "surprise", "pleasant_surprised": "surprise",
                "surprised": "surprise", "fearful": "fear", "sadness": "sad"}
_TESS_EMOTIONS = {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}


def read_tess(path):
    """Toronto Emotional Speech Set, in the original ``OAF_angry/OAF_back_angry.wav`` folders or as
    flat ``<speaker>/<speaker>_<word>_<emotion>.(wav|flac)`` files.

    "Pleasant surprise" (``ps``) is ``surprise``. The original's typo ``OA_bite_neutral`` is OAF's.
    Columns: audio, speaker, label, gender, word.
    """
    root = _root(path, "tess")
    rows = []
    for file in _audio_files(root, "**/*"):
        parts = file.stem.split("_")
        if len(parts) < 3:
            raise CorpusLayoutError(f"tess: {file} does not follow <speaker>_<word>_<emotion>")
        prefix, word, emotion = parts[0].upper(), parts[1], "_".join(parts[2:]).lower()
        speaker = next((s for s in TESS_SPEAKERS if s.startswith(prefix)), None)
        if speaker is None:
            raise CorpusLayoutError(f"tess: {file} names an unknown speaker {parts[0]!r} (OAF or YAF)")
        label = _TESS_LABELS.get(emotion, emotion)
        if label not in _TESS_EMOTIONS:
            raise CorpusLayoutError(f"tess: {file} names an unknown emotion {emotion!r}")
        rows.append(dict(audio=str(file), speaker=speaker, label=label, gender="female", word=word))
    return _frame(rows, "tess", root, "OAF_angry/OAF_back_angry.wav")


# --- RAVDESS --------------------------------------------------------------------------------------

RAVDESS_EMOTIONS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
                    "06": "fear", "07": "disgust", "08": "surprise"}
RAVDESS_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
_RAVDESS_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


def read_ravdess(path):
    """RAVDESS: ``Actor_XX/MM-VV-EE-II-SS-RR-AA.wav`` (modality, vocal channel, emotion, intensity,
    statement, repetition, actor; odd actors are male).

    Columns: audio, speaker, label, gender, intensity, statement, repetition, vocal_channel.
    """
    root = _root(path, "ravdess")
    actors = sorted(p for p in root.glob("**/Actor_*") if p.is_dir())
    if not actors:
        raise CorpusLayoutError(f"ravdess: expected Actor_XX folders in {root}")
    rows = []
    for folder in actors:
        for file in _audio_files(folder):
            match = _RAVDESS_NAME.match(file.stem)
            if not match or match.group(3) not in RAVDESS_EMOTIONS:
                raise CorpusLayoutError(f"ravdess: {file} does not follow 03-01-EE-II-SS-RR-AA.wav")
            _, channel, emotion, intensity, statement, repetition, actor = match.groups()
            rows.append(dict(
                audio=str(file), speaker=actor, label=RAVDESS_EMOTIONS[emotion],
                gender="male" if int(actor) % 2 else "female",
                intensity="normal" if intensity == "01" else "strong",
                statement=RAVDESS_STATEMENTS.get(statement, statement),
                repetition=int(repetition), vocal_channel="speech" if channel == "01" else "song",
            ))
    return _frame(rows, "ravdess", root, "Actor_XX/03-01-EE-II-SS-RR-AA.wav")


# --- CREMA-D --------------------------------------------------------------------------------------

CREMAD_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy",
                   "NEU": "neutral", "SAD": "sad"}
CREMAD_LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
_CREMAD_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


def read_cremad(path):
    """CREMA-D: ``AudioWAV/1001_DFA_ANG_XX.wav`` (actor, sentence, emotion, level).

    Gender comes from ``VideoDemographics.csv`` (``ActorID``, ``Sex``) when it sits in the folder.
    Columns: audio, speaker, label, sentence, level (and gender).
    """
    root = _root(path, "cremad")
    wav = root / "AudioWAV"
    if not wav.is_dir():
        raise CorpusLayoutError(f"cremad: expected an 'AudioWAV' folder in {root}")
    rows = []
    for file in _audio_files(wav):
        match = _CREMAD_NAME.match(file.stem)
        if not match or match.group(3) not in CREMAD_EMOTIONS:
            raise CorpusLayoutError(f"cremad: {file} does not follow 1001_DFA_ANG_XX.wav")
        actor, sentence, emotion, level = match.groups()
        rows.append(dict(audio=str(file), speaker=actor, label=CREMAD_EMOTIONS[emotion],
                         sentence=sentence, level=CREMAD_LEVELS.get(level, level)))
    frame = _frame(rows, "cremad", wav, "1001_DFA_ANG_XX.wav")
    demographics = root / "VideoDemographics.csv"
    if demographics.is_file():
        sex = pd.read_csv(demographics, dtype={"ActorID": str}).set_index("ActorID")["Sex"]
        frame["gender"] = frame["speaker"].map(sex.str.lower())
    return frame


# --- IEMOCAP --------------------------------------------------------------------------------------

IEMOCAP_EMOTIONS = {"neu": "neutral", "hap": "happy", "exc": "excited", "sad": "sad", "ang": "angry",
                    "fru": "frustrated", "sur": "surprise", "fea": "fear", "dis": "disgust",
                    "oth": "other", "xxx": "undecided"}
_IEMOCAP_LINE = re.compile(
    r"^\[([\d.]+) - ([\d.]+)\]\s+(Ses\d\d[FM]_\S+)\s+(\w+)\s+\[([\d.]+), ([\d.]+), ([\d.]+)\]"
)


def read_iemocap(path, merge_excited=False):
    """IEMOCAP: ``SessionN/dialog/EmoEvaluation/*.txt`` labels, ``SessionN/sentences/wav/<dialog>/<utt>.wav``.

    Categorical labels and the evaluators' mean valence, arousal (activation) and dominance (1-5).
    ``merge_excited=True`` relabels *excited* as *happy* (as Latif et al. and most work do).
    The speaker is session plus the utterance speaker's gender (``Ses01F``); ``session`` is a column
    for leave-one-session-out. Columns: audio, speaker, label, gender, session, valence, arousal,
    dominance, start, end, improvised.
    """
    root = _root(path, "iemocap")
    sessions = sorted(p for p in root.glob("Session*") if p.is_dir())
    if not sessions:
        raise CorpusLayoutError(f"iemocap: expected Session1..Session5 folders in {root}")
    rows = []
    for session in sessions:
        for evaluation in sorted((session / "dialog" / "EmoEvaluation").glob("*.txt")):
            dialog = evaluation.stem
            for line in evaluation.read_text(errors="replace").splitlines():
                match = _IEMOCAP_LINE.match(line)
                if not match:
                    continue
                start, end, utt, code, val, act, dom = match.groups()
                wav = session / "sentences" / "wav" / dialog / f"{utt}.wav"
                label = IEMOCAP_EMOTIONS.get(code, code)
                if merge_excited and label == "excited":
                    label = "happy"
                gender = utt.split("_")[-1][0]
                rows.append(dict(
                    audio=str(wav), speaker=f"{utt[:5]}{gender}", label=label,
                    gender="female" if gender == "F" else "male", session=utt[:5],
                    valence=float(val), arousal=float(act), dominance=float(dom),
                    start=float(start), end=float(end), improvised="_impro" in utt,
                ))
    frame = _frame(rows, "iemocap", root, "SessionN/dialog/EmoEvaluation/*.txt")
    missing = [a for a in frame["audio"] if not Path(a).is_file()]
    if missing:
        raise CorpusLayoutError(
            f"iemocap: {len(missing)} labelled utterances have no wav file, e.g. {missing[0]}"
        )
    return frame


# --- any CSV manifest -----------------------------------------------------------------------------


def read_manifest(csv_path, audio_column=None, root=None, required=("label",)):
    """Any CSV manifest with a file column (``path`` or ``audio``), ``label`` and usually ``speaker``.

    Relative paths are resolved against ``root`` (default: the CSV's folder). Every other column is
    kept. Raises naming the first missing file, or the first of the ``required`` columns missing
    (files to predict need no ``label``: ``required=("speaker",)``).
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise CorpusLayoutError(f"manifest: {csv_path} is not a file")
    frame = pd.read_csv(csv_path, dtype={"speaker": str})
    if audio_column is None:
        audio_column = next((c for c in ("audio", "path", "file") if c in frame.columns), None)
    if audio_column is None or audio_column not in frame.columns:
        raise CorpusLayoutError(f"manifest: {csv_path} needs an 'audio' or 'path' column")
    missing_column = next((c for c in required if c not in frame.columns), None)
    if missing_column is not None:
        raise CorpusLayoutError(f"manifest: {csv_path} needs a {missing_column!r} column")
    base = Path(root) if root is not None else csv_path.parent
    audio = [str(p if Path(p).is_absolute() else (base / p).resolve()) for p in frame[audio_column]]
    frame = frame.drop(columns=[audio_column]).assign(audio=audio)
    missing = next((a for a in audio if not Path(a).is_file()), None)
    if missing:
        raise CorpusLayoutError(f"manifest: {csv_path} lists {missing}, which does not exist")
    return frame[["audio"] + [c for c in frame.columns if c != "audio"]]


READERS = {
    "emodb": read_emodb,
    "tess": read_tess,
    "ravdess": read_ravdess,
    "cremad": read_cremad,
    "iemocap": read_iemocap,
}


def load_corpus(name, path):
    """Read corpus ``name`` (one of :data:`READERS`, or ``csv`` for a manifest file) at ``path``."""
    if name == "csv":
        return read_manifest(path)
    if name not in READERS:
        raise ValueError(f"unknown corpus {name!r}; choose from {sorted(READERS) + ['csv']}")
    return READERS[name](path)
