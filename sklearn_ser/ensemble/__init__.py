"""Meta-estimators: Extreme Learning Machines and posterior functionals (more fusion to come)."""
from .elm import ELMClassifier
from .functionals_elm import FunctionalsELM, posterior_functionals

__all__ = ["ELMClassifier", "FunctionalsELM", "posterior_functionals"]
