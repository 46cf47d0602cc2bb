"""A score-driven choice made inside `evaluate`'s training folds (docs/selection.md): a
GridSearchCV with a speaker splitter, passed to `evaluate` whole or as a pipeline's last step,
gets the training speakers and never sees the outer fold's test speaker."""
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ser.metrics import ua_scorer
from sklearn_ser.model_selection import SpeakerKFold, evaluate

INNER = []  # per inner split: (its training speakers, its validation speakers)


class RecordingSpeakerKFold(SpeakerKFold):
    def split(self, X, y=None, groups=None):
        for train, valid in super().split(X, y, groups):
            INNER.append((set(np.asarray(groups)[train]), set(np.asarray(groups)[valid])))
            yield train, valid


def _table(n_speakers=5, n_per=12, seed=0):
    """Two features whose first carries one of three labels, a speaker offset on both."""
    rng = np.random.default_rng(seed)
    y = np.tile(["angry", "neutral", "sad"], n_speakers * n_per // 3)
    groups = np.repeat([f"s{i}" for i in range(n_speakers)], n_per)
    offset = np.repeat(rng.normal(0, 0.5, (n_speakers, 2)), n_per, axis=0)
    X = rng.standard_normal((len(y), 2)) + offset
    X[:, 0] += np.select([y == "angry", y == "sad"], [2.0, -2.0], 0.0)
    return X, y, groups


def _search():
    return GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()),
                        {"logisticregression__C": [0.01, 1.0]}, scoring=ua_scorer,
                        cv=RecordingSpeakerKFold(n_splits=2))


@pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])
@pytest.mark.parametrize("where", ["whole", "last-step"])
def test_a_search_inside_evaluate_chooses_on_training_speakers_only(routing, where):
    X, y, groups = _table()
    model = _search() if where == "whole" else make_pipeline(StandardScaler(), _search())
    INNER.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        report = evaluate(model, X, y, groups=groups, cv="loso", return_estimators=True)
    # two inner splits per outer fold (the refit on all training speakers is not a split)
    assert len(INNER) == 2 * len(report.per_fold)
    for k, row in report.per_fold.iterrows():
        outer_test = set(row["test_speakers"].split(","))
        for inner_train, inner_valid in INNER[2 * k:2 * k + 2]:
            assert inner_train and inner_valid and not inner_train & inner_valid
            assert not (inner_train | inner_valid) & outer_test
            assert len(inner_train | inner_valid) == 4  # every training speaker, and only those
    chosen = [m.best_params_ if where == "whole" else m[-1].best_params_ for m in report.estimators]
    assert all(c["logisticregression__C"] in (0.01, 1.0) for c in chosen)
    assert report.ua > 0.6  # the label is in the first feature: a working search learns it


NET_FITS = []  # per net fit: the speakers it saw (training and early-stopping validation), or None


def test_a_net_searched_inside_evaluate_early_stops_on_training_speakers_with_routing_on():
    """With routing on the speakers reach the search's splitter and the net's validation split.
    (Routing off, GridSearchCV keeps them for its splitter and the net trains without validation,
    with a warning: why the page says to turn routing on for nets.)"""
    from sklearn.pipeline import Pipeline

    from sklearn_ser.estimators import SERStepNetClassifier
    from sklearn_ser.nets import FrameDNN

    class Spy(SERStepNetClassifier):
        def get_split_datasets(self, X, y=None, groups=None, **fit_params):
            NET_FITS.append(None if groups is None else set(groups))
            return super().get_split_datasets(X, y, groups=groups, **fit_params)

    rng = np.random.default_rng(0)
    y = np.tile(["angry", "neutral", "sad"], 24)
    groups = np.repeat([f"s{i}" for i in range(6)], 12)
    X = rng.standard_normal((len(y), 4, 6)).astype(np.float32)
    net = Pipeline([("net", Spy(FrameDNN, module__n_hidden=8, max_epochs=2, batch_size=32, verbose=0))])
    search = GridSearchCV(net, {"net__lr": [1e-3, 1e-2]}, cv=SpeakerKFold(n_splits=2))
    NET_FITS.clear()
    with sklearn.config_context(enable_metadata_routing=True):
        evaluate(search, X, y, groups=groups, cv="loso:s0")
    assert len(NET_FITS) == 2 * 2 + 1  # two values on two inner splits, then the refit
    assert all(seen and "s0" not in seen for seen in NET_FITS)


def test_the_selection_page_example_runs_as_written():
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "selection.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    namespace = {}
    exec(compile(example, "docs/selection.md", "exec"), namespace)
    report = namespace["report"]
    assert len(report.estimators) == 4  # one search per held-out speaker
    assert all(m[-1].best_params_["svc__C"] in (0.1, 1, 10) for m in report.estimators)
