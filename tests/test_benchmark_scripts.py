"""The benchmark scripts' own logic: each run is a new immutable file that records what reproduces
it; compare_runs pairs seeds by position and folds by speaker; refit_members predicts with each of
refit="average"'s two nets."""
import json
import re
import shlex
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _results import load_runs, write_run  # noqa: E402
from compare_runs import compare_runs  # noqa: E402
from refit_members import member, member_predictions  # noqa: E402

from sklearn_ser.recipes import parse_settings  # noqa: E402


def _run(fold_ua, speakers, name, **extra):
    return {"id": name, "system": "baseline", "ua": float(np.mean(fold_ua)), "fold_ua": list(fold_ua),
            "fold_speakers": list(speakers), **extra}


def test_fold_pairs_of_all_seeds_are_matched_by_speaker_and_tested_together():
    rng = np.random.default_rng(0)
    speakers = [f"{i:02d}" for i in range(10)]
    a = [rng.uniform(0.4, 0.7, 10) for _ in range(2)]
    b = [rng.uniform(0.4, 0.7, 10) for _ in range(2)]
    runs = [_run(a[0], speakers, "a0"), _run(a[1], speakers, "a1"),
            # stored in another fold order: pairing must follow the speakers, not the positions
            _run(b[0][::-1], speakers[::-1], "b0"), _run(b[1], speakers, "b1")]
    lines = compare_runs(runs, ["a0", "a1.json"], ["b0", "b1"])
    expected = wilcoxon(np.concatenate(a), np.concatenate(b)).pvalue
    difference = np.mean(np.concatenate(a) - np.concatenate(b))
    assert f"over the 20 fold pairs: mean fold UA A-B {difference:+.3f}" in lines[-1]
    assert f"Wilcoxon p = {expected:.3f}" in lines[-1]
    assert lines[0].endswith(f"p = {wilcoxon(a[0], b[0]).pvalue:.3f}  (a0 vs b0)")


def test_unpaired_missing_ambiguous_or_unmatched_runs_are_refused():
    speakers = [f"{i:02d}" for i in range(10)]
    runs = [_run([0.5] * 10, speakers, "a", overrides={"C": 10}), _run([0.6] * 10, speakers, "b", overrides={"C": 10}),
            _run([0.5] * 10, [f"{i:02d}" for i in range(1, 11)], "other")]
    with pytest.raises(SystemExit, match="pair by position"):
        compare_runs(runs, ["a"], ["a", "b"])
    with pytest.raises(SystemExit, match="not in the results: c"):
        compare_runs(runs, ["a"], ["c"])
    with pytest.raises(SystemExit, match=r"baseline\[C=10\] names 2 runs; name one by its file: a, b"):
        compare_runs(runs, ["baseline[C=10]"], ["b"])
    with pytest.raises(SystemExit, match="tested other speakers"):
        compare_runs(runs, ["a"], ["other"])


def test_runs_are_named_by_file_or_by_the_key_of_the_old_shared_files():
    speakers = [f"{i:02d}" for i in range(6)]
    rng = np.random.default_rng(1)
    runs = [_run(rng.uniform(size=6), speakers, "kim--1", system="kim", member="refitted",
                 overrides={"refit": "average", "random_state": 3}),
            _run(rng.uniform(size=6), speakers, "kim--2", system="kim",
                 legacy={"key": "kim[refit=average,random_state=3]"})]
    lines = compare_runs(runs, ["kim[refit=average,random_state=3]@refitted"], ["kim[refit=average,random_state=3]"])
    assert lines[0].endswith("(kim[refit=average,random_state=3]@refitted vs kim[refit=average,random_state=3])")


