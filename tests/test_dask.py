"""The library on a Dask cluster (issue 30): a LocalCluster of two worker processes gets the same
predictions as a local run, survives a worker killed mid-run, and the CLI reaches it by address."""
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
import dask  # noqa: E402
from joblib import parallel_config  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_ser._dask import TRIM_VARIABLE, UNSET_TRIM, warn_if_trimming  # noqa: E402
from sklearn_ser.cli import main  # noqa: E402
from sklearn_ser.datasets import make_synthetic_corpus  # noqa: E402
from sklearn_ser.exceptions import InvalidUtteranceError  # noqa: E402
from sklearn_ser.features import REPRESENTATIONS, BroadFunctionals, LLDFunctionals  # noqa: E402
from sklearn_ser.model_selection import evaluate  # noqa: E402
from sklearn_ser.recipes import get_system  # noqa: E402

from .conftest import as_wav_files  # noqa: E402

TOY_NET = {"max_epochs": 1, "module__n_hidden": 16}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # the workers are spawned with this environment; the steps that die once find their markers there
    marker = tmp_path_factory.mktemp("dask")  # where a step that dies once leaves its marker
    os.environ["SER_TEST_DIE_ONCE"] = str(marker)
    with dask.config.set(UNSET_TRIM), distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env={"OMP_NUM_THREADS": "1", "SER_TEST_DIE_ONCE": str(marker)}) as local:
        yield local
    del os.environ["SER_TEST_DIE_ONCE"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """84 short utterances as WAV files (what travels is a path) and their manifest, train.csv."""
    root = tmp_path_factory.mktemp("corpus")
    corpus = make_synthetic_corpus(n_speakers=4, n_per_class=3, duration=(0.7, 1.0), random_state=0)
    corpus = as_wav_files(corpus, root)
    corpus[["audio", "speaker", "label"]].to_csv(root / "train.csv", index=False)
    return corpus


def _evaluate(system, corpus, **settings):
    return evaluate(get_system(system, n_jobs=2, **settings), corpus, corpus["label"], cv="kfold:2", n_jobs=2)


@pytest.mark.parametrize("system, settings", [("baseline", {}), ("dnn-elm", TOY_NET)])
def test_a_local_cluster_predicts_what_a_local_run_does(cluster, corpus, system, settings):
    local = _evaluate(system, corpus, **settings)
    with distributed.Client(cluster) as client, parallel_config(backend="dask", client=client):
        with distributed.get_task_stream(client) as tasks:
            remote = _evaluate(system, corpus, **settings)
    workers = {task["worker"] for task in tasks.data}
    assert workers == set(cluster.scheduler_info["workers"])  # both workers took a share of the work
    np.testing.assert_array_equal(remote.y_pred, local.y_pred)
    np.testing.assert_array_equal(remote.y_true, local.y_true)


def _die_once(name):
    """Exit the process, as a crashed machine's would, the first time a step called ``name`` gets
    here (a marker file remembers it)."""
    marker = Path(os.environ["SER_TEST_DIE_ONCE"]) / name
    if not marker.exists():
        marker.touch()
        os._exit(1)


class DiesOnceFunctionals(LLDFunctionals):
    """The baseline's features, whose worker dies in its first utterance: mid-extraction."""

    def _utterance_features(self, y):
        _die_once("features")
        return super()._utterance_features(y)


class DiesOnceScaler(StandardScaler):
    """The baseline's scaler, whose worker dies in its first fit: mid-fold."""

    def fit(self, X, y=None, sample_weight=None):
        _die_once("fold")
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize("step, dying", [("features", DiesOnceFunctionals(n_jobs=2)), ("scale", DiesOnceScaler())])
def test_a_worker_killed_mid_run_is_survived_with_the_same_result(cluster, corpus, step, dying):
    local = _evaluate("baseline", corpus)
    dies = get_system("baseline", n_jobs=2).set_params(**{step: dying})
    with distributed.Client(cluster) as client, parallel_config(backend="dask", client=client):
        remote = evaluate(dies, corpus, corpus["label"], cv="kfold:2", n_jobs=2)
        client.wait_for_workers(2, timeout=60)  # the nanny brought the dead worker back
    assert (Path(os.environ["SER_TEST_DIE_ONCE"]) / ("fold" if step == "scale" else "features")).exists()  # one died
    np.testing.assert_array_equal(remote.y_pred, local.y_pred)


FEATURE_STEPS = [LLDFunctionals, BroadFunctionals, *REPRESENTATIONS]


@pytest.mark.parametrize("transformer", FEATURE_STEPS, ids=lambda t: t.__name__)
def test_every_feature_transformer_computes_on_the_workers_what_it_does_locally(cluster, corpus, transformer):
    X = corpus[["audio", "speaker"]].iloc[::6]  # 14 utterances, a few of each speaker
    step = transformer(n_jobs=2)
    if "min_utterances" in step.get_params():
        step.set_params(min_utterances=2)  # per-speaker gain on the speakers' own range
    local = step.fit_transform(X)
    with distributed.Client(cluster) as client, parallel_config(backend="dask", client=client):
        with distributed.get_task_stream(client) as tasks:
            remote = clone(step).fit_transform(X)
    assert tasks.data  # the utterances were computed on the cluster (joblib batches them into tasks)
    for a, b in zip(remote, local):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("search", ["cross_validate", "grid"])
def test_cross_validate_and_a_grid_search_on_the_cluster_score_as_locally(cluster, corpus, tmp_path, search):
    model = get_system("baseline", n_jobs=2).set_params(features__memory=str(tmp_path))
    X, y, groups = corpus[["audio", "speaker"]], corpus["label"], corpus["speaker"]

    def run():
        if search == "grid":
            grid = GridSearchCV(model, {"classifier__estimator__C": [0.5, 2.0]}, cv=GroupKFold(2), n_jobs=2)
            return grid.fit(X, y, groups=groups).cv_results_["mean_test_score"]
        return cross_validate(model, X, y, groups=groups, cv=GroupKFold(2), n_jobs=2)["test_score"]

    local = run()
    with distributed.Client(cluster) as client, parallel_config(backend="dask", client=client):
        remote = run()
    np.testing.assert_array_equal(remote, local)


def test_audio_and_folds_travel_inside_their_tasks_never_scattered(cluster, corpus, monkeypatch):
    scattered = []
    real = distributed.Client.scatter
    monkeypatch.setattr(distributed.Client, "scatter",
                        lambda self, data, *args, **kwargs: scattered.append(type(data)) or real(self, data, *args, **kwargs))
    with distributed.Client(cluster) as client, parallel_config(backend="dask", client=client):
        _evaluate("baseline", corpus)
    assert scattered == []  # what Dask scatters lives on one worker and dies with it


def test_a_bad_utterance_is_named_from_a_worker(cluster, corpus, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    X = [*corpus["audio"][:3], str(bad)]
    with distributed.Client(cluster) as client, parallel_config(backend="dask", client=client):
        with pytest.raises(InvalidUtteranceError, match="broken.wav"):
            LLDFunctionals(n_jobs=2).fit_transform(X)


def test_the_cli_runs_on_a_scheduler_given_by_address(cluster, corpus, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "remote"
    manifest = str(Path(corpus["audio"][0]).parent / "train.csv")
    options = ["evaluate", "baseline", "--corpus", "csv", "--data", manifest, "--quiet", "--cv", "kfold:2",
               "--n-jobs", "2"]
    assert main([*options, "--out", str(local)]) == 0
    with distributed.Client(cluster) as watcher, distributed.get_task_stream(watcher) as tasks:
        assert main([*options, "--out", str(remote), "--scheduler", cluster.scheduler_address]) == 0
    assert {task["worker"] for task in tasks.data} == set(cluster.scheduler_info["workers"])  # it ran there
    reports = [json.loads((folder / "report.json").read_text()) for folder in (local, remote)]
    assert reports[0]["ua"] == reports[1]["ua"] and reports[0]["confusion"] == reports[1]["confusion"]


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "10.0.0.5", "nonsense://x"])
def test_an_unreachable_or_malformed_scheduler_is_a_one_line_error(monkeypatch, capsys, address):
    monkeypatch.setattr("sklearn_ser._dask.CONNECT_TIMEOUT_S", 1)
    assert main(["evaluate", "baseline", "--quiet", "--scheduler", address]) == 2
    assert f"cannot reach the Dask scheduler at {address}" in capsys.readouterr().err


class TrimmingWorkers:
    """A client of a cluster whose second worker was started with Dask's default environment."""

    def run(self, function, *args):
        return {"tcp://w1": None, "tcp://w2": "65536"}


def test_workers_that_trim_memory_eagerly_are_warned_about(cluster):
    with pytest.warns(UserWarning, match=f"1 of the cluster's 2 worker\\(s\\) run with {TRIM_VARIABLE}"):
        warn_if_trimming(TrimmingWorkers())
    with distributed.Client(cluster) as client, warnings.catch_warnings():
        warnings.simplefilter("error")  # the test cluster's workers were started without it
        warn_if_trimming(client)
