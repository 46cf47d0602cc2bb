"""The README is what users copy: its tour must run, its links must resolve inside the repository,
and it stays short."""
import re
from pathlib import Path

import pytest
import soundfile as sf

import sklearn_ser.datasets
from sklearn_ser.datasets import make_synthetic_corpus

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_stays_a_short_user_page():
    assert len(README.splitlines()) <= 200
    assert not re.search(r"\b[0-9a-f]{7,40}\b", README), "no commit ids in the README"


def test_every_link_in_the_docs_resolves_inside_the_repository():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#")):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{page.name} links to {target}, which does not exist"
            assert ROOT in path.parents, f"{page.name} links outside the repository: {target}"


def test_the_tour_runs_as_written(tmp_path, monkeypatch):
    corpus = make_synthetic_corpus(n_speakers=4, n_per_class=3, random_state=0)
    monkeypatch.setattr(sklearn_ser.datasets, "read_emodb", lambda path: corpus)
    monkeypatch.chdir(tmp_path)
    sf.write("new.wav", corpus["audio"].iloc[0], 16000)
    (tour,) = _python_blocks(README)
    namespace = {}
    exec(compile(tour, "README.md", "exec"), namespace)
    fold_ua = namespace["scores"]["test_ua"]
    assert len(fold_ua) == 4  # one fold per speaker
    # evaluate() and cross_validate() ran the same speaker folds on the same pipeline
    assert sorted(namespace["report"].per_fold["ua"]) == pytest.approx(sorted(fold_ua))
    assert namespace["model"].predict([corpus["audio"].iloc[0]])[0] in set(corpus["label"])
    assert (tmp_path / "ser.model").stat().st_size > 0