def test_a_run_never_replaces_another_not_even_when_written_at_once(tmp_path):
    settings = {"C": 1.0, "random_state": 0}
    first = write_run("accuracy", "synthetic", "baseline", settings, {"cv": "loso", "ua": 0.5}, root=tmp_path)
    assert re.fullmatch(r"baseline--[0-9a-f]{8}\.json", first.name) and first.parent == tmp_path / "synthetic"
    second = write_run("accuracy", "synthetic", "baseline", settings, {"cv": "loso", "ua": 0.6}, root=tmp_path)
    assert second.name == first.name.replace(".json", "-2.json")
    assert json.loads(first.read_text())["ua"] == 0.5  # untouched
    # what defines the measurement changes the name; what does not (the figures, the machine) does not
    others = [write_run("accuracy", "synthetic", "baseline", s, payload, root=tmp_path) for s, payload in [
        ({**settings, "C": 10}, {"cv": "loso"}), (settings, {"cv": "kfold:2"}),
        (settings, {"cv": "loso", "member": "refitted"})]]
    assert len({first.name, *(p.name for p in others)}) == 4 and not any(p.stem.endswith("-2") for p in others)

    paths, barrier = [], threading.Barrier(8)

    def write(i):
        barrier.wait()
        paths.append(write_run("accuracy", "synthetic", "zhang-3d", settings, {"cv": "loso", "ua": i}, root=tmp_path))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(paths)) == 8
    assert sorted(json.loads(p.read_text())["ua"] for p in paths) == list(range(8))
    assert len(load_runs("synthetic", root=tmp_path)) == 5 + 8


def test_a_stored_run_holds_no_absolute_path(tmp_path):
    path = write_run("accuracy", "emodb", "zhang-2d", {"pretrained": "/home/me/alexnet.pth"},
                     {"cv": "loso", "data": "emodb", "notes": ["/work/shared/data/emodb"]}, root=tmp_path)
    run = json.loads(path.read_text())
    assert run["settings"]["pretrained"] == "alexnet.pth" and run["notes"] == ["emodb"]


def _strings(value):
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _tiny_corpus():
    from sklearn_ser.datasets import make_synthetic_corpus

    return make_synthetic_corpus(n_speakers=4, n_per_class=3, random_state=0)


def _main(module, monkeypatch, *argv):
    monkeypatch.setattr(module, "start_run", lambda args: _tiny_corpus())  # the scripts' own code runs, fast
    monkeypatch.setattr(sys, "argv", [module.__name__ + ".py", *argv])
    module.main()


def test_an_accuracy_run_is_a_new_file_with_what_reproduces_it(tmp_path, monkeypatch, capsys):
    import accuracy

    monkeypatch.setattr(accuracy, "matmul_ceiling", lambda: 1.0)  # a speed figure, not under test here
    argv = ("--systems", "baseline", "--corpus", "synthetic", "--cv", "kfold:2", "--out", str(tmp_path),
            "--set", "random_state=1", "C=2")
    _main(accuracy, monkeypatch, *argv)
    [first] = load_runs(root=tmp_path)
    assert first["file"].startswith("synthetic/baseline--")
    assert first["kind"] == "accuracy" and first["system"] == "baseline" and first["corpus"] == "synthetic"
    assert first["overrides"] == {"random_state": 1, "C": 2} and first["cv"] == "kfold:2"
    assert first["settings"] == accuracy.run_settings("baseline", {"random_state": 1, "C": 2})
    assert first["settings"]["speaker_norm"] is False and first["settings_recorded"] is True
    assert len(first["fold_ua"]) == len(first["fold_speakers"]) == 2 and 0 <= first["ua"] <= 1
    assert first["timings"]["seconds"] > 0 and first["n_utterances"] == len(_tiny_corpus())
    assert re.fullmatch(r"[0-9a-f]{40}", first["commit"]) and first["date"].startswith("20")
    assert first["machine"]["cpu_count"] >= 1 and "threads" in first["machine"]
    assert not [s for s in _strings(first) if s.startswith("/")]
    command = shlex.split(first["command"])
    assert command[:4] == ["python", "benchmarks/accuracy.py", "--systems", "baseline"]
    assert command[command.index("--cv") + 1] == "kfold:2" and command[command.index("--corpus") + 1] == "synthetic"
    assert parse_settings(command[command.index("--set") + 1:]) == first["overrides"]

    _main(accuracy, monkeypatch, *argv)  # the same settings again: a second file, the first untouched
    runs = load_runs(root=tmp_path)
    assert [r["id"] for r in runs] == [first["id"], first["id"] + "-2"]
    assert runs[0] == first and runs[1]["fold_ua"] == first["fold_ua"]
    assert "baseline" in capsys.readouterr().out


