"""A fitted pipeline saved with joblib loads in a new process and predicts identically."""
import subprocess
import sys

import joblib
import numpy as np
import soundfile as sf

from sklearn_ser.recipes import get_system


def test_baseline_pipeline_round_trip_in_new_process(small_corpus, tmp_path):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    files = []
    for i, y in enumerate(test["audio"]):
        path = tmp_path / f"u{i}.wav"
        sf.write(path, y, 16000, subtype="FLOAT")
        files.append(str(path))
    model = get_system("baseline").fit(train, train["label"])
    expected = model.predict_proba(files)
    assert (model.classes_[expected.argmax(1)] == model.predict(files)).all()
    joblib.dump(model, tmp_path / "model.joblib")
    np.save(tmp_path / "files.npy", np.array(files))
    code = (
        "import joblib, numpy as np, sys;"
        f"m = joblib.load({str(tmp_path / 'model.joblib')!r});"
        f"files = list(np.load({str(tmp_path / 'files.npy')!r}));"
        f"np.save({str(tmp_path / 'out.npy')!r}, m.predict_proba(files))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), expected)


def test_same_random_state_same_predictions(small_corpus):
    train = small_corpus[small_corpus["speaker"] != "spk05"]
    test = small_corpus[small_corpus["speaker"] == "spk05"]
    a = get_system("baseline", random_state=3).fit(train, train["label"]).predict_proba(test)
    b = get_system("baseline", random_state=3).fit(train, train["label"]).predict_proba(test)
    np.testing.assert_array_equal(a, b)
