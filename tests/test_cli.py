import json
import os
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

import sklearn_ser
from sklearn_ser.cli import main
from sklearn_ser.recipes import SYSTEMS


def test_systems_lists_every_registered_system(capsys):
    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SYSTEMS)


def test_evaluate_train_predict_on_a_small_csv_corpus(tmp_path, small_corpus, capsys):
    rows = []
    subset = small_corpus[small_corpus["speaker"].isin(["spk00", "spk01", "spk02", "spk03"])]
    for i, r in enumerate(subset.itertuples()):
        path = tmp_path / "audio" / f"{r.speaker}_{i}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, r.audio, 16000)
        rows.append(f"audio/{path.name},{r.speaker},{r.label}")
    (tmp_path / "manifest.csv").write_text("path,speaker,label\n" + "\n".join(rows) + "\n")

    out_dir = tmp_path / "report"
    assert main(["evaluate", "baseline", "--corpus", "csv", "--data", str(tmp_path / "manifest.csv"),
                 "--cv", "kfold:2", "--out", str(out_dir), "--quiet", "--n-jobs", "1"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out_dir / "report.json").read_text())
    assert len(report["per_fold"]) == 2 and f"pooled {report['ua']:.3f}" in printed
    assert (out_dir / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in out_dir.iterdir() if p.name.startswith("tmp")]  # nothing half-written

    model = tmp_path / "model.model"
    assert main(["train", "baseline", "--corpus", "csv", "--data", str(tmp_path / "manifest.csv"),
                 "--model", str(model), "--quiet", "--n-jobs", "1"]) == 0
    files = sorted(str(p) for p in (tmp_path / "audio").iterdir())[:3]
    capsys.readouterr()
    assert main(["predict", str(model), *files, "--json"]) == 0
    predictions = json.loads(capsys.readouterr().out)
    assert [p["file"] for p in predictions] == files
    for p in predictions:
        assert p["label"] in {"neutral", "happy", "sad", "angry"}
        assert abs(sum(p["proba"].values()) - 1) < 1e-6
        assert p["label"] == max(p["proba"], key=p["proba"].get)