def _loudness(X):
    """Feature 0 of an array, or the log mean magnitude of each utterance of a DataFrame's audio."""
    if isinstance(X, pd.DataFrame):
        return np.array([np.log(np.abs(a).mean()) for a in X["audio"]])
    return np.asarray(X)[:, 0]


class _LoudnessToy(ClassifierMixin, BaseEstimator):
    """The last class above the midpoint of the first two classes' means of feature 0 (or
    loudness), the first below. ``centre_on_call=True`` is a ``-spknorm`` toy: it first moves the
    call's mean of that feature onto the training mean, so a lone utterance always lands on the
    midpoint's one side."""

    def __init__(self, centre_on_call=False):
        self.centre_on_call = centre_on_call

    def fit(self, X, y):
        x, y = _loudness(X), np.asarray(y)
        self.classes_ = np.unique(y)
        self.mean_ = x.mean()
        self.threshold_ = np.mean([x[y == c].mean() for c in self.classes_[:2]]) + 1e-3
        return self

    def predict(self, X):
        x = _loudness(X)
        if self.centre_on_call:
            x = x - x.mean() + self.mean_
        return np.where(x > self.threshold_, self.classes_[-1], self.classes_[0])


def _toy_data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["a", "b"]), 40)
    X = rng.standard_normal((80, 3)) + 3 * (y == "b")[:, None]
    return X, y, np.tile(np.arange(4), 20)


def test_each_test_utterance_alone_changes_a_call_dependent_system_only():
    from accuracy import alone_figures

    from sklearn_ser.model_selection import evaluate

    X, y, groups = _toy_data()
    for toy in (_LoudnessToy(), _LoudnessToy(centre_on_call=True)):
        report = evaluate(toy, X, y, groups=groups, cv="kfold:2", return_estimators=True)
        alone = alone_figures(report, X, y)
        assert len(alone["fold_ua"]) == len(alone["fold_wa"]) == 2 and set(alone["per_class_recall"]) == {"a", "b"}
        if toy.centre_on_call:  # batch: centred on the call, right; alone: always one side of the midpoint
            assert report.ua > 0.9 and alone["ua"] == 0.5
            assert sorted(alone["per_class_recall"].values()) == [0.0, 1.0]
        else:
            assert alone["ua"] == report.ua and alone["wa"] == report.wa
            assert alone["fold_ua"] == report.per_fold["ua"].tolist()


def test_an_accuracy_run_stores_the_alone_figure_and_per_class_recall(tmp_path, monkeypatch, capsys):
    import accuracy

    monkeypatch.setattr(accuracy, "matmul_ceiling", lambda: 1.0)
    _main(accuracy, monkeypatch, "--systems", "baseline", "baseline-spknorm", "--corpus", "synthetic",
          "--cv", "kfold:2", "--out", str(tmp_path))
    runs = {r["system"]: r for r in load_runs(root=tmp_path)}
    classes = sorted(_tiny_corpus()["label"].unique())
    for system, run in runs.items():
        for figures in (run, run["alone"]):
            assert sorted(figures["per_class_recall"]) == classes
            assert np.mean(list(figures["per_class_recall"].values())) == pytest.approx(figures["ua"])
        assert len(run["alone"]["fold_ua"]) == 2 and run["timings"]["alone_seconds"] > 0
    assert runs["baseline"]["alone"]["fold_ua"] == runs["baseline"]["fold_ua"]  # no step sees the call
    # 12 utterances a test speaker: batches use the speaker's statistics, a lone one the population's
    assert runs["baseline-spknorm"]["alone"]["ua"] != runs["baseline-spknorm"]["ua"]
    assert "alone UA" in capsys.readouterr().out


