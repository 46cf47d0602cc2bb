"""Saved models: the safe format round-trips, and refuses what would run code from the file."""
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import sklearn_ser
from sklearn_ser import ModelFormatError, persistence
from sklearn_ser.recipes import get_system


def test_baseline_pipeline_round_trip_in_new_process(small_corpus, tmp_path, round_trip_in_new_process):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    round_trip_in_new_process(get_system("baseline"), train, test, tmp_path)


def test_same_random_state_same_predictions(small_corpus):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    a = get_system("baseline", random_state=3).fit(train, train["label"]).predict_proba(test)
    b = get_system("baseline", random_state=3).fit(train, train["label"]).predict_proba(test)
    np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def saved_baseline(tmp_path_factory, small_corpus):
    corpus = small_corpus
    model = get_system("baseline-spknorm").fit(corpus, corpus["label"])
    path = tmp_path_factory.mktemp("saved") / "m.model"
    sklearn_ser.save(model, path)
    return model, path, corpus


def _rewrite(src, dst, change):
    """Copy archive ``src`` to ``dst`` with ``change(name, data) -> data`` applied to each member
    (``None`` drops it), plus any members ``change`` adds through its ``extra`` attribute."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for name in a.namelist():
            data = change(name, a.read(name))
            if data is not None:
                b.writestr(name, data)
        for name, data in getattr(change, "extra", {}).items():
            b.writestr(name, data)
    return dst


def test_a_loaded_model_is_the_saved_one(saved_baseline):
    model, path, corpus = saved_baseline
    loaded = sklearn_ser.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(corpus), model.predict_proba(corpus))
    assert loaded.get_params()["features__speaker_norm"] is True
    with zipfile.ZipFile(path) as archive:  # no member is a pickle
        assert all(n in ("format.json", "model.json") or n.endswith(".npy") for n in archive.namelist())


class _WritesAMarker:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path(self.marker).write_text, ("ran",))


def _replace_class(tree, old, new):
    if isinstance(tree, dict):
        return {k: (new if v == old else _replace_class(v, old, new)) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_replace_class(v, old, new) for v in tree]
    return tree


@pytest.mark.parametrize("name", ["subprocess:Popen", "builtins:eval", "os:system", "pickle:loads",
                                  "sklearn.utils._testing:assert_run_python_script_without_output"])
def test_an_archive_naming_a_class_outside_the_allow_list_is_refused(saved_baseline, tmp_path, name):
    _, path, _ = saved_baseline

    def change(member, data):
        if member != "model.json":
            return data
        return json.dumps(_replace_class(json.loads(data), "sklearn.svm._classes:SVC", name))

    crafted = _rewrite(path, tmp_path / "crafted.model", change)
    with pytest.raises(ModelFormatError, match=f"crafted.model: .*{name}"):
        sklearn_ser.load(crafted)


def test_a_function_from_outside_the_library_is_refused(saved_baseline, tmp_path):
    _, path, _ = saved_baseline

    def change(member, data):
        if member != "model.json":
            return data
        tree = json.loads(data)
        return json.dumps({"list": [{"ref": "sklearn.utils:check_array"}, tree]})

    with pytest.raises(ModelFormatError, match="only sklearn-ser's functions"):
        sklearn_ser.load(_rewrite(path, tmp_path / "f.model", change))


def test_a_pickled_array_is_refused_and_never_unpickled(saved_baseline, tmp_path):
    _, path, _ = saved_baseline
    marker = tmp_path / "marker"
    hostile = io.BytesIO()
    np.save(hostile, np.array([_WritesAMarker(marker)], dtype=object), allow_pickle=True)

    def change(member, data):
        return hostile.getvalue() if member.endswith(".npy") else data

    with pytest.raises(ModelFormatError, match="not a plain numeric array"):
        sklearn_ser.load(_rewrite(path, tmp_path / "p.model", change))
    assert not marker.exists()


def test_a_pickle_in_place_of_torch_weights_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    from sklearn_ser.estimators import SERNetClassifier
    from sklearn_ser.nets import FrameDNN

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8)).astype("float32")
    y = np.where(X[:, 0] > 0, "a", "b")
    net = SERNetClassifier(FrameDNN, max_epochs=1, train_split=None, verbose=0).fit(X, y)
    path = sklearn_ser.save(net, tmp_path / "net.model")
    loaded = sklearn_ser.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))

    marker = tmp_path / "marker"
    weights = io.BytesIO()
    torch.save({"weight": _WritesAMarker(marker)}, weights)

    def change(member, data):
        return weights.getvalue() if member.endswith(".pt") else data

    with pytest.raises(ModelFormatError, match="not a plain state dict"):
        sklearn_ser.load(_rewrite(path, tmp_path / "t.model", change))
    assert not marker.exists()


def test_a_newer_format_version_is_refused_clearly(saved_baseline, tmp_path):
    _, path, _ = saved_baseline

    def change(member, data):
        if member != "format.json":
            return data
        return json.dumps({**json.loads(data), "version": persistence.FORMAT_VERSION + 1})

    with pytest.raises(ModelFormatError, match="model format version 2 .* upgrade sklearn-ser"):
        sklearn_ser.load(_rewrite(path, tmp_path / "new.model", change))


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"not a zip at all", "is not a sklearn-ser model archive"),
    (pickle.dumps({"a": 1}), "is not a sklearn-ser model archive"),
])
def test_what_is_not_an_archive_is_refused_by_name(tmp_path, content, message):
    path = tmp_path / "m.model"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFormatError, match=f"m.model: {message}"):
        sklearn_ser.load(path)


def test_a_model_holding_a_foreign_object_is_refused_at_save_before_writing(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(lambda x: x).fit(np.ones((3, 2)))
    with pytest.raises(TypeError, match="cannot be saved safely.*joblib"):
        sklearn_ser.save(model, tmp_path / "m.model")
    assert not (tmp_path / "m.model").exists()


@pytest.mark.parametrize("kind", ["frames", "sequences"])
def test_refit_average_round_trips_with_a_module_that_takes_no_input_shape(tmp_path, kind):
    # FrameDNN and LatifLSTM take n_classes and n_features but not input_shape: the second
    # (validated) module must be built with the same signature filter as the first
    pytest.importorskip("torch")
    from sklearn_ser.estimators import LatentLSTMClassifier, SERNetClassifier
    from sklearn_ser.features import ragged
    from sklearn_ser.nets import FrameDNN

    rng = np.random.default_rng(0)
    y = np.tile(["a", "b"], 20)
    groups = np.repeat(np.arange(4), 10)
    if kind == "frames":
        X = (rng.standard_normal((40, 6)) + (y == "a")[:, None]).astype("float32")
        net = SERNetClassifier(FrameDNN, module__n_hidden=8, module__dropout=0.5, max_epochs=3, refit="average",
                               verbose=0)  # dropout: both modules must come back in eval mode
    else:
        X = ragged([(rng.standard_normal((n, 4)) + (label == "a")).astype("float32")
                    for label, n in zip(y, rng.integers(2, 7, 40))])
        net = LatentLSTMClassifier(module__n_cells=8, max_epochs=3, batch_size=8, refit="average", verbose=0)
    net.fit(X, y, groups=groups)
    assert "validated_module_" in vars(net)

    loaded = sklearn_ser.load(sklearn_ser.save(net, tmp_path / "net.model"))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    # both nets are back, not just the refitted one: the average differs from module_ alone
    assert "validated_module_" in vars(loaded)
    assert (loaded._modules, loaded.prefixes_) == (net._modules, net.prefixes_)  # not a module to train
    for mine, theirs in zip(loaded.validated_module_.state_dict().values(),
                            net.validated_module_.state_dict().values()):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
