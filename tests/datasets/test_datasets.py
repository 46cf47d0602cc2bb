import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sklearn_ser.datasets import (
    KIM_LABEL_MAP, CorpusLayoutError, bin_five_levels, bin_low_mid_high, combine_corpora,
    feeltrace_category, load_corpus, make_synthetic_corpus, read_cremad, read_emodb, read_iemocap,
    read_manifest, read_ravdess, read_tess,
)
from sklearn_ser.features import frame_llds

from ..conftest import tone


def _touch_wav(path, seconds=0.2):
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lstrip(".").upper()
    sf.write(path, tone(seconds=seconds), 16000, format=suffix)
    return path


# --- readers on the real corpora ------------------------------------------------------------------

def test_read_emodb_real(emodb_dir):
    frame = read_emodb(emodb_dir)
    assert len(frame) == 535 and frame["speaker"].nunique() == 10
    assert frame["label"].value_counts().to_dict() == {
        "angry": 127, "boredom": 81, "neutral": 79, "happy": 71, "fear": 69, "sad": 62, "disgust": 46}
    manifest = pd.read_csv(emodb_dir / "manifest.csv", dtype={"speaker": str})
    merged = frame.assign(path=frame["audio"].str.split("/emodb/").str[-1]).merge(manifest, on="path")
    assert len(merged) == 535
    assert (merged["label_x"] == merged["label_y"]).all()
    assert (merged["speaker_x"] == merged["speaker_y"]).all()
    assert (merged["gender_x"] == merged["gender_y"]).all()


def test_read_tess_real(tess_dir):
    frame = read_tess(tess_dir)
    assert len(frame) == 2800
    assert frame["speaker"].value_counts().to_dict() == {"OAF": 1400, "YAF": 1400}
    assert set(frame["label"]) == {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}


def test_read_manifest_real(emodb_dir):
    frame = read_manifest(emodb_dir / "manifest.csv")
    assert len(frame) == 535 and frame["speaker"].iloc[0] == "03"  # IDs stay strings


# --- readers on layouts built here ----------------------------------------------------------------

def test_read_emodb_layout(tmp_path):
    for name in ("03a01Fa", "16b10Tb", "08a02Wc"):
        _touch_wav(tmp_path / "wav" / f"{name}.wav")
    frame = read_emodb(tmp_path)
    assert frame[["speaker", "label", "gender", "text_id", "version"]].values.tolist() == [
        ["03", "happy", "male", "a01", "a"], ["08", "angry", "female", "a02", "c"],
        ["16", "sad", "female", "b10", "b"]]
    _touch_wav(tmp_path / "wav" / "notemodb.wav")
    with pytest.raises(CorpusLayoutError, match="notemodb.wav does not follow"):
        read_emodb(tmp_path)


def test_read_emodb_wrong_folder(tmp_path):
    with pytest.raises(CorpusLayoutError, match="expected a 'wav' folder"):
        read_emodb(tmp_path)
    with pytest.raises(CorpusLayoutError, match="is not a folder"):
        read_emodb(tmp_path / "absent")


def test_read_tess_original_and_flat_layouts(tmp_path):
    original = tmp_path / "original"
    _touch_wav(original / "OAF_angry" / "OAF_back_angry.wav")
    _touch_wav(original / "YAF_pleasant_surprised" / "YAF_bath_ps.wav")
    _touch_wav(original / "OAF_neutral" / "OA_bite_neutral.wav")  # the original's typo
    frame = read_tess(original)
    assert frame[["speaker", "word", "label"]].values.tolist() == [
        ["OAF", "back", "angry"], ["OAF", "bite", "neutral"], ["YAF", "bath", "surprise"]]
    flat = tmp_path / "flat"
    _touch_wav(flat / "YAF" / "YAF_dog_fear.flac")
    assert read_tess(flat)[["speaker", "label"]].values.tolist() == [["YAF", "fear"]]
    _touch_wav(flat / "YAF" / "XYZ_dog_fear.flac")
    with pytest.raises(CorpusLayoutError, match="unknown speaker"):
        read_tess(flat)