def test_a_speaker_adaptation_run_is_a_file_of_its_kind(tmp_path, monkeypatch):
    import speaker_adaptation

    _main(speaker_adaptation, monkeypatch, "--systems", "baseline-spknorm", "--corpus", "synthetic",
          "--cv", "kfold:2", "--out", str(tmp_path))
    [run] = load_runs("synthetic", kind="speaker-adaptation", root=tmp_path)
    assert run["id"].startswith("speaker-adaptation--baseline-spknorm--")
    assert run["settings"]["speaker_norm"] is True and run["overrides"] == {} and run["cv"] == "kfold:2"
    assert all(len(run[m]["fold_ua"]) == len(run[m]["fold_wa"]) == 2 for m in ("batch", "enrolled", "alone"))
    assert run["n_utterances"] == len(_tiny_corpus()) and run["timings"]["seconds"] > 0
    assert run["command"] == ("python benchmarks/speaker_adaptation.py --systems baseline-spknorm "
                              "--corpus synthetic --cv kfold:2")


def test_refit_members_stores_three_runs_that_say_which_net_predicted(tmp_path, monkeypatch):
    import refit_members

    corpus = _tiny_corpus()
    speakers = corpus["speaker"].astype(str).to_numpy()
    folds = [np.flatnonzero(speakers == s) for s in sorted(set(speakers))]
    y = corpus["label"].to_numpy()
    report = type("Report", (), dict(
        test_indices=folds, y_pred=np.concatenate([y[f] for f in folds]),  # the averaged nets: all right
        per_fold=pd.DataFrame(dict(fit_seconds=[1.0] * len(folds), test_speakers=sorted(set(speakers))))))
    fitted = {}

    def evaluate(model, *args, **kwargs):  # the fits are not under test: their storage is
        fitted["model"] = model
        return report

    monkeypatch.setattr(refit_members, "evaluate", evaluate)
    wrong = {"@refitted": [np.where(y[f] == y[0], "x", y[f]) for f in folds],
             "@early-stopped": [np.full(len(f), y[0]) for f in folds]}
    monkeypatch.setattr(refit_members, "member_predictions", lambda report, X: wrong)
    _main(refit_members, monkeypatch, "--system", "kim-3d-cnn-dnn-spknorm", "--corpus", "synthetic",
          "--out", str(tmp_path), "--set", "random_state=3")
    assert fitted["model"].named_steps["net"].refit == "average"
    runs = {r.get("member"): r for r in load_runs("synthetic", root=tmp_path)}
    assert set(runs) == {None, "refitted", "early-stopped"} and runs[None]["ua"] == 1.0
    assert runs["refitted"]["ua"] < 1.0 and runs["early-stopped"]["ua"] == pytest.approx(1 / 4)
    for run in runs.values():
        assert run["settings"]["refit"] == "average" and run["settings"]["random_state"] == 3
        assert run["overrides"] == {"refit": "average", "random_state": 3}
        assert run["command"] == ("python benchmarks/refit_members.py --system kim-3d-cnn-dnn-spknorm "
                                  "--corpus synthetic --set random_state=3")
    assert len({r["id"] for r in runs.values()}) == 3  # the member is part of what was measured


def test_a_features_run_names_its_data_folder_only(tmp_path, monkeypatch):
    import features

    corpus = _tiny_corpus().iloc[:6]
    monkeypatch.setattr(features, "read_emodb", lambda folder: corpus)
    monkeypatch.setattr(features, "CASES", features.CASES[:1])  # Kim's volumes: the others are timed alike
    monkeypatch.setattr(features, "compile_numba_kernels", lambda: None)
    monkeypatch.setattr(sys, "argv", ["features.py", "--data", str(tmp_path / "emodb"), "--repeat", "1",
                                      "--out", str(tmp_path / "results")])
    features.main()
    [run] = load_runs("emodb", kind="features", root=tmp_path / "results")
    assert run["id"].startswith("features--") and run["settings"] == {"limit": None, "repeat": 1}
    assert run["data"] == "emodb" and run["machine"]["threads"] == 1 and run["n_utterances"] == 6
    assert [r["name"] for r in run["rows"]][0] == "Kim log-spectrogram volumes"
    assert run["command"] == "python benchmarks/features.py --repeat=1"
    assert not [s for s in _strings(run) if s.startswith("/")]


