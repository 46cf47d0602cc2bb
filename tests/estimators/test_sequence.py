"""LatentLSTMClassifier: ragged sequences padded and packed, an utterance's prediction independent
of its batch, speakers held out for early stopping, input standardisation, the safe format."""
import numpy as np
import pytest

import sklearn_ser
from sklearn_ser.estimators import LatentLSTMClassifier
from sklearn_ser.features import ragged

TOY = dict(module__n_cells=8, max_epochs=4, batch_size=8, verbose=0)


def sequences(n=40, width=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["high", "low"], n // 2)
    X = ragged([rng.normal(1.0 if label == "high" else -1.0, 1.0, (int(k), width)).astype(np.float32)
                for label, k in zip(y, rng.integers(1, 12, n))])
    return X, y, np.tile(np.arange(5), n // 5)


def test_string_labels_and_one_prediction_per_utterance():
    X, y, groups = sequences()
    net = LatentLSTMClassifier(**{**TOY, "max_epochs": 30}, lr=0.01).fit(X, y, groups=groups)
    assert net.classes_.tolist() == ["high", "low"]
    proba = net.predict_proba(X)
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    assert (net.predict(X) == y).mean() > 0.9
    assert net.embed(X).shape == (40, 8)


def test_a_prediction_does_not_depend_on_the_other_utterances_of_its_batch():
    X, y, groups = sequences()
    net = LatentLSTMClassifier(**TOY).fit(X, y, groups=groups)
    together = net.set_params(batch_size=64).predict_proba(X)   # one padded batch of all 40
    alone = np.vstack([net.predict_proba(X[i:i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)
    reordered = net.predict_proba(X[::-1])[::-1]
    np.testing.assert_allclose(reordered, together, rtol=1e-5, atol=1e-6)


def test_early_stopping_validates_on_held_out_speakers():
    seen = []

    class Spy(LatentLSTMClassifier):
        def get_split_datasets(self, X, y=None, groups=None, **fit_params):
            train, valid = super().get_split_datasets(X, y, groups=groups, **fit_params)
            seen.append((set(groups[train.indices]), set(groups[valid.indices])))
            return train, valid

    X, y, groups = sequences()
    net = Spy(**TOY).fit(X, y, groups=groups)
    (train, valid), = seen
    assert valid and not train & valid
    assert "valid_loss" in net.history[-1]
    with pytest.warns(UserWarning, match="no speakers given"):
        LatentLSTMClassifier(**TOY).fit(X, y)


def test_inputs_are_standardised_with_training_statistics():
    X, y, groups = sequences()
    net = LatentLSTMClassifier(**TOY).fit(X, y, groups=groups)
    steps = np.concatenate(list(X))
    np.testing.assert_allclose(net.input_mean_, steps.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(net.input_scale_, steps.std(axis=0), rtol=1e-4)
    plain = LatentLSTMClassifier(standardize=False, **TOY).fit(X, y, groups=groups)
    assert (plain.input_mean_ == 0).all() and (plain.input_scale_ == 1).all()


def test_dense_sequences_refit_average_and_bad_input():
    X, y, groups = sequences()
    cube = np.stack([np.resize(x, (5, 4)) for x in X])
    net = LatentLSTMClassifier(refit="average", **TOY).fit(cube, y, groups=groups)
    assert hasattr(net, "validated_module_") and net.predict_proba(cube).shape == (40, 2)
    with pytest.raises(ValueError, match="3-D array"):
        net.predict(cube[:, 0])
    with pytest.raises(ValueError, match="expecting 4 features"):
        net.predict(ragged([np.zeros((3, 5), np.float32)]))
    with pytest.raises(ValueError, match="utterance 0"):
        net.predict(ragged([np.zeros((0, 4), np.float32)]))


def test_a_fitted_classifier_round_trips_through_the_safe_format(tmp_path):
    X, y, groups = sequences()
    net = LatentLSTMClassifier(**TOY).fit(X, y, groups=groups)
    sklearn_ser.save(net, tmp_path / "net.model")
    loaded = sklearn_ser.load(tmp_path / "net.model")
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