def test_predict_names_a_bad_file(tmp_path, small_corpus, capsys):
    from sklearn_ser.recipes import get_system

    model = get_system("baseline").fit(small_corpus, small_corpus["label"])
    sklearn_ser.save(model, tmp_path / "m.model")
    good = tmp_path / "good.wav"
    sf.write(good, small_corpus["audio"][0], 16000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"garbage" * 100)
    assert main(["predict", str(tmp_path / "m.model"), str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.wav: cannot be decoded" in err


def test_command_is_installed():
    result = subprocess.run([sys.executable, "-m", "sklearn_ser.cli", "systems"], capture_output=True, text=True)
    assert result.returncode == 0 and "baseline" in result.stdout


# ---- every registered system through the CLI, at toy size ----

KIM_3D = ["max_epochs=1", "module__n_hidden=16"]
LATIF = ["latent_size=8", "hidden=[16, 8]", "encoder_epochs=1", "max_epochs=1", "module__n_cells=8"]
WIESER = ["max_epochs=1", "module__hidden=[8, 8]"]
WIESER_CNN = [*WIESER, "module__filters=[4, 4, 4]", "module__kernels=[8, 4, 2]"]
ZHANG_MEMBERS = ['members=["2d-small", "3d"]', 'member_params={"max_epochs": 1, "module__n_hidden": 16}']
# The smallest --set overrides that still run each system's whole path (few epochs, small layers);
# a newly registered system fails the test below until it gets an entry here.
TOY_SETTINGS = {
    "baseline": [],
    "baseline-spknorm": [],
    "functionals": [],
    "functionals-spknorm": [],
    "compare": [],
    "compare-spknorm": [],
    "egemaps": [],
    "egemaps-spknorm": [],
    "kim-3d-cnn-dnn": KIM_3D,
    "kim-3d-cnn-dnn-paper": KIM_3D,
    "kim-3d-cnn-dnn-elm": KIM_3D,
    "kim-3d-cnn-dnn-spknorm": KIM_3D,
    "kim-3d-cnn-dnn-elm-spknorm": KIM_3D,
    "dnn-elm": ["max_epochs=1", "module__n_hidden=16"],
    "lstm-elm": ["max_epochs=1", "module__n_cells=8"],
    "kim-2d-cnn-lstm": ["max_epochs=1", "module__n_cells=8"],
    "kim-2d-cnn-lstm-dnn": ["max_epochs=1", "module__n_cells=8", "module__n_hidden=16"],
    "zhang-1d": ["max_epochs=1", "module__n_hidden=[16, 16]", "module__filters=[4, 4, 4, 4]"],
    "zhang-2d": ["max_epochs=1", "module__n_hidden=16", "module__widths=[4, 4, 4, 4, 4]"],
    "zhang-2d-small": ["max_epochs=1", "module__n_hidden=16", "module__widths=[4, 4, 4, 4, 4]"],
    "zhang-3d": ["max_epochs=1", "module__n_hidden=16", "module__filters=[4, 4]"],
    "zhang-score-fusion": ZHANG_MEMBERS,
    "zhang-feature-fusion": ZHANG_MEMBERS,
    "kim-1d-cnn-lstm": ["max_epochs=1", "n_cells=8", "module__n_filters=[4, 4]"],
    "latif-ae-lstm": LATIF,
    "latif-vae-lstm": LATIF,
    "latif-cvae-lstm": LATIF,
    "wieser-elor": WIESER_CNN,
    "wieser-lom": WIESER_CNN,
    "wieser-ftr": WIESER,
    "wieser-elor-ftr": WIESER_CNN,
    # fixed weights: the inner folds of a 3-speaker toy leave too few utterances for the SVM's calibration
    "cross-family-fusion": ['members=["baseline", "wieser-lom"]', "weights=[0.5, 0.5]",
                            'member_settings={"wieser-lom": {"max_epochs": 1, "module__hidden": [8, 8], '
                            '"module__filters": [4, 4, 4], "module__kernels": [8, 4, 2]}}'],
}
TRAINED = {}  # system -> (saved model, CLI probabilities), for the one reloading process


@pytest.fixture(scope="module")
def toy_corpus(tmp_path_factory):
    """A manifest corpus of 3 speakers x 4 emotions x 2 short utterances (24 WAV files), and a
    prediction manifest of two speakers' first utterances."""
    from sklearn_ser.datasets import make_synthetic_corpus

    root = tmp_path_factory.mktemp("toy")
    corpus = make_synthetic_corpus(n_speakers=3, n_per_class=2, duration=(0.7, 1.0), random_state=0)
    rows = []
    for i, r in enumerate(corpus.itertuples()):
        sf.write(root / f"u{i:02d}.wav", r.audio, 16000, subtype="FLOAT")
        rows.append(f"u{i:02d}.wav,{r.speaker},{r.label}")
    (root / "train.csv").write_text("audio,speaker,label\n" + "\n".join(rows) + "\n")
    first = corpus.groupby("speaker").head(3).index[:6]
    (root / "predict.csv").write_text("audio,speaker\n" + "".join(
        f"u{i:02d}.wav,{corpus['speaker'][i]}\n" for i in first))
    return root


def _run_options_left(model):
    """Parameters a CLI run set for itself that are still on in ``model`` or its fitted members."""
    models = [model, *getattr(model, "estimators_", [])]
    return [(k, v) for m in models for k, v in m.get_params(deep=True).items()
            if (k.split("__")[-1] == "progress" and v) or (k.split("__")[-1] == "n_jobs" and v == -1)]


@pytest.mark.parametrize("name", list(SYSTEMS))
def test_every_system_trains_and_predicts_through_the_cli(name, toy_corpus, capsys):
    model = toy_corpus / f"{name}.model"
    # no --quiet: progress bars are what crashed the fusion systems
    assert main(["train", name, "--corpus", "csv", "--data", str(toy_corpus / "train.csv"),
                 "--model", str(model), "--n-jobs", "1", *[a for s in TOY_SETTINGS[name] for a in ("--set", s)]]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), "--manifest", str(toy_corpus / "predict.csv"), "--json"]) == 0
    predictions = json.loads(capsys.readouterr().out)
    proba = np.array([[p["proba"][c] for c in sorted(p["proba"])] for p in predictions])
    assert proba.shape == (6, 4) and np.allclose(proba.sum(axis=1), 1.0)
    assert _run_options_left(sklearn_ser.load(model)) == []
    TRAINED[name] = (str(model), proba)