def test_a_features_run_gives_the_broad_functionals_speed_against_opensmile(tmp_path, monkeypatch, capsys):
    pytest.importorskip("opensmile")
    import features

    corpus = _tiny_corpus().iloc[:4]
    monkeypatch.setattr(features, "read_emodb", lambda folder: corpus)
    monkeypatch.setattr(features, "CASES", [case for case in features.CASES if case[0] == features.BROAD])
    monkeypatch.setattr(features, "compile_numba_kernels", lambda: None)
    monkeypatch.setattr(sys, "argv", ["features.py", "--repeat", "1", "--out", str(tmp_path / "results")])
    features.main()
    [run] = load_runs("emodb", kind="features", root=tmp_path / "results")
    rows = {r["name"]: r for r in run["rows"]}
    assert rows[features.BROAD]["vs_compare"] == pytest.approx(
        rows[features.COMPARE]["seconds"] / rows[features.BROAD]["seconds"])
    assert "x openSMILE ComParE_2016's speed in this run" in capsys.readouterr().out


def test_refit_members_predict_with_each_net_alone_and_restore_both():
    from sklearn_ser.estimators import SERNetClassifier
    from sklearn_ser.model_selection import evaluate
    from sklearn_ser.nets import FrameDNN

    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 60)
    X = (rng.standard_normal((120, 6)) + (y == "a")[:, None]).astype(np.float32)
    groups, kwargs = np.tile(np.arange(6), 20), dict(max_epochs=6, patience=2, batch_size=16, verbose=0)
    both = SERNetClassifier(FrameDNN, refit="average", **kwargs).fit(X, y, groups=groups)
    refitted = SERNetClassifier(FrameDNN, refit=True, **kwargs).fit(X, y, groups=groups)
    early = SERNetClassifier(FrameDNN, **kwargs).fit(X, y, groups=groups)
    averaged = both.predict_proba(X)
    for which, alone in [("@refitted", refitted), ("@early-stopped", early)]:
        with member(both, which):
            np.testing.assert_allclose(both.predict_proba(X), alone.predict_proba(X), rtol=1e-5)
    np.testing.assert_array_equal(both.predict_proba(X), averaged)
    with pytest.raises(ValueError, match="which must be one of"):
        with member(both, ""):
            pass

    report = evaluate(both, X, y, groups=groups, cv="kfold:3", return_estimators=True)
    preds = member_predictions(report, X)
    for k, (model, test) in enumerate(zip(report.estimators, report.test_indices)):
        with member(model, "@early-stopped"):
            np.testing.assert_array_equal(preds["@early-stopped"][k], model.predict(X[test]))
    with pytest.raises(SystemExit, match="kept no early-stopped net"):
        member_predictions(evaluate(refitted, X, y, groups=groups, cv="kfold:3", return_estimators=True), X)


def test_speaker_adaptation_scores_the_three_ways_of_predicting_a_speaker(small_corpus):
    from sklearn_ser.model_selection import evaluate
    from sklearn_ser.recipes import get_system
    from speaker_adaptation import MODES, enrolled_halves, run

    X = small_corpus.iloc[::2]  # 12 utterances a speaker: batches use their own statistics
    result = run("baseline-spknorm", X, "kfold:3", {})
    assert result["batch"]["ua"] == pytest.approx(
        evaluate(get_system("baseline-spknorm"), X, X["label"], cv="kfold:3").ua)
    assert result["n_utterances"] == len(X) and all(len(result[m]["fold_ua"]) == 3 for m in MODES)
    assert result["alone"]["ua"] != result["batch"]["ua"]  # the population fallback differs
    # each half is predicted from the other half's statistics: enrolment never sees the utterance
    speaker = X[X["speaker"] == X["speaker"].iloc[0]]
    model = get_system("baseline-spknorm").fit(X[X["speaker"] != speaker["speaker"].iloc[0]],
                                                X[X["speaker"] != speaker["speaker"].iloc[0]]["label"])
    seen = []
    real_enroll = model.named_steps["features"].enroll
    model.named_steps["features"].enroll = lambda Xe: seen.append(set(map(id, Xe["audio"]))) or real_enroll(Xe)
    pred = enrolled_halves(model, speaker)
    assert len(pred) == len(speaker) and len(seen) == 2 and not seen[0] & seen[1]


