import json
import subprocess
import sys

import numpy as np
import soundfile as sf

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

    model = tmp_path / "model.joblib"
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
    import joblib

    from sklearn_ser.recipes import get_system

    model = get_system("baseline").fit(small_corpus, small_corpus["label"])
    joblib.dump(model, tmp_path / "m.joblib")
    good = tmp_path / "good.wav"
    sf.write(good, small_corpus["audio"][0], 16000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"garbage" * 100)
    assert main(["predict", str(tmp_path / "m.joblib"), str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.wav: cannot be decoded" in err


def test_command_is_installed():
    result = subprocess.run([sys.executable, "-m", "sklearn_ser.cli", "systems"], capture_output=True, text=True)
    assert result.returncode == 0 and "baseline" in result.stdout
