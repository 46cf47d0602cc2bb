"""Quickstart: speaker-independent SER on the built-in synthetic corpus, in plain scikit-learn.

Run: python examples/quickstart.py        (about 20 s on two cores; no download)
"""
import tempfile
from pathlib import Path

import joblib
from sklearn.model_selection import cross_validate

from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.metrics import SCORING
from sklearn_ser.model_selection import LeaveOneSpeakerOut, evaluate
from sklearn_ser.recipes import get_system

# 1. A corpus: a DataFrame with an `audio` column (waveforms here; file paths work the same way)
#    and a `speaker` column, which is what makes the evaluation speaker-independent.
corpus = make_synthetic_corpus(n_speakers=6, n_per_class=8, random_state=0)
print(corpus[["speaker", "label", "gender"]].value_counts().unstack("label"), "\n")

# 2. A system is an ordinary Pipeline: LLD functionals -> scaler -> SVM.
pipe = get_system("baseline")

# 3. Any sklearn tool works on it, with speakers as groups.
scores = cross_validate(pipe, corpus, corpus["label"], groups=corpus["speaker"],
                        cv=LeaveOneSpeakerOut(), scoring=SCORING)
print(f"cross_validate: UA per fold {scores['test_ua'].round(2)}")

# 4. Or the library's evaluate(): per-fold and pooled UA/WA, confusion matrix, per-class scores.
report = evaluate(pipe, corpus, corpus["label"], cv="loso")
print(report.summary(), "\n")
print(report.per_class.round(3), "\n")

# 5. Train on everything, save, load elsewhere, predict.
model = pipe.fit(corpus, corpus["label"])
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "ser.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    new = make_synthetic_corpus(n_speakers=1, n_per_class=1, random_state=99)
    for label, proba in zip(new["label"], loaded.predict_proba(new)):
        best = loaded.classes_[proba.argmax()]
        print(f"true {label:8s} predicted {best:8s} p={proba.max():.2f}")
