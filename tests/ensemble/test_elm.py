import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sklearn_ser.ensemble import ELMClassifier, FunctionalsELM, posterior_functionals


@pytest.mark.parametrize("elm", [ELMClassifier(n_hidden=200, random_state=0), ELMClassifier(kernel="rbf", alpha=0.1)])
def test_elm_beats_chance_on_held_out_data(elm):
    X, y = make_classification(600, 20, n_informative=8, n_classes=4, random_state=1)
    assert elm.fit(X[:450], y[:450]).score(X[450:], y[450:]) > 0.5  # chance 0.25


def test_elm_is_reproducible_and_regularised():
    X, y = make_classification(200, 10, random_state=0)
    a = ELMClassifier(random_state=5).fit(X, y).decision_function(X)
    b = ELMClassifier(random_state=5).fit(X, y).decision_function(X)
    np.testing.assert_array_equal(a, b)
    big = ELMClassifier(random_state=5, alpha=1e6).fit(X, y)
    assert np.abs(big.output_weights_).max() < np.abs(ELMClassifier(random_state=5).fit(X, y).output_weights_).max()


def test_posterior_functionals_of_han_et_al():
    p = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]])
    out = posterior_functionals(p, threshold=0.2)
    np.testing.assert_allclose(out, [0.9, 0.9, 0.1, 0.1, 0.5, 0.5, 2 / 3, 2 / 3])


class _SegmentModel(LogisticRegression):
    """A toy segment model: X is (utterances, segments, features); segments are classified alone."""

    def fit(self, X, y, groups=None):
        return super().fit(X.reshape(-1, X.shape[-1]), np.repeat(y, X.shape[1]))

    def predict_segment_proba(self, X):
        return super().predict_proba(X.reshape(-1, X.shape[-1])).reshape(X.shape[0], X.shape[1], -1)


def test_functionals_elm_on_segment_posteriors():
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], 50)
    shift = {"a": -1.0, "b": 0.0, "c": 1.0}
    X = rng.standard_normal((150, 8, 3)) + np.array([shift[c] for c in y])[:, None, None]
    groups = np.tile(np.arange(10), 15)
    model = FunctionalsELM(_SegmentModel(), elm_fraction=0.3).fit(X[:120], y[:120], groups=groups[:120])
    assert model.score(X[120:], y[120:]) > 0.7
    assert model.predict_proba(X[:3]).shape == (3, 3)
    with pytest.raises(ValueError, match="groups=speakers"):
        FunctionalsELM(_SegmentModel(), elm_fraction=0.3).fit(X, y)


def test_functionals_elm_refuses_a_missing_y_and_an_x_of_another_length():
    X = np.zeros((6, 2, 3))
    with pytest.raises(ValueError, match="requires y to be passed"):
        FunctionalsELM(_SegmentModel()).fit(X, None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FunctionalsELM(_SegmentModel()).fit(X, ["a", "b"] * 2)  # not cut to the first 4 silently
