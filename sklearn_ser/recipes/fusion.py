"""Cross-family fusion (issue 29): the handcrafted system and a net of each paper's family, their
utterance posteriors weighted on the simplex, the weights chosen on speaker-disjoint inner folds of
the training data."""
from __future__ import annotations

from ._registry import System

#: one member per family, each the family's cheapest system among its best on EmoDB (see
#: docs/selection.md: the candidates were picked on EmoDB's outer folds; the weights, which may
#: leave a member out, are chosen inside each training set)
CROSS_FAMILY_MEMBERS = ("baseline-spknorm", "dnn-elm", "zhang-3d", "latif-ae-lstm", "wieser-lom")


def cross_family_fusion(members=CROSS_FAMILY_MEMBERS, member_settings=None, n_jobs=None, random_state=0,
                        **fusion_params):
    """Score-level fusion of registered systems of different families.

    Parameters
    ----------
    members : sequence of registered system names, default=CROSS_FAMILY_MEMBERS
        Each is built as ``get_system(name)`` and becomes a member under its name (its parameters
        are ``<name>__<param>``, as in :class:`~sklearn_ser.ensemble.ScoreFusionClassifier`).
    member_settings : dict of name -> dict, optional
        Recipe overrides per member, e.g. ``{"dnn-elm": {"max_epochs": 5}}``.
    n_jobs : int, default=None
        Members and inner folds fitted in parallel (the members' own extraction stays serial).
    random_state : int, default=0
        Every member's seed.
    **fusion_params
        For :class:`~sklearn_ser.ensemble.ScoreFusionClassifier`: ``cv`` (3 inner speaker folds),
        ``step`` (0.1), ``min_gain`` (0.01: a mix must beat the best member alone by that much
        inner-fold UA, otherwise that member predicts alone), or fixed ``weights``.

    Each member is fitted ``cv + 1`` times per training set: once per inner fold for the weights
    and once on all of it.

    Examples
    --------
    >>> from sklearn_ser.recipes import cross_family_fusion
    >>> fusion = cross_family_fusion(members=("baseline", "baseline-spknorm"), weights=[0.5, 0.5])
    >>> [name for name, _ in fusion.estimators]
    ['baseline', 'baseline-spknorm']
    """
    from ..ensemble import ScoreFusionClassifier
    from ._registry import get_system  # the registry imports this module

    members = list(members)
    settings = dict(member_settings or {})
    unknown = sorted(set(settings) - set(members))
    if unknown:
        raise ValueError(f"member_settings names {unknown}, which are not among the members {members}")
    if len(set(members)) != len(members):
        raise ValueError(f"members must be distinct, got {members}")
    if not members:
        raise ValueError("a fusion needs at least one member")
    estimators = [(name, get_system(name, **{"random_state": random_state, **settings.get(name, {})}))
                  for name in members]
    return ScoreFusionClassifier(estimators, n_jobs=n_jobs, **fusion_params)


def with_member_settings(settings):
    """A fusion's settings with every member's full settings, defaults included: a run then records
    what each member was, and a member's changed default makes the run's settings differ from the
    system's current ones. Names that are not members are kept, for the recipe to refuse."""
    from ._registry import system_settings

    given = dict(settings.get("member_settings") or {})
    seed = {"random_state": settings["random_state"]}
    full = {name: system_settings(name, **{**seed, **given.get(name, {})}) for name in settings["members"]}
    return {**settings, "member_settings": {**given, **full}}


SYSTEMS = (
    System("cross-family-fusion", cross_family_fusion,
           "score fusion of baseline-spknorm, dnn-elm, zhang-3d, latif-ae-lstm and wieser-lom "
           "(simplex weights on inner speaker folds)", complete=with_member_settings),
)
