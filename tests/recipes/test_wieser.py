"""Wieser et al.'s recipes end to end: Tables 1-4's training reaches the nets, windows of a long
utterance pool into one prediction, an utterance's prediction is its own, and a two-headed model
round-trips through the safe format into another process."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from skorch.callbacks import LRScheduler

import sklearn_ser
from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.recipes import WIESER_TRAINING, get_system

TOY = dict(max_epochs=1, module__hidden=[8, 8], module__filters=[4, 4, 4], module__kernels=[8, 4, 2])
SYSTEMS = ["wieser-elor", "wieser-lom", "wieser-ftr", "wieser-elor-ftr"]


def toy(system, **more):
    params = {**TOY, **more}
    if system == "wieser-ftr":  # no CNN
        params = {k: v for k, v in params.items() if k not in ("module__filters", "module__kernels")}
    return get_system(system, **params)


@pytest.mark.parametrize("system, kind", list(zip(SYSTEMS, ["elor", "lom", "ftr", "elor-ftr"])))
def test_the_paper_s_training_reaches_each_net(system, kind):
    net = get_system(system)[-1]
    table = WIESER_TRAINING[kind]
    assert (net.batch_size, net.lr, net.max_epochs) == (table["batch_size"], table["lr"], table["max_epochs"])
    assert net.optimizer is torch.optim.SGD and net.optimizer__nesterov is True
    assert net.optimizer__momentum == table["momentum"] and net.optimizer__weight_decay == 2 * table["l2"]
    [(name, scheduler)] = net.callbacks
    assert isinstance(scheduler, LRScheduler) and scheduler.kwargs["gamma"] == table["decay"]
    assert net.head_updates == "alternate"



def test_the_paper_s_is10_functionals_reach_ftr_and_split_elor_ftr_s_input():
    pytest.importorskip("opensmile")
    ftr, both = get_system("wieser-ftr", functionals="IS10"), get_system("wieser-elor-ftr", functionals="IS10")
    assert ftr.named_steps["features"].feature_set == "IS10"
    assert both.named_steps["features"].get_params()["feature_set"] == "IS10"
    assert both[-1].module__n_functionals == 1582  # where the audio ends
    assert get_system("wieser-elor-ftr")[-1].module__n_functionals == 384


def test_functionals_are_refused_for_a_net_without_them():
    with pytest.raises(ValueError, match="functionals is for kind 'ftr' or 'elor-ftr'"):
        get_system("wieser-elor", functionals="IS10")


@pytest.fixture(scope="module")
def corpus():
    corpus = make_synthetic_corpus(n_speakers=3, n_per_class=2, duration=(1.0, 1.5), random_state=0)
    valence = np.where(corpus["label"].isin(["happy", "neutral"]), "positive", "negative")
    arousal = np.where(corpus["label"].isin(["angry", "happy"]), "high", "low")
    return corpus, np.stack([valence, arousal], axis=1)


def test_the_learning_rate_decays_every_epoch(corpus):
    X, Y = corpus
    model = toy("wieser-ftr", max_epochs=3, batch_size=4).fit(X, Y, net__groups=X["speaker"].to_numpy())
    optimizer_lr = model[-1].optimizer_.param_groups[0]["lr"]
    # once per epoch, not per batch (several batches an epoch here)
    assert optimizer_lr == pytest.approx(WIESER_TRAINING["ftr"]["lr"] * WIESER_TRAINING["ftr"]["decay"] ** 3)


def test_a_long_utterance_s_windows_pool_into_one_prediction_of_its_own(corpus):
    X, Y = corpus
    model = toy("wieser-elor").fit(X, Y, net__groups=X["speaker"].to_numpy())
    long = X.iloc[:2].copy()
    long.at[long.index[0], "audio"] = np.tile(X["audio"].iloc[0], 10)[:16000 * 10]  # 10 s: two windows
    windows = model[:-1].transform(long)
    assert [w.shape for w in windows] == [(2, 96000), (1, 96000)]
    net = model[-1]
    per_window = net.predict_segment_proba(windows)
    together = model.predict_proba(long)
    for head in range(2):
        np.testing.assert_allclose(together[head][0], per_window[head][0].mean(axis=0), rtol=1e-6)
        alone = model.predict_proba(long.iloc[1:])[head][0]
        np.testing.assert_allclose(alone, together[head][1], rtol=1e-5, atol=1e-6)
    assert model.predict(long).shape == (2, 2)


def test_two_headed_models_reload_in_a_new_process_with_identical_probabilities(corpus, tmp_path):
    X, Y = corpus
    x = list(X["audio"].iloc[:4])
    waves = np.empty(len(x), dtype=object)
    waves[:] = x
    np.save(tmp_path / "x.npy", waves, allow_pickle=True)
    expected = {}
    for system in SYSTEMS:
        model = toy(system).fit(X, Y, net__groups=X["speaker"].to_numpy())
        sklearn_ser.save(model, tmp_path / f"{system}.model")
        expected[system] = (np.hstack(model.predict_proba(x)), model.predict(x).astype(str))
    code = ("import sklearn_ser, numpy as np\n"
            f"x = list(np.load({str(tmp_path / 'x.npy')!r}, allow_pickle=True))\n"
            f"for system in {SYSTEMS!r}:\n"
            f"    m = sklearn_ser.load({str(tmp_path)!r} + '/' + system + '.model')\n"
            f"    np.save({str(tmp_path)!r} + '/' + system + '-p.npy', np.hstack(m.predict_proba(x)))\n"
            f"    np.save({str(tmp_path)!r} + '/' + system + '-y.npy', m.predict(x).astype(str))\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    for system, (proba, labels) in expected.items():
        np.testing.assert_array_equal(np.load(tmp_path / f"{system}-p.npy"), proba, err_msg=system)
        assert (np.load(tmp_path / f"{system}-y.npy") == labels).all(), system


def test_the_cli_predicts_a_label_and_probabilities_per_target(corpus, tmp_path, capsys):
    import json

    import soundfile as sf

    from sklearn_ser.cli import main

    X, Y = corpus
    model = toy("wieser-ftr").fit(X, Y, net__groups=X["speaker"].to_numpy())
    sklearn_ser.save(model, tmp_path / "m.model")
    files = []
    for i in range(2):
        files.append(str(tmp_path / f"u{i}.wav"))
        sf.write(files[-1], X["audio"].iloc[i], 16000)
    assert main(["predict", str(tmp_path / "m.model"), *files, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = model.predict(files)
    for row, labels in zip(rows, expected):
        assert row["label"] == list(labels) and len(row["proba"]) == 2
        assert set(row["proba"][0]) == {"negative", "positive"} and set(row["proba"][1]) == {"high", "low"}
    assert main(["predict", str(tmp_path / "m.model"), *files]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("\t") == ["file", "label", "outlier", "0:negative", "0:positive", "1:high", "1:low"]
    assert table[1].split("\t")[1] == "/".join(expected[0])
