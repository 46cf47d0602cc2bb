"""One factory per published system, returning a ready Pipeline from raw audio, and a registry.

Recipes are the only place that knows a paper's whole configuration (DESIGN §2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .features import LLDFunctionals


def baseline(speaker_norm=False, classifier=None, n_jobs=None, random_state=0):
    """Handcrafted baseline: 32 LLDs -> 12 functionals each (384) -> standardisation -> classifier.

    Parameters
    ----------
    speaker_norm : bool, default=False
        Standardise features per speaker (``speaker`` column of X) before the global scaler.
    classifier : sklearn classifier, default=RBF SVC (C=1, balanced class weights) with
        Platt-scaled probabilities (``CalibratedClassifierCV(..., ensemble=False)``)
    n_jobs : int, default=None
        Parallel feature extraction.
    random_state : int, default=0
        Passed to the SVC.
    """
    if classifier is None:
        classifier = CalibratedClassifierCV(
            SVC(C=1.0, class_weight="balanced", random_state=random_state),
            method="sigmoid", ensemble=False,
        )
    return Pipeline([
        ("features", LLDFunctionals(speaker_norm=speaker_norm, n_jobs=n_jobs)),
        ("scale", StandardScaler()),
        ("classifier", classifier),
    ])


@dataclass(frozen=True)
class System:
    name: str
    factory: Callable[..., Pipeline]
    description: str
    kwargs: tuple = ()

    def build(self, **overrides):
        return self.factory(**{**dict(self.kwargs), **overrides})


SYSTEMS = {
    s.name: s
    for s in [
        System("baseline", baseline,
               "32 LLDs (F0, voicing, ZCR, MFCC 1-12, RMS + deltas) -> 384 functionals -> RBF SVM"),
        System("baseline-spknorm", baseline,
               "baseline with per-speaker feature standardisation", (("speaker_norm", True),)),
    ]
}


def get_system(name, **overrides):
    """Build the Pipeline of the registered system ``name``."""
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; available: {', '.join(SYSTEMS)}")
    return SYSTEMS[name].build(**overrides)
