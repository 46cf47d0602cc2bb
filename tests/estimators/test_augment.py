"""Training-batch augmentation: each augmentation's effect (VTLP, speed, pitch, noise, masks), their
names, and that a net applies them to training batches only."""
import math

import numpy as np
import pytest
import torch

from sklearn_ser.estimators import (
    AdditiveNoise, Compose, FrequencyWarp, PitchShift, SERNetClassifier, SpecAugment, SpeedPerturbation,
    make_augmentation,
)
from sklearn_ser.estimators.augment import resample_last_axis, vtlp_source_bins
from sklearn_ser.estimators.augment_waveform import add_noise, pitch_shift, speed_perturb
from sklearn_ser.nets import FrameDNN


def _centroid(spectrum):
    return float((spectrum * torch.arange(spectrum.shape[-1])).sum() / spectrum.sum())


def test_vtlp_map_scales_below_the_knee_and_keeps_the_band_edges():
    source = vtlp_source_bins(256, torch.tensor([0.9, 1.0, 1.1]))
    np.testing.assert_allclose(source[:, [0, -1]], [[0, 255]] * 3, atol=1e-4)
    np.testing.assert_allclose(source[1], np.arange(256), atol=1e-4)  # alpha 1: identity
    np.testing.assert_allclose(source[:, 50], [50 / 0.9, 50, 50 / 1.1], rtol=1e-5)
    assert (source.diff(dim=1) > 0).all()  # monotone: no bin read twice, none skipped backwards


@pytest.mark.parametrize("alpha", [0.9, 1.1])
def test_a_warped_spectral_peak_moves_by_the_warp_factor(alpha):
    X = torch.zeros(1, 3, 4, 256)
    X[..., 100] = 1.0
    warped = resample_last_axis(X, vtlp_source_bins(256, torch.tensor([alpha])))
    assert _centroid(warped[0, 0, 0]) == pytest.approx(100 * alpha, abs=0.05)
    assert torch.equal(warped[0, 0], warped[0, 2])  # the same warp on every frame of a sample


def test_frequency_warp_draws_a_factor_per_sample_within_its_range():
    X = torch.zeros(200, 256)
    X[:, 100] = 1.0
    torch.manual_seed(0)
    warped = FrequencyWarp(max_warp=0.1)(X)
    centroids = np.array([_centroid(row) for row in warped])
    assert centroids.min() >= 90 - 0.05 and centroids.max() <= 110 + 0.05
    assert centroids.std() > 4  # uniform on +-10 bins has std 5.8; one shared factor would give 0
    torch.manual_seed(0)
    assert torch.equal(FrequencyWarp(max_warp=0.1)(X), warped)  # torch's generator decides
    assert torch.equal(FrequencyWarp(max_warp=0.0)(X), X)


@pytest.mark.parametrize("params, match", [({"max_warp": 1.0}, "max_warp"), ({"boundary": 0.0}, "boundary")])
def test_frequency_warp_rejects_impossible_settings_when_built(params, match):
    with pytest.raises(ValueError, match=match):
        FrequencyWarp(**params)


def test_a_net_augments_its_training_batches_only():
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "sad"], 60)
    X = (rng.standard_normal((120, 8)) + np.where(y == "angry", 1.5, -1.5)[:, None]).astype(np.float32)
    groups = np.tile(np.arange(10), 12)
    rows_seen = []

    def count_rows(batch):
        rows_seen.append(len(batch))
        return batch

    net = SERNetClassifier(FrameDNN, augment=count_rows, max_epochs=3, patience=10, batch_size=16,
                           verbose=0).fit(X, y, groups=groups)
    assert sum(rows_seen) == 3 * 96  # 3 epochs of the 8 training speakers, no validation rows
    rows_seen.clear()
    net.predict_proba(X)
    assert rows_seen == []


