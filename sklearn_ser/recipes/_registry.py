"""The registry of published systems: a name, a recipe and its settings, as ``sklearn-ser systems``
lists them. Each family module holds its systems in a tuple ``SYSTEMS``; the registry joins the
families' tuples in ``FAMILIES`` order, so adding a family is its module and one line here."""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from importlib import import_module
from typing import Callable

from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class System:
    name: str
    factory: Callable[..., Pipeline]
    description: str
    kwargs: tuple = ()
    #: completes the settings (a fusion adds its members' own), so a run records all it built
    complete: Callable[[dict], dict] | None = None

    def build(self, **overrides):
        return self.factory(**self.settings(**overrides))

    def settings(self, **overrides):
        """The factory's keyword arguments once the system's and ``overrides`` are applied: what a
        run of this system with these overrides actually built."""
        parameters = inspect.signature(self.factory).parameters
        defaults = {name: p.default for name, p in parameters.items() if p.default is not inspect.Parameter.empty}
        takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
        unknown = sorted(set(overrides) - set(defaults))
        if unknown and not takes_any:
            raise TypeError(f"unknown setting {unknown[0]!r} for system {self.name!r}; "
                            f"its settings: {', '.join(defaults)}")
        settings = {**defaults, **dict(self.kwargs), **overrides}
        return self.complete(settings) if self.complete else settings


def _assemble(families):
    systems = {}
    for family in families:
        for system in family.SYSTEMS:
            if system.name in systems:
                raise ValueError(f"system {system.name!r} is registered twice ({family.__name__})")
            systems[system.name] = system
    return systems


# The family modules, in the order `sklearn-ser systems` lists them: a new family is one name here.
# (Imported here, below System, which they import from this module.)
FAMILIES = tuple(import_module(f"{__package__}.{name}") for name in ("baseline", "functionals", "kim", "zhang", "latif", "wieser", "fusion"))

SYSTEMS = _assemble(FAMILIES)


def get_system(name, **overrides):
    """Build the model of the registered system ``name``: a Pipeline, or a fusion of Pipelines.

    ``overrides`` are the recipe's keyword arguments; a recipe that ends in a net also takes the
    net's parameters (``max_epochs=5``, ``module__dropout=0.2``). An unknown one raises TypeError."""
    return _registered(name).build(**overrides)


def system_settings(name, **overrides):
    """Every keyword argument the recipe of system ``name`` receives with ``overrides`` (defaults
    included), e.g. to record what a benchmark run used after a default has changed."""
    return _registered(name).settings(**overrides)


def parse_settings(items):
    """Recipe overrides from ``key=value`` strings, as ``--set`` gives them: a value is read as
    JSON when it parses (``10``, ``1e-3``, ``true``, ``[2, 2, 32]``, ``{"max_epochs": 1}``) and
    kept as a string otherwise (``kind=2d``).

    Examples
    --------
    >>> parse_settings(["C=10", "kind=2d", "kernel=[2, 2, 32]"])
    {'C': 10, 'kind': '2d', 'kernel': [2, 2, 32]}
    """
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"a setting is key=value, got {item!r}")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return settings


def _registered(name):
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; available: {', '.join(SYSTEMS)}")
    return SYSTEMS[name]