def test_read_ravdess_layout(tmp_path):
    _touch_wav(tmp_path / "Actor_01" / "03-01-05-02-01-02-01.wav")
    _touch_wav(tmp_path / "Actor_12" / "03-01-02-01-02-01-12.wav")
    frame = read_ravdess(tmp_path)
    first, second = frame.to_dict(orient="records")
    assert (first["speaker"], first["label"], first["gender"], first["intensity"], first["repetition"]) == (
        "01", "angry", "male", "strong", 2)
    assert first["statement"] == "Kids are talking by the door"
    assert (second["label"], second["gender"], second["statement"]) == (
        "calm", "female", "Dogs are sitting by the door")
    _touch_wav(tmp_path / "Actor_02" / "bad.wav")
    with pytest.raises(CorpusLayoutError, match="bad.wav does not follow"):
        read_ravdess(tmp_path)
    with pytest.raises(CorpusLayoutError, match="Actor_XX"):
        read_ravdess(_empty(tmp_path))


def _empty(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir(exist_ok=True)
    return folder


def test_read_cremad_layout_with_demographics(tmp_path):
    _touch_wav(tmp_path / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    _touch_wav(tmp_path / "AudioWAV" / "1002_IEO_HAP_HI.wav")
    pd.DataFrame({"ActorID": ["1001", "1002"], "Sex": ["Male", "Female"]}).to_csv(
        tmp_path / "VideoDemographics.csv", index=False)
    frame = read_cremad(tmp_path)
    assert frame[["speaker", "label", "sentence", "level", "gender"]].values.tolist() == [
        ["1001", "angry", "DFA", "unspecified", "male"], ["1002", "happy", "IEO", "high", "female"]]


def test_read_iemocap_layout(tmp_path):
    session = tmp_path / "Session1"
    evaluation = session / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    evaluation.parent.mkdir(parents=True)
    evaluation.write_text(
        "% header\n\n"
        "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
        "C-E2:\tNeutral;\t()\n\n"
        "[10.0100 - 11.3925]\tSes01F_impro01_M001\texc\t[4.0000, 3.5000, 3.0000]\n"
    )
    for utt in ("Ses01F_impro01_F000", "Ses01F_impro01_M001"):
        _touch_wav(session / "sentences" / "wav" / "Ses01F_impro01" / f"{utt}.wav")
    frame = read_iemocap(tmp_path)
    assert frame[["speaker", "label", "gender", "session"]].values.tolist() == [
        ["Ses01F", "neutral", "female", "Ses01"], ["Ses01M", "excited", "male", "Ses01"]]
    assert frame[["valence", "arousal", "dominance"]].values.tolist()[1] == [4.0, 3.5, 3.0]
    assert read_iemocap(tmp_path, merge_excited=True)["label"].tolist() == ["neutral", "happy"]
    (session / "sentences" / "wav" / "Ses01F_impro01" / "Ses01F_impro01_F000.wav").unlink()
    with pytest.raises(CorpusLayoutError, match="no wav file"):
        read_iemocap(tmp_path)


def test_read_manifest_resolves_and_checks(tmp_path):
    _touch_wav(tmp_path / "a" / "x.wav")
    pd.DataFrame({"path": ["a/x.wav"], "label": ["sad"], "speaker": ["007"]}).to_csv(
        tmp_path / "m.csv", index=False)
    frame = load_corpus("csv", tmp_path / "m.csv")
    assert frame["audio"].iloc[0] == str((tmp_path / "a" / "x.wav").resolve())
    assert frame["speaker"].iloc[0] == "007"
    pd.DataFrame({"path": ["a/missing.wav"], "label": ["sad"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(CorpusLayoutError, match="missing.wav, which does not exist"):
        read_manifest(tmp_path / "bad.csv")
    pd.DataFrame({"path": ["a/x.wav"]}).to_csv(tmp_path / "nolabel.csv", index=False)
    with pytest.raises(CorpusLayoutError, match="'label' column"):
        read_manifest(tmp_path / "nolabel.csv")


def test_load_corpus_unknown_name():
    with pytest.raises(ValueError, match="unknown corpus"):
        load_corpus("nope", ".")


# --- aggregation and label mappings ---------------------------------------------------------------

def test_combine_corpora_prefixes_speakers_and_maps_labels():
    a = pd.DataFrame({"audio": ["1", "2", "3"], "speaker": ["01", "01", "02"],
                      "label": ["anger", "boredom", "joy"]})
    b = pd.DataFrame({"audio": ["4", "5"], "speaker": ["01", "02"], "label": ["sad", "neutral"]})
    both = combine_corpora({"x": a, "y": b}, label_map=KIM_LABEL_MAP)
    assert both["speaker"].tolist() == ["x:01", "x:02", "y:01", "y:02"]
    assert both["label"].tolist() == ["angry", "happy", "sad", "neutral"]  # boredom dropped
    assert both["corpus"].tolist() == ["x", "x", "y", "y"]
    per_corpus = combine_corpora({"x": a, "y": b}, label_map={"x": {"boredom": "neutral"}})
    assert per_corpus["label"].tolist() == ["neutral", "sad", "neutral"]


def test_a_cross_corpus_test_keeps_the_classes_every_corpus_has():
    from sklearn_ser.datasets import shared_label_map

    emodb = pd.DataFrame({"audio": list("abcd"), "speaker": ["03"] * 4, "label": ["angry", "boredom", "sad", "fear"]})
    tess = pd.DataFrame({"audio": list("efg"), "speaker": ["OAF"] * 3, "label": ["sad", "surprise", "angry"]})
    shared = shared_label_map({"emodb": emodb, "tess": tess})
    assert shared == {"angry": "angry", "sad": "sad"}
    both = combine_corpora({"emodb": emodb, "tess": tess}, label_map=shared)
    assert both.groupby("corpus")["label"].apply(sorted).to_dict() == {"emodb": ["angry", "sad"],
                                                                     "tess": ["angry", "sad"]}
    # names mapped first: anger, sadness and joy are KIM_LABEL_MAP's angry, sad and happy
    other = pd.DataFrame({"audio": list("hij"), "speaker": ["x"] * 3, "label": ["anger", "sadness", "joy"]})
    kim = shared_label_map({"emodb": emodb, "other": other}, KIM_LABEL_MAP)
    assert kim == {"sad": "sad", "sadness": "sad", "angry": "angry", "anger": "angry"}
    assert set(combine_corpora({"emodb": emodb, "other": other}, label_map=kim)["label"]) == {"angry", "sad"}
    with pytest.raises(ValueError, match="share 0 class"):
        shared_label_map({"emodb": emodb, "other": other})  # unmapped, no name in common


def test_feeltrace_nearest_landmark_with_averaged_traces():
    assert list(feeltrace_category([0.0, 0.7, -0.8, -0.6], [0.05, 0.5, 0.8, -0.5])) == [
        "neutral", "happy", "angry", "sad"]
    # a trace: mean distance decides, not the mean point
    assert feeltrace_category([[0.74, 0.74, -0.77]], [[0.52, 0.52, 0.75]])[0] == "happy"


def test_dimension_binning():
    assert list(bin_low_mid_high([1.0, 2.5, 3.0, 3.5, 5.0])) == ["low", "low", "mid", "high", "high"]
    assert list(bin_five_levels([1.0, 1.49, 1.5, 3.0, 4.6, 5.0])) == [1, 1, 2, 3, 5, 5]
    assert list(bin_five_levels([-1.0, 0.0, 1.0], low=-1, high=1)) == [1, 3, 5]


# --- synthetic corpus -----------------------------------------------------------------------------

def test_synthetic_corpus_is_deterministic_and_balanced():
    a = make_synthetic_corpus(n_speakers=2, n_per_class=2, random_state=3)
    b = make_synthetic_corpus(n_speakers=2, n_per_class=2, random_state=3)
    c = make_synthetic_corpus(n_speakers=2, n_per_class=2, random_state=4)
    assert len(a) == 16 and a.groupby(["speaker", "label"]).size().eq(2).all()
    assert all(np.array_equal(x, y) for x, y in zip(a["audio"], b["audio"]))
    assert not np.array_equal(a["audio"][0], c["audio"][0])
    assert all(w.dtype == np.float32 and np.abs(w).max() <= 1.0 for w in a["audio"])


def test_synthetic_prosody_follows_emotion_and_voice_follows_speaker():
    corpus = make_synthetic_corpus(n_speakers=4, n_per_class=4, random_state=0)

    def median_f0(y):
        f0 = frame_llds(y)[:, 0]
        return np.median(f0[f0 > 0])

    corpus["f0"] = [median_f0(y) for y in corpus["audio"]]
    corpus["rms"] = [np.sqrt(np.mean(y.astype(float) ** 2)) for y in corpus["audio"]]
    by = corpus.groupby("label")[["f0", "rms"]].mean()
    assert by.loc["angry", "f0"] > by.loc["neutral", "f0"] > by.loc["sad", "f0"]
    assert by.loc["angry", "rms"] > by.loc["sad", "rms"]
    f0_gender = corpus.groupby("gender")["f0"].mean()
    assert f0_gender["female"] > 1.4 * f0_gender["male"]


def test_synthetic_rejects_unknown_emotion():
    with pytest.raises(ValueError, match="unknown emotions"):
        make_synthetic_corpus(emotions=("happy", "bliss"))
