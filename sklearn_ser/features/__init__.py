"""Features: pure functions on numpy arrays under thin sklearn transformers (stateless but for
per-speaker normalisation).

Dense representations (fixed shape per utterance) are float32 arrays with utterances on the first
axis; segmented ones are 1-D object arrays of per-utterance float32 segment arrays (see
:mod:`sklearn_ser.features.segments`).
"""
from .broad import BROAD_FEATURE_NAMES, BroadFunctionals, broad_features
from .broad_functionals import BROAD_FUNCTIONAL_NAMES, broad_functional_names, broad_functionals
from .broad_lld import BROAD_LLD_NAMES, broad_llds
from .functionals import FUNCTIONAL_NAMES, functional_names, functionals
from .handcrafted import LLDFunctionals
from .lld import LLD_NAMES, frame_llds, voicing_probability
from .opensmile import OpenSmileFunctionals
from .representations import (
    KimSpectrogramVolumes, LatifLogMelSegments, LLDContextFrames, RawSubsequences,
    WieserMFCCWindows, WieserRawWindows, WieserWindowFunctionals, ZhangMelClips, ZhangMelSegments,
    ZhangRawSegments,
)
from .scaling import BinStandardScaler
from .segments import FrameWindows, context_stack, ragged, segment_rows, stack_segments
from .speaker import MIN_UTTERANCES, enroll, minmax_gain_per_speaker, standardize_per_speaker
from .spectral import log_mel_spectrogram, log_spectrogram, mfcc, power_spectrogram

REPRESENTATIONS = (
    KimSpectrogramVolumes, LLDContextFrames, RawSubsequences, LatifLogMelSegments,
    ZhangRawSegments, ZhangMelSegments, ZhangMelClips, WieserRawWindows, WieserMFCCWindows,
    WieserWindowFunctionals,
)

__all__ = [
    "BROAD_FEATURE_NAMES", "BROAD_FUNCTIONAL_NAMES", "BROAD_LLD_NAMES", "BroadFunctionals",
    "broad_features", "broad_functional_names", "broad_functionals", "broad_llds",
    "BinStandardScaler", "FrameWindows", "MIN_UTTERANCES", "enroll", "FUNCTIONAL_NAMES", "LLD_NAMES", "LLDFunctionals", "OpenSmileFunctionals", "REPRESENTATIONS",
    "KimSpectrogramVolumes", "LatifLogMelSegments", "LLDContextFrames", "RawSubsequences",
    "WieserMFCCWindows", "WieserRawWindows", "WieserWindowFunctionals", "ZhangMelClips", "ZhangMelSegments",
    "ZhangRawSegments", "context_stack", "frame_llds", "functional_names", "functionals",
    "log_mel_spectrogram", "log_spectrogram", "mfcc", "minmax_gain_per_speaker",
    "power_spectrogram", "ragged", "segment_rows", "stack_segments", "standardize_per_speaker",
    "voicing_probability",
]
