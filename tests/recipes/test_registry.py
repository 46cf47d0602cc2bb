"""The registry: every system builds, settings are checked when a system is built and parsed from
``key=value``, and the family modules assemble into one registry."""
import importlib
import subprocess
import sys
from types import SimpleNamespace

import pytest
from sklearn.pipeline import Pipeline

from sklearn_ser.recipes import SYSTEMS, System, get_system, parse_settings

# sklearn_ser.recipes.baseline is the recipe function (as before the split), so the family modules
# are taken by name
FAMILIES = ("baseline", "functionals", "kim", "zhang", "latif", "wieser", "fusion")


def test_every_system_builds_a_pipeline_or_a_fusion_of_pipelines():
    for name in SYSTEMS:
        model = get_system(name)
        members = [m for _, m in getattr(model, "estimators", [(name, model)])]
        assert all(isinstance(m, Pipeline) for m in members) and hasattr(model, "predict_proba")
    with pytest.raises(ValueError, match="unknown system"):
        get_system("nope")


def test_parse_settings_reads_values_as_json_when_they_parse():
    assert parse_settings(["C=10", "kernel=[2, 2, 32]", "speaker_norm=true", "kind=2d", "x=a=b",
                           'member_params={"max_epochs": 1}']) == {
        "C": 10, "kernel": [2, 2, 32], "speaker_norm": True, "kind": "2d", "x": "a=b",
        "member_params": {"max_epochs": 1}}
    with pytest.raises(ValueError, match="key=value"):
        parse_settings(["C"])


@pytest.mark.parametrize("name, setting", [
    ("baseline", "nope"),                    # not a parameter of the recipe
    ("kim-3d-cnn-dnn", "max_epoch"),         # neither the net's
    ("kim-3d-cnn-dnn", "module__n_hiden"),   # nor its module's
    ("kim-3d-cnn-dnn-elm", "optimiser__momentum"),
    ("zhang-score-fusion", "nope"),
])
def test_an_unknown_setting_is_refused_when_the_system_is_built(name, setting):
    with pytest.raises(TypeError, match=setting):
        get_system(name, **{setting: 1})


def test_known_net_settings_pass_the_check():
    net = get_system("kim-3d-cnn-dnn", max_epochs=2, module__n_hidden=8, optimizer__weight_decay=1e-4,
                     iterator_train__num_workers=0, callbacks__print_log__sink=print).named_steps["net"]
    assert (net.max_epochs, net.module__n_hidden, net.optimizer__weight_decay) == (2, 8, 1e-4)


def test_the_registry_joins_the_systems_of_each_family_module_in_family_order():
    from sklearn_ser.recipes import _registry

    modules = [importlib.import_module(f"sklearn_ser.recipes.{family}") for family in FAMILIES]
    assert _registry.FAMILIES == tuple(modules)
    assert list(SYSTEMS) == [s.name for module in modules for s in module.SYSTEMS]
    for module in modules:
        assert isinstance(module.SYSTEMS, tuple) and all(isinstance(s, System) for s in module.SYSTEMS)
        assert {s.factory.__module__ for s in module.SYSTEMS} == {module.__name__}  # its own recipes


def test_a_system_name_registered_twice_is_refused():
    from sklearn_ser.recipes._registry import _assemble

    again = SimpleNamespace(__name__="again", SYSTEMS=(SYSTEMS["baseline"],))
    with pytest.raises(ValueError, match="'baseline' is registered twice"):
        _assemble([importlib.import_module("sklearn_ser.recipes.baseline"), again])


def test_a_family_module_imports_on_its_own():
    # a fresh interpreter: the family modules and the registry import each other
    subprocess.run([sys.executable, "-c", "import sklearn_ser.recipes.zhang, sklearn_ser.recipes.kim"], check=True)


def _weighted_parts(model):
    """Every (path, class_weight) of the nets and ELMs inside ``model``, fusion members included
    (a feature fusion's SVM keeps its own)."""
    from sklearn.svm import LinearSVC, SVC

    params = model.get_params(deep=True)
    return [(key, value) for key, value in params.items() if key.endswith("__class_weight")
            and not isinstance(params.get(key.removesuffix("__class_weight")), (LinearSVC, SVC))]


def _nets_inside(model):
    from sklearn_ser.ensemble import FunctionalsELM
    from sklearn_ser.estimators import SERNetClassifier

    return [v for v in model.get_params(deep=True).values() if isinstance(v, (SERNetClassifier, FunctionalsELM))]


def test_every_net_system_weighs_its_classes_balanced_by_default():
    from sklearn_ser.recipes import system_settings

    nets = [name for name in SYSTEMS if _nets_inside(get_system(name))]  # by what they build
    assert len(nets) >= 23  # Kim 10, Zhang 6, Latif 3, Wieser 4
    faithful = {"kim-3d-cnn-dnn-paper": None}  # the paper's training exactly: unweighted
    for name in nets:
        expected = faithful.get(name, "balanced")
        if name != "cross-family-fusion":  # its members' settings record theirs
            assert system_settings(name).get("class_weight", "missing") == expected, name
        parts = _weighted_parts(get_system(name))
        assert parts and all(weight == expected for _, weight in parts), (name, parts)
    unweighted = get_system("kim-3d-cnn-dnn-elm", class_weight=None)
    assert all(weight is None for _, weight in _weighted_parts(unweighted))
    fusion = get_system("zhang-score-fusion", member_params={"class_weight": None})  # a member setting wins
    assert all(weight is None for _, weight in _weighted_parts(fusion))
