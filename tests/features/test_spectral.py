"""Numerical agreement of the spectral features with librosa, on synthetic and real audio."""
import librosa
import numpy as np
import pytest

from sklearn_ser.features import KimSpectrogramVolumes, log_mel_spectrogram, mfcc, power_spectrogram

from ..conftest import SR, noise


def _librosa_power(y, n_fft, hop, win, n_frames):
    """librosa's STFT power of the same frames: its window sits centred in n_fft, so shift the
    signal by the same offset; pad the end so librosa sees every frame."""
    offset = (n_fft - win) // 2
    padded = np.pad(y, (offset, n_fft + (n_frames - 1) * hop - len(y) - offset + n_fft))
    S = np.abs(librosa.stft(padded, n_fft=n_fft, hop_length=hop, win_length=win, window="hamming",
                            center=False)) ** 2
    return S[:, :n_frames].T


@pytest.mark.parametrize("seconds", [0.3, 1.234, 2.0])
def test_power_spectrogram_equals_librosa(seconds):
    y = noise(seconds)
    ours = power_spectrogram(y, n_fft=512, hop_length=160, win_length=400)
    theirs = _librosa_power(y, 512, 160, 400, len(ours))
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-5 * theirs.max())


def test_log_mel_equals_librosa():
    y = noise(1.5, seed=1)
    ours = log_mel_spectrogram(y, SR, n_mels=64, fmin=20, fmax=8000)
    power = _librosa_power(y, 512, 160, 400, len(ours))
    mel = librosa.feature.melspectrogram(S=power.T, sr=SR, n_mels=64, fmin=20, fmax=8000)
    theirs = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


def test_mfcc_equals_librosa():
    y = noise(1.0, seed=2)
    ours = mfcc(y, SR, n_mfcc=26, n_mels=40, n_fft=1024)
    power = _librosa_power(y, 1024, 160, 400, len(ours))
    mel = librosa.feature.melspectrogram(S=power.T, sr=SR, n_mels=40)
    theirs = librosa.feature.mfcc(S=librosa.power_to_db(mel, top_db=None), n_mfcc=26).T
    np.testing.assert_allclose(ours, theirs, atol=5e-3)


def test_log_mel_equals_librosa_on_real_files(emodb_dir):
    from sklearn_ser.audio import read_audio

    for name in ("03a01Fa.wav", "16b10Tb.wav", "11a01Ab.wav"):
        y = read_audio(emodb_dir / "wav" / name)
        ours = log_mel_spectrogram(y, SR, n_mels=80)
        power = _librosa_power(y, 512, 160, 400, len(ours))
        mel = librosa.feature.melspectrogram(S=power.T, sr=SR, n_mels=80)
        theirs = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
        np.testing.assert_allclose(ours, theirs, atol=5e-3)
        kim = KimSpectrogramVolumes(gain_norm=None).fit_transform([y])[0].reshape(100, 256)
        two_s = np.pad(y[:32000], (0, 32000 - min(32000, len(y)) + 512))
        S = np.abs(librosa.stft(two_s, n_fft=512, hop_length=320, window="hamming", center=False)) ** 2
        theirs = S[:256, :100].T
        # float32 FFT round-off: compare powers, to a tolerance relative to the loudest bin
        np.testing.assert_allclose(10 ** (kim / 10), theirs, rtol=1e-3, atol=1e-6 * theirs.max())