def test_augmentation_changes_what_the_net_learns_and_stays_repeatable():
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "sad"], 60)
    X = (rng.standard_normal((120, 32)) + np.where(y == "angry", 0.5, -0.5)[:, None]).astype(np.float32)
    groups = np.tile(np.arange(10), 12)

    def fit(augment):
        return SERNetClassifier(FrameDNN, augment=augment, max_epochs=3, batch_size=16,
                                verbose=0).fit(X, y, groups=groups).predict_proba(X)

    warped = fit(FrequencyWarp(0.2))
    np.testing.assert_array_equal(fit(FrequencyWarp(0.2)), warped)
    assert not np.allclose(fit(None), warped)


# ---- waveform augmentations: speed, pitch, noise

SR = 16000


def _tone(freq=440.0, seconds=1.0, gate=None):
    t = torch.arange(int(SR * seconds)) / SR
    tone = torch.sin(2 * math.pi * freq * t)
    if gate is not None:  # a burst: the tone between gate[0] and gate[1] seconds only
        tone = tone * ((t >= gate[0]) & (t < gate[1])).float()
    return tone.reshape(1, -1)


def _dominant_hz(wave):
    return float(torch.fft.rfft(wave.reshape(-1)).abs().argmax()) * SR / wave.numel()


def _burst_edges(wave):
    """Seconds where the 10 ms envelope first and last exceeds half its peak."""
    envelope = wave.reshape(-1).abs().unfold(0, 160, 160).mean(dim=1)
    loud = (envelope > envelope.max() / 2).nonzero().reshape(-1)
    return float(loud[0]) * 0.01, float(loud[-1] + 1) * 0.01


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_perturbation_scales_the_frequency_and_the_timing_by_its_factor(factor):
    assert _dominant_hz(speed_perturb(_tone(), torch.tensor([factor]))) == pytest.approx(440 * factor, abs=1.5)
    start, end = _burst_edges(speed_perturb(_tone(gate=(0.3, 0.6)), torch.tensor([factor])))
    assert start == pytest.approx(0.3 / factor, abs=0.011) and end == pytest.approx(0.6 / factor, abs=0.011)


def test_speed_perturbation_zero_pads_a_faster_sample_and_crops_a_slower_one():
    ramp = torch.arange(1.0, 101.0).reshape(1, 100)
    faster = speed_perturb(ramp, torch.tensor([1.25]))
    assert (faster[0, 80:] == 0).all() and (faster[0, :80] > 0).all()  # read past its end: silence
    slower = speed_perturb(ramp, torch.tensor([0.5]))
    assert slower[0, -1] == pytest.approx(50.5)  # the first half of it, stretched over all 100


@pytest.mark.parametrize("semitones", [-2.0, 2.0, 12.0])
def test_pitch_shift_moves_the_frequency_and_keeps_the_timing(semitones):
    factor = 2 ** (semitones / 12)
    assert _dominant_hz(pitch_shift(_tone(), torch.tensor([semitones]))) == pytest.approx(440 * factor, abs=1.5)
    start, end = _burst_edges(pitch_shift(_tone(gate=(0.3, 0.6)), torch.tensor([semitones])))
    assert start == pytest.approx(0.3, abs=0.021) and end == pytest.approx(0.6, abs=0.021)


def test_pitch_shift_keeps_a_tone_audible_and_handles_short_segments():
    shifted = pitch_shift(_tone(), torch.tensor([2.0]))
    assert 0.3 < float(shifted[0, 2000:14000].pow(2).mean()) < 0.6  # a steady tone: power 0.5 in
    segments = pitch_shift(torch.randn(6, 625), torch.zeros(6))  # Zhang's segments: a 128-point STFT
    assert segments.shape == (6, 625)
    with pytest.raises(ValueError, match="at least 64 samples"):
        pitch_shift(torch.randn(2, 40), torch.zeros(2))


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 25.0])
def test_additive_noise_reaches_the_asked_snr_of_each_sample(snr_db):
    torch.manual_seed(0)
    clean = torch.randn(4, 48000) * torch.tensor([[0.01], [0.1], [1.0], [30.0]])  # the power differs
    noise = add_noise(clean, torch.full((4,), snr_db)) - clean
    measured = 10 * torch.log10(clean.pow(2).mean(dim=1) / noise.pow(2).mean(dim=1))
    np.testing.assert_allclose(measured, snr_db, atol=0.1)


