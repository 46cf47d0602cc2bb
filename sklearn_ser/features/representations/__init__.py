"""The input representations of the four papers, as stateless transformers (DESIGN §1, §2); one
module per paper family (:mod:`.kim`, :mod:`.latif`, :mod:`.zhang`, :mod:`.wieser`) over the shared
computation of :mod:`._base`.

Each transformer reads utterances (paths, waveforms or a DataFrame), computes one representation per
utterance with the pure functions of :mod:`sklearn_ser.features.spectral` and
:mod:`sklearn_ser.features.segments`, and returns either a dense float32 array (fixed shape per
utterance) or a ragged object array of per-utterance segment arrays (see
:mod:`sklearn_ser.features.segments`). Before any computing, the output size of every utterance is
checked against ``max_output_mb``, so a one-hour file is refused with a clear error instead of
exhausting memory.
"""
from ._base import delta_operator
from .kim import KimSpectrogramVolumes, LLDContextFrames, RawSubsequences
from .latif import LatifLogMelSegments
from .wieser import WieserMFCCWindows, WieserRawWindows, WieserWindowFunctionals
from .zhang import ZhangMelClips, ZhangMelSegments, ZhangRawSegments

__all__ = [
    "KimSpectrogramVolumes", "LLDContextFrames", "LatifLogMelSegments", "RawSubsequences",
    "WieserMFCCWindows", "WieserRawWindows", "WieserWindowFunctionals", "ZhangMelClips", "ZhangMelSegments", "ZhangRawSegments",
    "delta_operator",
]