def test_a_long_inputs_run_measures_each_length_in_its_own_process(tmp_path, monkeypatch):
    import long_inputs

    monkeypatch.setattr(sys, "argv", ["long_inputs.py", "--systems", "baseline", "--minutes", "0.05", "0.1",
                                      "--out", str(tmp_path)])
    long_inputs.main()
    (run,) = load_runs(root=tmp_path, kind="long-inputs")
    assert run["system"] == "baseline" and [row["minutes"] for row in run["rows"]] == [0.05, 0.1]
    # a process that loaded the model and then predicted peaks at least where one that only loaded it did
    assert all(row["peak_rss_mb"] >= run["model_loaded_peak_rss_mb"] > 50 for row in run["rows"])
    assert run["command"] == "python benchmarks/long_inputs.py --systems baseline --minutes 0.05 0.1"


def test_a_dimensional_run_scores_each_dimension_with_its_own_model(tmp_path, monkeypatch, capsys):
    import dimensional

    from sklearn_ser.datasets import low_mid_high

    _main(dimensional, monkeypatch, "--systems", "baseline", "--corpus", "synthetic", "--cv", "kfold:2",
          "--out", str(tmp_path))
    [run] = load_runs("synthetic", kind="dimensional", root=tmp_path)
    assert run["id"].startswith("dimensional--baseline--") and run["targets"] == "proxy"
    for d in ("arousal", "valence", "dominance"):
        dim = run["dimensions"][d]
        expected = pd.Series(low_mid_high(_tiny_corpus(), d, proxy=True)).value_counts().to_dict()
        assert dim["classes"] == expected and len(dim["fold_f1"]) == len(dim["fold_speakers"]) == 2
    assert run["mean_f1"] == pytest.approx(np.mean([run["dimensions"][d]["f1"] for d in ("arousal", "valence", "dominance")]))
    assert run["command"] == "python benchmarks/dimensional.py --systems baseline --corpus synthetic --cv kfold:2"
    assert "(proxy)" in capsys.readouterr().out


def test_a_joint_dimensional_run_fits_one_multi_head_model_for_all_dimensions(tmp_path, monkeypatch):
    import dimensional

    from sklearn_ser.datasets import five_levels

    _main(dimensional, monkeypatch, "--systems", "wieser-ftr", "baseline", "--corpus", "synthetic", "--cv",
          "kfold:2", "--out", str(tmp_path), "--dimensions", "valence", "arousal", "--levels", "five", "--joint")
    runs = {r["system"]: r for r in load_runs("synthetic", kind="dimensional-five-joint", root=tmp_path)}
    assert runs["wieser-ftr"]["joint"] is True and runs["baseline"]["joint"] is False  # an SVM takes no 2-D y
    for run in runs.values():
        assert set(run["dimensions"]) == {"valence", "arousal"} and run["levels"] == "five"
        expected = pd.Series(five_levels(_tiny_corpus(), "arousal", proxy=True)).value_counts()
        assert run["dimensions"]["arousal"]["classes"] == {str(k): int(v) for k, v in expected.items()}
    assert runs["wieser-ftr"]["command"].endswith("--dimensions valence arousal --levels five --joint")