def test_additive_noise_draws_an_snr_per_sample_within_its_range_and_spares_silence():
    torch.manual_seed(0)
    clean = torch.randn(300, 8000)
    noise = AdditiveNoise(5, 15)(clean) - clean
    measured = 10 * torch.log10(clean.pow(2).mean(dim=1) / noise.pow(2).mean(dim=1))
    assert measured.min() > 4.8 and measured.max() < 15.2 and measured.std() > 2.5  # uniform: std 2.9
    assert torch.equal(AdditiveNoise()(torch.zeros(2, 100)), torch.zeros(2, 100))


def test_speed_and_pitch_draw_a_factor_per_sample_within_their_ranges():
    torch.manual_seed(0)
    tones = _tone().repeat(40, 1)
    hz = np.array([_dominant_hz(w) for w in SpeedPerturbation(0.9, 1.1)(tones)])
    assert hz.min() >= 396 - 1.5 and hz.max() <= 484 + 1.5 and hz.std() > 15  # uniform: std 25
    hz = np.array([_dominant_hz(w) for w in PitchShift(-2, 2)(tones[:12])])
    assert hz.min() >= 392 - 1.5 and hz.max() <= 494 + 1.5 and hz.std() > 15


# ---- SpecAugment


def test_specaugment_masks_whole_bands_of_at_most_the_asked_width():
    torch.manual_seed(0)
    X = torch.ones(400, 3, 64, 50)
    masked = SpecAugment(n_freq_masks=1, max_freq_width=8, n_time_masks=0, value="zero")(X)
    zero = masked == 0
    rows = zero.all(dim=(1, 3))  # (sample, bin): the whole bin masked, in every channel and frame
    assert torch.equal(zero.any(dim=(1, 3)), rows)  # nothing masked but whole bins
    widths = rows.sum(dim=1)
    assert set(widths.tolist()) == set(range(9))  # U{0..8}: every width, none wider
    starts = rows.float().argmax(dim=1)
    for w, s, r in zip(widths, starts, rows):  # one contiguous band
        assert r[s:s + w].all() and r.sum() == w
    time = SpecAugment(n_freq_masks=0, n_time_masks=2, max_time_width=0.1, value="zero")(X) == 0
    columns = time.all(dim=(1, 2))
    assert torch.equal(time.any(dim=(1, 2)), columns) and columns.sum(dim=1).max() <= 2 * 5  # 0.1 of 50


def test_specaugment_reads_adjacent_axes_as_one_time_axis_and_fills_with_the_mean():
    torch.manual_seed(0)
    volumes = torch.randn(50, 10, 10, 256) + 3.0  # Kim's L x T x S
    masked = SpecAugment(n_freq_masks=0, n_time_masks=1, max_time_width=30, freq_axis=-1,
                         time_axis=(-3, -2))(volumes)
    changed = (masked != volumes).all(dim=-1).reshape(50, 100)  # per frame of the 100
    for frames in changed:  # one run of consecutive frames, across the steps' boundaries
        on = frames.nonzero().reshape(-1)
        assert len(on) == 0 or (on[-1] - on[0] + 1 == len(on) and len(on) <= 30)
    assert changed.sum(dim=1).max() > 10  # some band crosses a step of 10 frames
    fill = masked[changed.reshape(50, 10, 10)]  # (n masked frames, 256) at their sample's mean
    assert torch.allclose(fill, fill[:, :1].expand_as(fill)) and abs(float(fill.mean()) - 3.0) < 0.05