def test_saved_models_reload_in_a_new_process_with_identical_probabilities(toy_corpus):
    if not TRAINED:
        pytest.skip("no system was trained in this session")
    np.save(toy_corpus / "trained.npy", np.array([path for path, _ in TRAINED.values()]))
    code = (
        "import sklearn_ser, numpy as np, sys\n"
        "from sklearn_ser.datasets import read_manifest\n"
        f"X = read_manifest({str(toy_corpus / 'predict.csv')!r}, required=('speaker',))\n"
        f"for path in np.load({str(toy_corpus / 'trained.npy')!r}):\n"
        "    model = sklearn_ser.load(path)\n"
        "    proba = model.predict_proba(X)[:, np.argsort(model.classes_.astype(str))]\n"
        "    np.save(path + '.npy', proba)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=toy_corpus)
    for name, (path, proba) in TRAINED.items():
        np.testing.assert_array_equal(np.load(path + ".npy"), proba, err_msg=name)


# ---- the CLI's edges ----

def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("sklearn-ser: error: "), err
    return err


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "nope"], "unknown system 'nope'"),
    (["train", "nope", "--model", "m.model"], "unknown system 'nope'"),
    (["evaluate", "baseline", "--corpus", "nope", "--data", "."], "unknown corpus 'nope'"),
    (["train", "baseline", "--corpus", "nope", "--model", "m.model"], "unknown corpus 'nope'"),
    (["evaluate", "baseline", "--corpus", "emodb", "--data", "/no/such/folder"], "/no/such/folder"),
])
def test_unknown_system_or_corpus_is_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []  # refused before any work


def test_set_overrides_reach_the_recipe(tmp_path, small_corpus):
    model = tmp_path / "m.model"
    _write_manifest(tmp_path, small_corpus)
    assert main(["train", "baseline", "--corpus", "csv", "--data", str(tmp_path / "manifest.csv"),
                 "--model", str(model), "--quiet", "--n-jobs", "1", "--set", "C=10",
                 "--set", "speaker_norm=true"]) == 0
    pipe = sklearn_ser.load(model)
    assert pipe.get_params()["classifier__estimator__C"] == 10
    assert pipe.named_steps["features"].speaker_norm is True


