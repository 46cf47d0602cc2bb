"""The cross-family fusion recipe: members are registered systems, seeded and set per member."""
import pytest

from sklearn_ser.ensemble import ScoreFusionClassifier
from sklearn_ser.recipes import CROSS_FAMILY_MEMBERS, cross_family_fusion, get_system


def test_members_are_the_registered_systems_under_their_names_with_their_settings():
    fusion = cross_family_fusion(members=("baseline", "wieser-lom"), random_state=3,
                                 member_settings={"wieser-lom": {"max_epochs": 2}}, cv=2)
    assert isinstance(fusion, ScoreFusionClassifier) and fusion.cv == 2
    members = dict(fusion.estimators)
    assert list(members) == ["baseline", "wieser-lom"]
    assert members["wieser-lom"].get_params()["net__max_epochs"] == 2
    assert members["wieser-lom"].get_params()["net__random_state"] == 3
    expected = get_system("baseline", random_state=3).get_params(deep=True)
    assert {k: repr(v) for k, v in members["baseline"].get_params(deep=True).items()} == \
        {k: repr(v) for k, v in expected.items()}


def test_the_default_members_span_every_family():
    from sklearn_ser.recipes._registry import FAMILIES

    families = {system.name: family.__name__.rsplit(".", 1)[-1] for family in FAMILIES for system in family.SYSTEMS}
    assert {families[m] for m in CROSS_FAMILY_MEMBERS} == {"baseline", "kim", "zhang", "latif", "wieser"}


@pytest.mark.parametrize("kwargs, message", [
    (dict(members=("baseline",), member_settings={"dnn-elm": {}}), "not among the members"),
    (dict(members=("baseline", "baseline")), "distinct"),
    (dict(members=()), "at least one"),
    (dict(members=("nope",)), "nope"),
])
def test_bad_members_are_refused_when_the_fusion_is_built(kwargs, message):
    with pytest.raises((ValueError, KeyError), match=message):
        cross_family_fusion(**kwargs)


def test_the_recorded_settings_hold_every_members_own_so_a_changed_member_default_shows():
    from sklearn_ser.recipes import SYSTEMS, system_settings

    settings = system_settings("cross-family-fusion", members=["baseline", "wieser-lom"], random_state=3,
                               member_settings={"wieser-lom": {"max_epochs": 2}})
    recorded = settings["member_settings"]
    assert recorded["baseline"] == system_settings("baseline", random_state=3)
    assert recorded["wieser-lom"] == system_settings("wieser-lom", random_state=3, max_epochs=2)
    # the completed settings build the same fusion as the short ones
    built = SYSTEMS["cross-family-fusion"].build(members=["baseline", "wieser-lom"], random_state=3,
                                                 member_settings={"wieser-lom": {"max_epochs": 2}})
    assert dict(built.estimators)["wieser-lom"].get_params()["net__max_epochs"] == 2
    with pytest.raises(ValueError, match="not among the members"):
        SYSTEMS["cross-family-fusion"].build(members=["baseline"], member_settings={"dnn-elm": {}})