def test_the_latent_sweep_reads_each_point_from_the_runs_at_its_latent_size(tmp_path):
    import latent_sweep

    from sklearn_ser.recipes import system_settings

    def stored(system, size, ua, cv="loso", **more):
        settings = json.loads(json.dumps(system_settings(system, latent_size=size, **more)))
        return {"system": system, "cv": cv, "settings": settings, "ua": ua}

    runs = [stored("latif-ae-lstm", 32, 0.40), stored("latif-ae-lstm", 32, 0.44, random_state=1),
            stored("latif-ae-lstm", 64, 0.50), stored("latif-ae-lstm", 64, 0.90, output="mean"),  # another config
            stored("latif-ae-lstm", 128, 0.99, cv="kfold:2")]                                   # another cv
    table = latent_sweep.sweep_table(runs, ["latif-ae-lstm", "latif-vae-lstm"], [32, 64, 128], "loso")
    assert table["latif-ae-lstm"] == [(32, pytest.approx(0.42), [0.40, 0.44]), (64, 0.50, [0.50])]
    assert table["latif-vae-lstm"] == []
    path = latent_sweep.plot_sweep(table, tmp_path / "sweep.png", reference=("baseline", 0.7))
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_netspeed_counts_the_lstm_flops_torch_s_counter_misses():
    import netspeed
    import torch

    lstm = torch.nn.LSTM(10, 16, num_layers=2, batch_first=True)
    assert netspeed.lstm_step_flops(lstm) == 8 * 16 * (10 + 16) + 8 * 16 * (16 + 16)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.out = lstm, torch.nn.Linear(16, 3)

        def forward(self, x):
            return self.out(self.lstm(x)[0][:, -1])

    forward, train = netspeed.flops_per_sample(Net(), np.zeros((7, 10), dtype=np.float32))
    assert forward == 7 * netspeed.lstm_step_flops(lstm) + 2 * 16 * 3  # seven steps, then the dense layer
    # backward: weight gradients (= forward), the recurrence's gradients in both layers, and the input
    # gradients of the second layer only (the features need none)
    backward = 7 * (netspeed.lstm_step_flops(lstm) + 2 * 8 * 16 * 16 + 8 * 16 * 16) + 2 * 2 * 16 * 3
    assert train == forward + backward


def test_netspeed_measures_a_latif_system_s_autoencoder_beside_its_lstm():
    import netspeed

    speed = netspeed.measure("latif-cvae-lstm", n_classes=4, steps=1, latent_size=8, hidden=[32, 16])
    enc = speed["encoder"]
    assert enc["kind"] == "CVAEEncoder" and enc["batch_size"] == 256
    # one segment's forward pass: 800 + 4 condition values -> 32 -> 16 -> 2 x 8, and back
    encode = 2 * ((800 + 4) * 32 + 32 * 16 + 16 * 16)
    assert enc["encode_gflop"] * 1e9 == 4 * encode  # the label-free transform encodes under each class
    assert enc["train_gflop"] > 3 * encode / 1e9 and enc["train_samples_per_second"] > 0
    assert speed["train_gflop"] > 0  # the LSTM's FLOPs are counted now


def _synthetic_pair(limit=None):
    """Two small synthetic corpora joined as cross_corpus.read_pair joins EmoDB and TESS; the second
    recorded 20 dB quieter (another domain)."""
    from sklearn_ser.datasets import combine_corpora, make_synthetic_corpus

    emodb = make_synthetic_corpus(n_speakers=2, n_per_class=3, random_state=0)
    tess = make_synthetic_corpus(n_speakers=2, n_per_class=3, random_state=1)
    tess["audio"] = [0.1 * a for a in tess["audio"]]
    return combine_corpora({"emodb": emodb, "tess": tess})


def test_a_cross_corpus_run_trains_on_one_corpus_and_tests_on_the_other(tmp_path, monkeypatch, capsys):
    import cross_corpus

    monkeypatch.setattr(cross_corpus, "read_pair", lambda folders, limit=None: _synthetic_pair())
    monkeypatch.setattr(sys, "argv", ["cross_corpus.py", "--systems", "baseline", "dnn-elm", "--limit", "3",
                                      "--set", "random_state=1", "--out", str(tmp_path)])
    monkeypatch.setattr(cross_corpus, "system_model", lambda system, normalisation, overrides: (
        None if system == "dnn-elm" and normalisation == "domain" else _LoudnessToy()))  # fast stand-ins
    cross_corpus.main()
    runs = {(r["system"], r["normalisation"]): r for r in load_runs(root=tmp_path)}
    assert set(runs) == {("baseline", "none"), ("baseline", "domain"), ("dnn-elm", "none")}
    run = runs["baseline", "domain"]
    assert run["kind"] == "cross-corpus" and run["file"].startswith("emodb-tess/cross-corpus--baseline--")
    assert run["settings"]["normalisation"] == "domain" and run["settings"]["limit"] == 3
    assert run["settings"]["random_state"] == 1 and run["classes"] == ["angry", "happy", "neutral", "sad"]
    assert set(run["directions"]) == {"emodb->tess", "tess->emodb"}
    for d in run["directions"].values():
        assert d["n_train"] == d["n_test"] == 24 and sorted(d["per_class_recall"]) == run["classes"]
        assert np.mean(list(d["per_class_recall"].values())) == pytest.approx(d["ua"])
    assert run["command"] == ("python benchmarks/cross_corpus.py --systems baseline --normalisations domain "
                              "--limit 3 --set random_state=1")
    assert runs["baseline", "none"]["id"] != run["id"]  # the normalisation is part of the run's identity
    assert "dnn-elm: no step with domain_norm" in capsys.readouterr().out


