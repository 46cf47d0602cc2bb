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


@pytest.mark.parametrize("kernel", [None, "rbf"])
def test_integer_sample_weights_equal_repeated_samples(kernel):
    X, y = make_classification(120, 6, n_informative=4, n_classes=3, random_state=2)
    weight = np.random.default_rng(0).integers(1, 4, len(y))
    weighted = ELMClassifier(n_hidden=50, kernel=kernel, random_state=0).fit(X, y, sample_weight=weight)
    repeated = ELMClassifier(n_hidden=50, kernel=kernel, random_state=0).fit(np.repeat(X, weight, 0),
                                                                             np.repeat(y, weight))
    np.testing.assert_allclose(weighted.decision_function(X), repeated.decision_function(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kernel", [None, "rbf"])
def test_balanced_class_weights_raise_the_small_class_recall(kernel):
    X, y = make_classification(900, 10, n_informative=3, n_classes=3, weights=[0.8, 0.15, 0.05], class_sep=0.6,
                               random_state=3)
    train, test = slice(0, 600), slice(600, None)
    recall = {}
    for weight in (None, "balanced"):
        elm = ELMClassifier(n_hidden=100, kernel=kernel, class_weight=weight, random_state=0).fit(X[train], y[train])
        recall[weight] = np.mean(elm.predict(X[test])[y[test] == 2] == 2)
    assert recall["balanced"] > recall[None] + 0.2


def test_elm_refuses_bad_sample_weights_and_functionals_elm_two_class_weights():
    X, y = make_classification(40, 4, random_state=0)
    with pytest.raises(ValueError, match="non-negative"):
        ELMClassifier().fit(X, y, sample_weight=-np.ones(40))
    dropped = ELMClassifier(kernel="rbf").fit(X, y, sample_weight=np.r_[0.0, np.ones(39)])
    np.testing.assert_allclose(dropped.decision_function(X), ELMClassifier(kernel="rbf").fit(X[1:], y[1:])
                               .decision_function(X))  # a zero weight is a sample left out
    with pytest.raises(ValueError, match="class_weight is for the default ELM"):
        FunctionalsELM(_SegmentModel(), classifier=ELMClassifier(), class_weight="balanced").fit(
            np.zeros((4, 2, 3)), ["a", "b"] * 2)


def test_functionals_elm_passes_class_weight_to_its_elm():
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], [30, 10])
    X = rng.standard_normal((40, 4, 3)) + (y == "b")[:, None, None]
    model = FunctionalsELM(_SegmentModel(), class_weight="balanced").fit(X, y)
    assert model.classifier_.class_weight == "balanced"