@pytest.mark.parametrize("command", ["evaluate", "train"])
@pytest.mark.parametrize("setting, message", [
    ("nope=1", "'nope'"),                     # not a parameter of the recipe
    ("C", "key=value"),                       # no value
])
def test_a_bad_setting_is_one_line_and_exit_2(command, setting, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [command, "baseline", "--set", setting] + (["--model", "m.model"] if command == "train" else [])
    assert main(argv) == 2
    assert message in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_misspelt_net_setting_is_refused_before_any_work(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for setting in ["max_epoch=1", "module__n_hiden=16"]:
        assert main(["train", "kim-3d-cnn-dnn", "--set", setting, "--model", "m.model"]) == 2
        assert setting.split("=")[0] in _one_line_error(capsys)


def test_version(capsys):
    from sklearn_ser import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"sklearn-ser {__version__}"


def test_python_dash_m_runs_the_command():
    from sklearn_ser import __version__

    result = subprocess.run([sys.executable, "-m", "sklearn_ser", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"sklearn-ser {__version__}"


def _write_manifest(root, corpus):
    """WAV files of ``corpus`` under ``root/audio`` and ``root/manifest.csv`` (relative paths)."""
    (root / "audio").mkdir(exist_ok=True)
    rows = []
    for i, r in enumerate(corpus.itertuples()):
        sf.write(root / "audio" / f"{r.speaker}_{i}.wav", r.audio, 16000, subtype="FLOAT")
        rows.append(f"audio/{r.speaker}_{i}.wav,{r.speaker},{r.label}")
    (root / "manifest.csv").write_text("audio,speaker,label\n" + "\n".join(rows) + "\n")


def test_predict_passes_the_speaker_of_the_files(tmp_path, small_corpus, capsys):
    import pandas as pd

    from sklearn_ser.recipes import get_system

    model = get_system("baseline-spknorm").fit(small_corpus, small_corpus["label"])
    sklearn_ser.save(model, tmp_path / "m.model")
    _write_manifest(tmp_path, small_corpus)
    manifest = pd.read_csv(tmp_path / "manifest.csv", dtype=str)
    two = manifest[manifest["speaker"].isin(["spk00", "spk01"])].groupby("speaker").head(4)
    (tmp_path / "predict.csv").write_text(two[["audio", "speaker"]].to_csv(index=False))
    files = [str(tmp_path / a) for a in two["audio"]]

    def cli_proba(*argv):
        capsys.readouterr()
        assert main(["predict", str(tmp_path / "m.model"), *argv, "--json"]) == 0
        return np.array([[p["proba"][str(c)] for c in model.classes_] for p in json.loads(capsys.readouterr().out)])

    X = pd.DataFrame({"audio": files, "speaker": two["speaker"].to_numpy()})
    np.testing.assert_array_equal(cli_proba("--manifest", str(tmp_path / "predict.csv")), model.predict_proba(X))
    one = X[X["speaker"] == "spk00"]
    np.testing.assert_array_equal(cli_proba(*one["audio"], "--speaker", "spk00"), model.predict_proba(one))


def test_predict_wants_files_or_a_manifest_not_both(tmp_path, capsys):
    (tmp_path / "m.csv").write_text("audio,speaker\n")
    assert main(["predict", str(tmp_path / "m.model"), "a.wav", "--manifest", str(tmp_path / "m.csv")]) == 2
    _one_line_error(capsys)
    assert main(["predict", str(tmp_path / "m.model")]) == 2
    _one_line_error(capsys)


def test_a_saved_model_carries_no_run_options(tmp_path, small_corpus):
    """Progress bars and all cores are the run's choices, not the saved model's."""
    _write_manifest(tmp_path, small_corpus.groupby(["speaker", "label"]).head(2))
    assert main(["train", "baseline", "--corpus", "csv", "--data", str(tmp_path / "manifest.csv"),
                 "--model", str(tmp_path / "m.model")]) == 0  # progress bars on, --n-jobs -1
    params = sklearn_ser.load(tmp_path / "m.model").get_params(deep=True)
    assert params["features__progress"] is False and params["features__n_jobs"] is None
    assert params["classifier__n_jobs"] is None


def test_progress_bars_reach_every_member_of_a_fusion():
    """``evaluate`` and ``train`` build through the same path; without --quiet it assumed a Pipeline."""
    from sklearn_ser.cli import _build

    model = _build("zhang-feature-fusion", ['members=["2d-small", "3d"]'], n_jobs=1, progress=True)
    assert [m.named_steps["features"].progress for _, m in model.estimators] == [True, True]


def test_predict_one_file_of_an_enrolled_speaker_as_in_its_batch(tmp_path, small_corpus, capsys):
    """The issue's day-one case: a -spknorm model predicting one file at a time."""
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    rows = []
    for i, r in enumerate(train.itertuples()):
        sf.write(tmp_path / f"t{i}.wav", r.audio, 16000)
        rows.append(f"t{i}.wav,{r.speaker},{r.label}")
    (tmp_path / "train.csv").write_text("path,speaker,label\n" + "\n".join(rows) + "\n")
    new = small_corpus[small_corpus["speaker"] == "spk05"]
    files = []
    for i, wave in enumerate(new["audio"]):
        files.append(str(tmp_path / f"new{i}.wav"))
        sf.write(files[-1], wave, 16000)
    model = str(tmp_path / "m.model")
    assert main(["train", "baseline-spknorm", "--corpus", "csv", "--data", str(tmp_path / "train.csv"),
                 "--model", model, "--quiet", "--n-jobs", "1"]) == 0

    def predict(*args):
        capsys.readouterr()
        assert main(["predict", model, *args, "--json"]) == 0
        return [p["proba"] for p in json.loads(capsys.readouterr().out)]

    batch = predict(*files, "--speaker", "spk05")  # 24 files of the speaker: its own statistics
    with pytest.warns(UserWarning, match="'spk05' with fewer than min_utterances"):
        alone = predict(files[0], "--speaker", "spk05")  # the population fallback, said so
    assert alone[0] != batch[0]
    enrolled = predict(files[0], "--speaker", "spk05", "--enroll", *files)
    assert enrolled[0] == pytest.approx(batch[0], abs=1e-6)
    # enrol once, save, then predict file by file from the enrolled model
    assert main(["enroll", model, "--speaker", "spk05", "--enroll", *files, "--out", model]) == 0
    assert predict(files[3], "--speaker", "spk05")[0] == pytest.approx(batch[3], abs=1e-6)
    capsys.readouterr()
    assert main(["predict", model, files[0], "--enroll", *files]) == 2  # whose files?
    assert "give --speaker" in capsys.readouterr().err
    plain = str(tmp_path / "plain.model")
    assert main(["train", "baseline", "--corpus", "csv", "--data", str(tmp_path / "train.csv"),
                 "--model", plain, "--quiet", "--n-jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["enroll", plain, "--speaker", "spk05", "--enroll", *files, "--out", plain]) == 2
    assert "no per-speaker normalisation step" in capsys.readouterr().err


def test_a_bad_cv_is_one_line_and_exit_2_and_saved_files_get_the_usual_mode(tmp_path, capsys):
    for cv in ("bogus", "kfold:x"):
        assert main(["evaluate", "baseline", "--cv", cv, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("sklearn-ser: error:") and err.count("\n") == 1
    from sklearn_ser.cli import _write_atomically

    umask = os.umask(0o022)
    try:
        _write_atomically(tmp_path / "f.txt", lambda p: Path(p).write_text("x"))
    finally:
        os.umask(umask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644


def test_an_interrupted_report_never_leaves_an_old_record_beside_new_files(tmp_path, monkeypatch):
    from sklearn_ser import cli

    out = tmp_path / "report"
    out.mkdir()
    (out / "confusion.png").write_text("old plot")
    (out / "report.json").write_text("old report")
    writers = {out / "confusion.png": lambda p: Path(p).write_text("new plot"),
               out / "report.json": lambda p: Path(p).write_text("new report")}

    def failing_plot(p):
        raise RuntimeError("plot failed")

    with pytest.raises(RuntimeError):  # a failure before any swap: the old run stays whole
        cli._write_together({**writers, out / "confusion.png": failing_plot})
    assert {p.name: p.read_text() for p in out.iterdir()} == {"confusion.png": "old plot", "report.json": "old report"}

    replace, calls = os.replace, []

    def interrupted(src, dst):  # killed between the plot's swap and the report's
        calls.append(dst)
        if Path(dst).name == "report.json":
            raise KeyboardInterrupt
        replace(src, dst)

    monkeypatch.setattr(cli.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli._write_together(writers)
    assert {p.name: p.read_text() for p in out.iterdir()} == {"confusion.png": "new plot"}  # no stale record


def test_enrolment_without_speakers_to_use_it_is_refused(tmp_path, small_corpus, capsys):
    from sklearn_ser.recipes import get_system

    sklearn_ser.save(get_system("baseline-spknorm").fit(small_corpus, small_corpus["label"]), tmp_path / "m.model")
    wav = tmp_path / "a.wav"
    sf.write(wav, small_corpus["audio"][0], 16000)
    (tmp_path / "e.csv").write_text(f"path,speaker\n{wav},spk00\n")
    assert main(["predict", str(tmp_path / "m.model"), str(wav), "--enroll-manifest", str(tmp_path / "e.csv")]) == 2
    assert "give --speaker or a --manifest" in capsys.readouterr().err


# ---- model files: the safe format by default, pickles only when trusted ----

class _WritesAMarker:
    """What a hostile pickle does: run code when it is loaded."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path(self.marker).write_text, ("the model file ran code",))


def test_predict_refuses_a_pickle_that_would_run_code(tmp_path, capsys):
    import pickle

    marker = tmp_path / "marker.txt"
    (tmp_path / "hostile.model").write_bytes(pickle.dumps(_WritesAMarker(marker)))
    wav = tmp_path / "a.wav"
    sf.write(wav, np.sin(np.arange(16000) / 10.0).astype("float32"), 16000)
    assert main(["predict", str(tmp_path / "hostile.model"), str(wav)]) == 2
    err = _one_line_error(capsys)
    assert "not a sklearn-ser model archive" in err and "--trust-pickle" in err
    assert not marker.exists()


def test_a_trusted_joblib_model_still_predicts(tmp_path, small_corpus, capsys):
    import joblib

    from sklearn_ser.recipes import get_system

    model = get_system("baseline").fit(small_corpus, small_corpus["label"])
    joblib.dump(model, tmp_path / "m.joblib")
    wav = tmp_path / "a.wav"
    sf.write(wav, small_corpus["audio"][0], 16000)
    assert main(["predict", str(tmp_path / "m.joblib"), str(wav), "--json", "--trust-pickle"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["proba"] == pytest.approx(dict(zip(model.classes_, model.predict_proba([str(wav)])[0])))


def test_train_writes_joblib_only_when_asked(tmp_path, small_corpus):
    import joblib

    _write_manifest(tmp_path, small_corpus)
    common = ["train", "baseline", "--corpus", "csv", "--data", str(tmp_path / "manifest.csv"), "--quiet",
              "--n-jobs", "1"]
    assert main([*common, "--model", str(tmp_path / "safe.model")]) == 0
    assert main([*common, "--model", str(tmp_path / "m.joblib"), "--format", "joblib"]) == 0
    safe, pickled = sklearn_ser.load(tmp_path / "safe.model"), joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(safe.predict_proba(small_corpus), pickled.predict_proba(small_corpus))
    with pytest.raises(sklearn_ser.ModelFormatError, match="not a sklearn-ser model archive"):
        sklearn_ser.load(tmp_path / "m.joblib")


@pytest.mark.parametrize("path, message", [("nowhere.model", "no model file"), (".", "is a directory")])
def test_a_missing_model_file_is_one_line(path, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "a.wav", np.sin(np.arange(8000) / 10.0).astype("float32"), 16000)
    assert main(["predict", path, "a.wav"]) == 2
    assert message in _one_line_error(capsys)


def test_predict_flags_outliers_per_file_and_can_refuse_them(tmp_path, small_corpus, capsys):
    from sklearn_ser.recipes import get_system

    sklearn_ser.save(get_system("baseline").fit(small_corpus, small_corpus["label"]), tmp_path / "m.model")
    speech, tone = tmp_path / "speech.wav", tmp_path / "tone.wav"
    sf.write(speech, small_corpus["audio"][0], 16000)
    sf.write(tone, 0.5 * np.sin(2 * np.pi * 440 * np.arange(32000) / 16000), 16000)
    assert main(["predict", str(tmp_path / "m.model"), str(speech), str(tone), "--json"]) == 0
    captured = capsys.readouterr()
    assert [row["outlier"] for row in json.loads(captured.out)] == [False, True]
    assert main(["predict", str(tmp_path / "m.model"), str(speech), str(tone)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("\t")[:3] == ["file", "label", "outlier"]
    assert [line.split("\t")[2] for line in table[1:]] == ["no", "yes"]
    assert main(["predict", str(tmp_path / "m.model"), str(speech), str(tone), "--on-outlier", "raise"]) == 2
    assert "tone.wav" in _one_line_error(capsys)


def test_a_feature_cache_gives_the_same_report_and_stays_out_of_the_saved_model(tmp_path, capsys):
    cache = tmp_path / "cache"
    runs = []
    for name in ("first", "second"):  # the second reads every utterance's features from the cache
        assert main(["evaluate", "baseline", "--quiet", "--n-jobs", "1", "--cv", "kfold:2", "--cache", str(cache),
                     "--out", str(tmp_path / name)]) == 0
        runs.append(json.loads((tmp_path / name / "report.json").read_text()))
    assert main(["evaluate", "baseline", "--quiet", "--n-jobs", "1", "--cv", "kfold:2",
                 "--out", str(tmp_path / "uncached")]) == 0
    uncached = json.loads((tmp_path / "uncached" / "report.json").read_text())
    assert runs[0]["confusion"] == runs[1]["confusion"] == uncached["confusion"]
    assert any(cache.rglob("output.pkl"))  # features were cached there
    assert main(["train", "baseline", "--quiet", "--n-jobs", "1", "--cache", str(cache),
                 "--model", str(tmp_path / "m.model")]) == 0
    model = sklearn_ser.load(tmp_path / "m.model")
    assert model.named_steps["features"].memory is None  # the trainer's folder is not the user's


def test_a_relative_cache_folder_reaches_the_workers_as_an_absolute_path(tmp_path, monkeypatch):
    from sklearn_ser.cli import _build

    monkeypatch.chdir(tmp_path)
    model = _build("baseline", [], 1, False, Path("cache"))
    assert model.named_steps["features"].memory == str(tmp_path / "cache")  # a worker has another cwd