def test_a_cross_corpus_direction_fits_on_the_source_and_predicts_the_target_in_one_call():
    from cross_corpus import direction_scores

    seen = []

    class Recording(_LoudnessToy):
        def fit(self, X, y):
            seen.append(("fit", set(X["corpus"])))
            return super().fit(X, y)

        def predict(self, X):
            seen.append(("predict", set(X["corpus"]), len(X)))
            return np.resize(self.classes_, len(X))

    scores = direction_scores(Recording(), _synthetic_pair(), "tess", "emodb")
    assert seen == [("fit", {"tess"}), ("predict", {"emodb"}, 24)]
    assert scores["n_train"] == scores["n_test"] == 24 and scores["ua"] == pytest.approx(0.25)


def test_domain_normalisation_turns_on_every_domain_step_of_a_system_and_nothing_else():
    from cross_corpus import at_most, with_domain_norm

    from sklearn_ser.recipes import get_system

    registered = get_system("baseline-spknorm")
    model = with_domain_norm(registered)
    assert model.get_params()["features__domain_norm"] and model.get_params()["features__speaker_norm"]
    assert not registered.get_params()["features__domain_norm"]  # a copy: the "none" run's model untouched
    assert with_domain_norm(get_system("dnn-elm")) is None
    pair = _synthetic_pair()
    few = at_most(pair, 2)
    assert len(few) == 2 * 2 * 4 * 2 and few.groupby(["corpus", "speaker", "label"]).size().eq(2).all()


def test_an_accuracy_run_with_an_added_corpus_is_a_configuration_of_its_own(tmp_path, monkeypatch, capsys):
    import accuracy

    from sklearn_ser.datasets import make_synthetic_corpus

    read = []

    def fake_load_corpus(name, folder):
        read.append((name, Path(folder).name))
        return make_synthetic_corpus(n_speakers=2, n_per_class=2, emotions=("neutral", "happy", "sad", "angry", "fear"),
                                     random_state=1)

    monkeypatch.setattr(accuracy, "matmul_ceiling", lambda: 1.0)
    monkeypatch.setattr(accuracy, "load_corpus", fake_load_corpus)
    argv = ("--systems", "baseline", "--corpus", "synthetic", "--cv", "kfold:2", "--out", str(tmp_path))
    _main(accuracy, monkeypatch, *argv)
    _main(accuracy, monkeypatch, *argv, "--add-corpus", "tess", "--add-data", str(tmp_path / "my-tess"))
    plain, added = sorted(load_runs(root=tmp_path), key=lambda r: "add_corpus" in r["settings"])
    assert read == [("tess", "my-tess")]
    assert plain["id"] != added["id"] and "add_corpus" not in plain["settings"]
    assert added["settings"] == {**plain["settings"], "add_corpus": "tess"}
    assert added["extra_train"] == {"data": "my-tess", "tess": {
        "dropped": {"fear": 4}, "n_utterances": 16, "speakers": ["tess:spk00", "tess:spk01"]}}
    assert added["fold_speakers"] == plain["fold_speakers"] and added["n_utterances"] == plain["n_utterances"]
    assert shlex.split(added["command"])[-2:] == ["--add-corpus", "tess"]
    with pytest.raises(SystemExit, match="is the corpus under test"):
        _main(accuracy, monkeypatch, *argv, "--add-corpus", "synthetic")
