"""Meta-estimators: Extreme Learning Machines, posterior functionals, score- and feature-level fusion."""
from .elm import ELMClassifier
from .functionals_elm import FunctionalsELM, posterior_functionals
from .fusion import (
    FeatureFusionClassifier, ScoreFusionClassifier, best_weights, simplex_grid, utterance_features,
)

__all__ = ["ELMClassifier", "FeatureFusionClassifier", "FunctionalsELM", "ScoreFusionClassifier",
           "best_weights", "posterior_functionals", "simplex_grid", "utterance_features"]