AUGMENTATIONS = [SpeedPerturbation(), PitchShift(), AdditiveNoise(), SpecAugment(), FrequencyWarp(),
                 Compose([SpeedPerturbation(), AdditiveNoise()])]


@pytest.mark.parametrize("augment", AUGMENTATIONS, ids=lambda a: type(a).__name__)
def test_every_augmentation_keeps_shape_and_dtype_returns_a_new_tensor_and_repeats_under_a_seed(augment):
    X = torch.randn(6, 20, 1600)
    before = X.clone()
    torch.manual_seed(1)
    out = augment(X)
    assert out.shape == X.shape and out.dtype == X.dtype and torch.equal(X, before)  # input untouched
    assert not torch.equal(out, X)
    torch.manual_seed(1)
    assert torch.equal(augment(X), out)
    torch.manual_seed(2)
    assert not torch.equal(augment(X), out)


@pytest.mark.parametrize("build, match", [
    (lambda: SpeedPerturbation(0, 1.1), "above 0"),
    (lambda: SpeedPerturbation(1.2, 1.1), "above the upper bound"),
    (lambda: PitchShift(-13, 0), "at least -12"),
    (lambda: PitchShift(n_fft=3), "n_fft"),
    (lambda: PitchShift(n_fft=256, hop_length=200), "over half of n_fft"),
    (lambda: PitchShift(hop_length=64), "needs n_fft"),
    (lambda: AdditiveNoise(30, 10), "above the upper bound"),
    (lambda: AdditiveNoise("10", 20), "must be numbers"),
    (lambda: SpecAugment(n_freq_masks=-1), "n_freq_masks"),
    (lambda: SpecAugment(max_time_width=1.5), "share of the axis"),
    (lambda: SpecAugment(freq_axis=2), "negative axis"),
    (lambda: SpecAugment(freq_axis=-1, time_axis=(-3, -1)), "adjacent"),
    (lambda: SpecAugment(freq_axis=-1, time_axis=-1), "overlap"),
    (lambda: SpecAugment(value="min"), "value"),
    (lambda: Compose([]), "at least one"),
    (lambda: Compose([SpeedPerturbation(), "noise"]), "callables"),
])
def test_augmentations_refuse_impossible_settings_when_built(build, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()


def test_specaugment_names_a_batch_with_too_few_axes():
    with pytest.raises(ValueError, match="needs more axes"):
        SpecAugment(freq_axis=-1, time_axis=(-3, -2))(torch.ones(4, 256))


# ---- names


def test_names_make_the_augmentations_with_their_defaults_and_settings():
    assert make_augmentation("speed+noise") == Compose([SpeedPerturbation(), AdditiveNoise()])
    assert make_augmentation(" pitch( max_semitones=1 ) ") == PitchShift(max_semitones=1)
    assert make_augmentation("specaugment(n_time_masks=1)", "spectral", freq_axis=-1, time_axis=(-3, -2)) == \
        SpecAugment(n_time_masks=1, freq_axis=-1, time_axis=(-3, -2))
    assert make_augmentation("vtlp(max_warp=0.2)", "spectral", freq_axis=-1) == FrequencyWarp(0.2)
    assert make_augmentation(None) is None
    assert make_augmentation(np.negative) is np.negative


@pytest.mark.parametrize("spec, input, match", [
    ("speed+echo", "waveform", "unknown name 'echo'"),
    ("specaugment", "waveform", "'specaugment' is for spectral input"),
    ("noise", "spectral", "'noise' is for waveform input"),
    ("vtlp", "spectral", "vtlp warps the last axis"),
    ("speed(0.8, 1.2)", "waveform", "keyword arguments only"),
    ("speed(min_factor=low)", "waveform", "literals"),
    ("speed(min_factor=0.8", "waveform", "without its"),
    ("speed(slowest=0.8)", "waveform", "speed: .*slowest"),
    ("speed-noise", "waveform", "cannot read"),
])
def test_names_refuse_what_they_cannot_make(spec, input, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_augmentation(spec, input)


# ---- a net augments its training batches only, whatever its kind


class _Recorder:
    """An augmentation that records the speaker tag (feature 0) of every row it sees, and changes
    nothing: the net then trains as it would without it."""

    def __init__(self):
        self.speakers = set()

    def __call__(self, X):
        self.speakers.update(np.unique(X.reshape(len(X), -1)[:, 0].numpy()).round().astype(int).tolist())
        return X


def _tagged_segments(n_speakers=10, per_speaker=12, n_segments=3, n_features=8):
    """Utterances of segments whose feature 0 is the speaker's number."""
    rng = np.random.default_rng(0)
    n = n_speakers * per_speaker
    y = np.tile(["angry", "sad"], n // 2)
    X = rng.standard_normal((n, n_segments, n_features)).astype(np.float32)
    X += np.where(y == "angry", 1.0, -1.0)[:, None, None]
    speakers = np.repeat(np.arange(n_speakers), per_speaker)
    X[:, :, 0] = speakers[:, None]
    return X, y, speakers


def _held_out(speakers, net):
    from sklearn_ser.estimators.net import torch_seed
    from sklearn_ser.model_selection import speaker_validation_split

    _, valid = speaker_validation_split(speakers, 0.2, torch_seed(net.random_state))
    return set(np.unique(speakers[valid]).tolist())


def test_a_segment_net_never_augments_validation_or_prediction():
    from sklearn_ser.estimators import SegmentNetClassifier

    X, y, speakers = _tagged_segments()
    recorder = _Recorder()
    net = SegmentNetClassifier(FrameDNN, augment=recorder, max_epochs=2, batch_size=16, verbose=0)
    net.fit(X, y, groups=speakers)
    held_out = _held_out(np.repeat(speakers, 3), net)
    assert len(held_out) == 2 and recorder.speakers == set(range(10)) - held_out
    recorder.speakers.clear()
    net.predict_proba(X)
    assert recorder.speakers == set()


def test_a_multihead_net_never_augments_validation_or_prediction():
    from sklearn_ser.estimators import MultiHeadNetClassifier

    from .test_multihead import TwoHeads

    X, y, speakers = _tagged_segments()
    Y = np.stack([y, np.where(X[:, 0, 1] > 0, "high", "low")], axis=1)
    recorder = _Recorder()
    net = MultiHeadNetClassifier(TwoHeads, augment=recorder, max_epochs=2, batch_size=16, verbose=0,
                                 module__n_hidden=8).fit(X, Y, groups=speakers)
    held_out = _held_out(np.repeat(speakers, 3), net)
    assert len(held_out) == 2 and recorder.speakers == set(range(10)) - held_out
    recorder.speakers.clear()
    net.predict_proba(X)
    assert recorder.speakers == set()


@pytest.mark.parametrize("augment", [AdditiveNoise(0, 10), FrequencyWarp(0.3)],
                         ids=lambda a: type(a).__name__)
def test_predictions_are_those_of_the_same_weights_without_augmentation(augment):
    import copy

    from sklearn_ser.estimators import SegmentNetClassifier

    X, y, speakers = _tagged_segments()
    net = SegmentNetClassifier(FrameDNN, augment=augment, max_epochs=2, batch_size=16, verbose=0)
    net.fit(X, y, groups=speakers)
    plain = copy.deepcopy(net).set_params(augment=None)
    np.testing.assert_array_equal(net.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(net.predict_proba(X), net.predict_proba(X))  # no draw at prediction
    unaugmented = SegmentNetClassifier(FrameDNN, max_epochs=2, batch_size=16, verbose=0).fit(X, y, groups=speakers)
    assert not np.allclose(unaugmented.predict_proba(X), net.predict_proba(X))  # it did train on augmented rows
