"""Dimensional targets: ratings binned low/mid/high or into five levels, the category proxy, and a
rated corpus (a fake IEMOCAP of synthetic audio) through the CLI's --target."""
import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sklearn_ser.cli import main
from sklearn_ser.datasets import (
    CATEGORY_RATINGS_PROXY, DIMENSIONS, five_levels, low_mid_high, make_synthetic_corpus, proxy_ratings,
    ratings_of, read_iemocap,
)


def test_ratings_are_binned_as_latif_et_al():
    corpus = pd.DataFrame({"label": ["x"] * 4, "valence": [1.0, 3.0, 3.5, 2.99],
                           "arousal": [3.0, 3.0, 3.0, 3.0], "dominance": [5, 1, 3, 4]})
    assert list(low_mid_high(corpus, "valence")) == ["low", "mid", "high", "low"]
    assert list(low_mid_high(corpus, "power")) == ["high", "low", "mid", "high"]  # the paper's name
    assert list(five_levels(corpus, "dominance")) == [5, 1, 3, 4]
    assert ratings_of(corpus).attrs["proxy"] is False


def test_own_ratings_win_over_the_proxy():
    corpus = pd.DataFrame({"label": ["sad"], "valence": [5.0], "arousal": [5.0], "dominance": [5.0]})
    assert low_mid_high(corpus, "arousal", proxy=True)[0] == "high"  # the rating, not sad's proxy


def test_a_proxy_is_never_used_unasked():
    corpus = pd.DataFrame({"label": ["sad", "angry"]})
    with pytest.raises(ValueError, match="no arousal, valence, dominance ratings; proxy=True"):
        low_mid_high(corpus, "arousal")
    assert list(low_mid_high(corpus, "arousal", proxy=True)) == ["low", "high"]
    assert ratings_of(corpus, proxy=True).attrs["proxy"] is True


def test_the_proxy_places_categories_in_their_quadrants():
    levels = {d: dict(zip(CATEGORY_RATINGS_PROXY, low_mid_high(pd.DataFrame({"label": list(CATEGORY_RATINGS_PROXY)}),
                                                                d, proxy=True)))
              for d in DIMENSIONS}
    assert levels["arousal"]["angry"] == levels["arousal"]["fear"] == levels["arousal"]["happy"] == "high"
    assert levels["arousal"]["sad"] == levels["arousal"]["boredom"] == "low"
    assert levels["valence"]["happy"] == "high" and levels["valence"]["angry"] == levels["valence"]["sad"] == "low"
    assert levels["dominance"]["angry"] == "high" and levels["dominance"]["fear"] == "low"
    assert all(levels[d]["neutral"] == "mid" for d in DIMENSIONS)


def test_unknown_labels_and_dimensions_are_named():
    with pytest.raises(ValueError, match="no proxy rating for the label.*'gloomy'"):
        proxy_ratings(["sad", "gloomy"])
    with pytest.raises(ValueError, match="unknown dimension 'pleasure'"):
        low_mid_high(pd.DataFrame({"label": ["sad"]}), "pleasure", proxy=True)
    assert proxy_ratings(["meh"], table={"meh": (2, 2, 2)})["valence"].tolist() == [2.0]


def test_a_missing_rating_names_the_utterance():
    corpus = pd.DataFrame({"audio": ["a.wav", "b.wav"], "label": ["sad", "sad"], "valence": [1.0, np.nan],
                           "arousal": [1.0, 2.0], "dominance": [1.0, 2.0]})
    with pytest.raises(ValueError, match="b.wav: has no valence rating"):
        low_mid_high(corpus, "valence")


def _fake_iemocap(root, corpus):
    """IEMOCAP's layout holding ``corpus``'s synthetic audio, rated with the category proxy plus
    evaluator-like jitter, speakers as sessions."""
    rng = np.random.default_rng(0)
    ratings = proxy_ratings(corpus["label"]).to_numpy() + rng.choice([-0.5, 0, 0, 0.5], size=(len(corpus), 3))
    speakers = sorted(corpus["speaker"].unique())
    lines = {}
    for i, (r, (v, a, d)) in enumerate(zip(corpus.itertuples(), ratings)):
        session = speakers.index(r.speaker) + 1
        dialog = f"Ses0{session}F_impro01"
        utt = f"{dialog}_F{i:03d}"
        wav = root / f"Session{session}" / "sentences" / "wav" / dialog / f"{utt}.wav"
        wav.parent.mkdir(parents=True, exist_ok=True)
        sf.write(wav, r.audio, 16000)
        lines.setdefault((session, dialog), []).append(
            f"[0.0 - 1.0]\t{utt}\t{r.label[:3]}\t[{v:.4f}, {a:.4f}, {d:.4f}]")
    for (session, dialog), rows in lines.items():
        path = root / f"Session{session}" / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(rows) + "\n")


def test_a_rated_corpus_trains_on_a_dimension_through_the_cli(tmp_path, capsys):
    corpus = make_synthetic_corpus(n_speakers=4, n_per_class=6, random_state=1)
    _fake_iemocap(tmp_path / "iemocap", corpus)
    read = read_iemocap(tmp_path / "iemocap")
    expected = low_mid_high(read, "arousal")
    assert set(expected) == {"low", "mid", "high"}

    out = tmp_path / "report"
    assert main(["evaluate", "baseline", "--corpus", "iemocap", "--data", str(tmp_path / "iemocap"),
                 "--target", "arousal", "--out", str(out), "--quiet", "--n-jobs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "3 classes of arousal low/mid/high," in printed and "proxy" not in printed
    report = json.loads((out / "report.json").read_text())
    assert sorted(c["label"] for c in report["per_class"]) == ["high", "low", "mid"]
    assert report["info"]["target"] == "arousal low/mid/high"
    assert report["f1"] > 0.5  # chance is about 1/3: the arousal groups of the synthetic voices are learnable

    model = tmp_path / "arousal.model"
    assert main(["train", "baseline", "--corpus", "iemocap", "--data", str(tmp_path / "iemocap"),
                 "--target", "arousal", "--model", str(model), "--quiet", "--n-jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), read["audio"].iloc[0], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["label"] in {"low", "mid", "high"}


def test_a_corpus_without_ratings_needs_the_proxy_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "baseline", "--target", "valence", "--quiet", "--n-jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "synthetic: the corpus has no arousal, valence, dominance ratings; --proxy-ratings" in err
    assert main(["evaluate", "baseline", "--target", "valence", "--proxy-ratings", "--cv", "kfold:2",
                 "--quiet", "--n-jobs", "1"]) == 0
    assert "valence low/mid/high (a proxy from the categories, not ratings)" in capsys.readouterr().out
