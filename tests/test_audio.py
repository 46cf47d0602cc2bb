import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sklearn_ser.audio import AudioLoader, as_utterances, checked_sources, decode, load_utterances, read_audio
from sklearn_ser.exceptions import InvalidUtteranceError

from .conftest import tone


def test_read_audio_mono_resampled_float32(wav_files):
    mono, stereo, low, flac = (read_audio(p) for p in wav_files)
    for y in (mono, stereo, low, flac):
        assert y.dtype == np.float32 and y.ndim == 1
        assert np.abs(y).max() <= 1.0
    assert len(low) == 16000  # 1 s at 8 kHz resampled to 16 kHz
    np.testing.assert_allclose(stereo, 0.75 * mono, atol=1e-4)  # channels averaged
    np.testing.assert_allclose(flac, mono, atol=1e-4)
    # resampling keeps the tone: the spectral peak stays at 220 Hz
    spectrum = np.abs(np.fft.rfft(low))
    assert abs(np.argmax(spectrum) * 16000 / len(low) - 220) < 2


def test_ogg_is_read(tmp_path):
    path = tmp_path / "a.ogg"
    sf.write(path, tone(300.0), 16000, format="OGG", subtype="VORBIS")
    y = read_audio(path)
    assert abs(len(y) - 16000) < 400 and y.dtype == np.float32


def test_loader_keeps_dataframe_metadata(wav_files):
    X = pd.DataFrame({"audio": wav_files, "speaker": list("abcd"), "gender": ["f"] * 4},
                     index=[10, 11, 12, 13])
    out = AudioLoader().fit_transform(X)
    assert list(out.columns) == ["audio", "speaker", "gender"]
    assert list(out.index) == [10, 11, 12, 13]
    assert all(isinstance(w, np.ndarray) and w.dtype == np.float32 for w in out["audio"])
    assert X["audio"].iloc[0] == wav_files[0]  # input untouched


def test_loader_accepts_paths_waveforms_and_2d(wav_files):
    out = AudioLoader().fit_transform(wav_files + [tone(100.0, 0.5)])
    assert out.dtype == object and len(out) == 5 and len(out[-1]) == 8000
    out2d = AudioLoader().fit_transform(np.stack([tone(100.0), tone(200.0)]))
    assert len(out2d) == 2


def test_parallel_loading_is_identical(wav_files):
    one = AudioLoader(n_jobs=1).fit_transform(wav_files)
    two = AudioLoader(n_jobs=2).fit_transform(wav_files)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "bad, problem",
    [
        (np.zeros(100, dtype=np.float32), "all zeros"),
        (np.array([], dtype=np.float32), "empty"),
        (np.array([0.1, np.nan, 0.2]), "NaN"),
        (np.array([0.1, np.inf, 0.2]), "NaN or infinite"),
        (np.ones((2, 50)), "must be 1-D"),
        (np.array(["a", "b"]), "numeric"),
    ],
)
def test_bad_waveforms_are_named(bad, problem):
    X = [tone(), bad]
    with pytest.raises(InvalidUtteranceError, match=problem) as err:
        AudioLoader().fit(X)
    assert err.value.utterance == "utterance #1"


def test_bad_waveform_named_by_dataframe_row():
    X = pd.DataFrame({"audio": [tone(), np.zeros(10)], "speaker": ["a", "b"]}, index=["u1", "u2"])
    with pytest.raises(InvalidUtteranceError, match=r"row 'u2': audio is all zeros"):
        AudioLoader().transform(X)


def test_missing_and_corrupt_file_among_many_are_named(tmp_path, wav_files):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF not really a wave file" * 10)
    many = wav_files * 50 + [str(corrupt)] + wav_files
    with pytest.raises(InvalidUtteranceError, match="corrupt.wav: cannot be decoded") as err:
        AudioLoader().fit(many)
    assert err.value.utterance == str(corrupt)
    with pytest.raises(InvalidUtteranceError, match="nope.wav: file not found"):
        AudioLoader().transform(wav_files + [str(tmp_path / "nope.wav")])


def test_silent_file_is_named(tmp_path):
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros(1600, dtype=np.float32), 16000)
    with pytest.raises(InvalidUtteranceError, match="silent.wav: audio is all zeros"):
        load_utterances([str(path)])


def test_error_survives_parallel_workers(tmp_path, wav_files):
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros(1600, dtype=np.float32), 16000)
    with pytest.raises(InvalidUtteranceError, match="silent.wav"):
        load_utterances(wav_files + [str(path)], n_jobs=2)


def test_too_long_file_is_refused_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, tone(seconds=3.0), 16000)
    with pytest.raises(InvalidUtteranceError, match="longer than the 2 s limit"):
        load_utterances([str(path)], max_duration_s=2.0)


def test_x_forms_are_checked():
    with pytest.raises(ValueError, match="'audio' column"):
        as_utterances(pd.DataFrame({"path": ["a.wav"]}))
    with pytest.raises(ValueError, match="one waveform"):
        as_utterances(tone())
    with pytest.raises(TypeError, match="single path"):
        as_utterances("a.wav")
    with pytest.raises(ValueError, match="no utterances"):
        load_utterances([])


def test_loader_order_and_subset_invariance(wav_files):
    loader = AudioLoader().fit(wav_files)
    full = loader.transform(wav_files)
    part = loader.transform([wav_files[2], wav_files[0]])
    np.testing.assert_array_equal(part[0], full[2])
    np.testing.assert_array_equal(part[1], full[0])


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 16000])
def test_checked_sources_know_each_length_before_decoding(tmp_path, rate):
    path = tmp_path / f"at-{rate}.wav"
    sf.write(path, tone(300.0, sr=rate, seconds=0.77), rate)
    sources, lengths, _ = checked_sources([str(path), np.ones(12345)], sr=16000)
    assert sources[0] == str(path)  # a path stays a path: the task that uses it decodes it
    assert lengths == [len(decode(sources[0], "u", 16000)), 12345]
