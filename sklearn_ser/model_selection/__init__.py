"""Speaker-independent splitters, validation splits, significance tests and evaluation."""
from .evaluate import EvaluationReport, evaluate, make_cv
from .significance import Comparison, compare_systems
from .splitters import (
    KimSpeakerSplit, LeaveOneSpeakerOut, SpeakerKFold, check_speaker_disjoint, speaker_corpus,
)
from .multi_corpus import extra_training_utterances
from .validation import SpeakerHoldout, SpeakerValidSplit, speaker_validation_split

__all__ = [
    "EvaluationReport", "evaluate", "make_cv", "Comparison", "compare_systems", "KimSpeakerSplit",
    "LeaveOneSpeakerOut", "SpeakerKFold", "check_speaker_disjoint", "speaker_corpus",
    "SpeakerHoldout", "SpeakerValidSplit", "speaker_validation_split", "extra_training_utterances",
]
