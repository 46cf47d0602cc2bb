"""Features: pure functions on numpy arrays under thin, stateless sklearn transformers."""
from .functionals import FUNCTIONAL_NAMES, functional_names, functionals
from .handcrafted import LLDFunctionals
from .lld import LLD_NAMES, frame_llds, voicing_probability
from .opensmile import OpenSmileFunctionals
from .speaker import standardize_per_speaker

__all__ = [
    "FUNCTIONAL_NAMES", "LLD_NAMES", "LLDFunctionals", "OpenSmileFunctionals",
    "frame_llds", "functional_names", "functionals", "standardize_per_speaker",
    "voicing_probability",
]
