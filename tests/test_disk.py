"""Features assembled on disk (issue 30): with a feature cache, a call's output lies in a
memory-mapped file and the steps after it keep it there, so a net trains on a fold's segments read
from the file. Same values as in memory; a view, not a copy, where the rows lie in order; nothing
left in the temporary folder, also when a call fails half-way."""
import os
from unittest import mock

import numpy as np
import pytest

from sklearn_ser._disk import (
    backing_file, contiguous_view, dense_on_disk, like, on_disk, ragged, ragged_on_disk, take, write_rows,
)
from sklearn_ser.audio import take_utterances
from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.estimators import AEEncoder, CVAEEncoder, VAEEncoder
from sklearn_ser.estimators.net import SERNetClassifier
from sklearn_ser.exceptions import InvalidUtteranceError
from sklearn_ser.features import BinStandardScaler, FrameWindows, KimSpectrogramVolumes, LLDContextFrames
from sklearn_ser.features.segments import stack_segments
from sklearn_ser.recipes import get_system

from .conftest import as_wav_files


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path, monkeypatch):
    """The temporary files of each test in a folder of its own, to see what is left there."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


def _stacks(lengths, width=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, width)).astype(np.float32) for n in lengths]


def test_ragged_on_disk_holds_the_arrays_and_leaves_no_file(private_tmpdir):
    arrays = _stacks([2, 0, 5, 1])
    X = ragged_on_disk(iter(arrays))
    assert on_disk(X) and X.dtype == object and len(X) == 4
    assert all(type(x) is np.ndarray and np.array_equal(x, a) for x, a in zip(X, arrays))
    assert os.listdir(private_tmpdir) == []  # unlinked at once: freed with its last view
    assert not on_disk(ragged(arrays)) and backing_file(arrays[0]) is None


def test_rows_in_order_are_a_view_of_the_file_others_a_new_file():
    arrays = _stacks([2, 0, 5, 1, 4])
    X = ragged_on_disk(arrays)
    whole = contiguous_view(X)
    assert np.shares_memory(whole, X[0]) and np.array_equal(whole, np.concatenate(arrays))
    assert np.array_equal(contiguous_view(X[1:4]), np.concatenate(arrays[1:4]))
    assert contiguous_view(X[[0, 2]]) is not None  # the empty one between them takes no room
    assert contiguous_view(X[[2, 0]]) is None and contiguous_view(X[[0, 3]]) is None
    assert contiguous_view(ragged(arrays)) is None
    stacked, owners = stack_segments(X[[3, 0, 4]])  # out of order: copied, to another file
    assert on_disk(stacked) and not np.shares_memory(stacked, whole)
    assert np.array_equal(stacked, np.concatenate([arrays[3], arrays[0], arrays[4]]))
    assert owners.tolist() == [0] + [1] * 2 + [2] * 4
    stacked, _ = stack_segments(X)
    assert np.shares_memory(stacked, whole)


def test_write_rows_refuses_arrays_of_other_shapes_or_dtypes():
    with pytest.raises(ValueError, match=r"shape \(n, \*\(4,\)\)"):
        write_rows([np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)])
    with pytest.raises(ValueError, match="dtype float64"):
        write_rows([np.zeros((2, 3), np.float32), np.zeros((2, 3))])
    rows, lengths = write_rows([np.zeros((0, 3), np.float32)])
    assert rows.shape == (0, 3) and lengths == [0]


def test_a_dense_array_on_disk_stays_on_disk_when_taken_or_scaled():
    rng = np.random.default_rng(1)
    dense = rng.normal(3, 2, (7, 4, 5)).astype(np.float32)
    X = dense_on_disk(iter(dense))
    assert on_disk(X) and np.array_equal(X, dense)
    assert take(X, np.arange(7)) is X
    for idx in ([5, 1, 1], np.array([True, False] * 3 + [True]), slice(2, 5)):
        for taken in (take(X, idx), take_utterances(X, idx)):
            assert on_disk(taken) and np.array_equal(taken, dense[idx])
    assert take(X, []).shape == (0, 4, 5)
    with mock.patch("sklearn_ser._disk._BLOCK_VALUES", 40):  # two rows a block: several blocks
        scaler = BinStandardScaler().fit(X)
        out = scaler.transform(X)
        assert on_disk(take(X, [6, 0, 3]))
    expected = BinStandardScaler().fit(dense)
    assert np.allclose(scaler.mean_, expected.mean_) and np.allclose(scaler.scale_, expected.scale_)
    assert on_disk(out) and np.allclose(out, expected.transform(dense), atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1])
def test_bin_scaler_fits_ragged_input_stack_by_stack_as_on_their_concatenation(axis):
    arrays = [a.reshape(-1, 2, 3) * 5 + 2 for a in _stacks([4, 2, 6], width=6, seed=2)]
    rows = np.concatenate(arrays)
    flat = np.moveaxis(rows, axis, -1).reshape(-1, rows.shape[axis])
    for X in (ragged(arrays), ragged_on_disk(arrays)):
        scaler = BinStandardScaler(axis=axis).fit(X)
        assert np.allclose(scaler.mean_.ravel(), flat.mean(0), atol=1e-6)
        assert np.allclose(scaler.scale_.ravel(), flat.std(0), rtol=1e-6)
        out = scaler.transform(X)
        assert on_disk(out) == on_disk(X)
        assert np.allclose(np.concatenate(list(out)), (rows - scaler.mean_) / scaler.scale_)
    with pytest.raises(ValueError, match="stacks of segments of shapes"):
        BinStandardScaler().fit(ragged([np.zeros((2, 3)), np.zeros((2, 4))]))


def test_frame_windows_and_like_follow_their_input():
    X = ragged_on_disk(_stacks([9, 2]))
    out = FrameWindows(length=4, hop=2).fit_transform(X)
    assert on_disk(out) and [x.shape for x in out] == [(3, 4, 3), (1, 4, 3)]
    in_memory = ragged([np.array(x) for x in X])
    memory = FrameWindows(length=4, hop=2).fit_transform(in_memory)
    assert not on_disk(memory) and all(np.array_equal(a, b) for a, b in zip(out, memory))
    assert on_disk(like(X, (x * 2 for x in X))) and not on_disk(like(in_memory, (x * 2 for x in X)))
    assert like(np.ones((2, 3)), (r for r in np.ones((2, 3)))).shape == (2, 3)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory):
    corpus = make_synthetic_corpus(n_speakers=3, n_per_class=2, duration=(0.6, 0.9), random_state=0)
    return as_wav_files(corpus, tmp_path_factory.mktemp("disk-corpus"))


@pytest.mark.parametrize("make", [
    lambda memory: LLDContextFrames(memory=memory),  # ragged
    lambda memory: KimSpectrogramVolumes(segment_hop_s=None, memory=memory),  # dense
    lambda memory: KimSpectrogramVolumes(speaker_norm=True, memory=memory),  # z-scored per speaker
], ids=["ragged", "dense", "speaker-norm"])
def test_a_cached_feature_step_returns_its_output_on_disk_with_the_same_values(wavs, tmp_path, make):
    expected = make(None).fit_transform(wavs)
    out = make(str(tmp_path / "cache")).fit_transform(wavs)
    assert on_disk(out) and not on_disk(expected)
    assert out.dtype == expected.dtype and len(out) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(out, expected))


def test_a_failing_call_leaves_nothing_in_the_temporary_folder(wavs, tmp_path, private_tmpdir):
    bad = wavs.copy()
    bad.loc[bad.index[3], "audio"] = str(tmp_path / "missing.wav")
    with pytest.raises((InvalidUtteranceError, FileNotFoundError, ValueError)):
        LLDContextFrames(memory=str(tmp_path / "cache")).fit_transform(bad)

    class Failing(LLDContextFrames):
        def _one(self, item):  # the fifth utterance fails while the first four are written
            Failing.seen = getattr(Failing, "seen", 0) + 1
            if Failing.seen == 5:
                raise RuntimeError("broken")
            return super()._one(item)

    with pytest.raises(InvalidUtteranceError, match="broken"):
        Failing(memory=str(tmp_path / "cache")).fit_transform(wavs)
    assert Failing.seen == 5
    assert os.listdir(private_tmpdir) == []


@pytest.mark.parametrize("system", ["dnn-elm", "kim-3d-cnn-dnn-elm", "kim-1d-cnn-lstm"])
def test_a_net_trains_on_its_segments_on_disk_and_predicts_as_in_memory(wavs, tmp_path, system):
    """What reaches the net (its segments, stacked) lies in the file, in fit and predict, and the
    model is the one trained in memory."""
    seen = []
    check = SERNetClassifier._check_X

    def spy(self, X, reset):
        out = check(self, X, reset)
        seen.append((reset, on_disk(out)))
        return out

    groups = {"net__groups": wavs["speaker"].to_numpy()}
    expected = get_system(system, max_epochs=2).fit(wavs, wavs["label"], **groups).predict_proba(wavs)
    model = get_system(system, max_epochs=2).set_params(features__memory=str(tmp_path / "cache"))
    with mock.patch.object(SERNetClassifier, "_check_X", spy):
        proba = model.fit(wavs, wavs["label"], **groups).predict_proba(wavs)
    assert seen and all(disk for _, disk in seen), seen
    assert any(reset for reset, _ in seen) and not all(reset for reset, _ in seen)
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("encoder", [AEEncoder, VAEEncoder, CVAEEncoder])
def test_latif_encoders_train_on_segments_on_disk_as_in_memory(encoder):
    """Latif et al.'s autoencoders standardise and train on all segments of their input: on disk
    when it is, with the weights and codes of the same fit in memory."""
    arrays = [a * 3 + 1 for a in _stacks([5, 3, 8, 4], width=12, seed=3)]
    y = np.array(["a", "b", "a", "b"])
    params = dict(latent_size=3, hidden=(8,), max_epochs=3, batch_size=4, random_state=0)
    expected = encoder(**params).fit(ragged(arrays), y)
    scale = encoder._scale
    scaled = []

    def spy(self, rows):
        out = scale(self, rows)
        scaled.append(on_disk(out))
        return out

    with mock.patch.object(encoder, "_scale", spy), mock.patch("sklearn_ser._disk._BLOCK_VALUES", 24):
        model = encoder(**params).fit(ragged_on_disk(arrays), y)
        codes = model.transform(ragged_on_disk(arrays))
    assert scaled and all(scaled)
    assert np.allclose(model.mean_, expected.mean_) and np.allclose(model.scale_, expected.scale_)
    for name, value in expected.weights_.items():
        np.testing.assert_allclose(model.weights_[name], value, rtol=1e-5, atol=1e-6)
    for a, b in zip(codes, expected.transform(ragged(arrays))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_the_cvae_cross_fits_its_auxiliary_on_folds_kept_on_disk():
    """condition="predicted" fits an auxiliary classifier per fold of the training segments: the
    folds it is given stay on disk (no copy of them in memory), with the codes of the same fit in
    memory."""
    arrays = [a * 3 + 1 for a in _stacks([5, 3, 8, 4, 6, 2], width=12, seed=4)]
    y = np.array(["a", "b", "a", "b", "a", "b"])
    groups = np.array(["s1", "s1", "s2", "s2", "s3", "s3"])
    params = dict(latent_size=3, hidden=(8,), max_epochs=2, batch_size=4, condition="predicted", cv=3,
                  random_state=0)
    expected = CVAEEncoder(**params).fit_transform(ragged(arrays), y, groups=groups)
    fitted_on, scored = [], []
    original = CVAEEncoder._new_auxiliary

    def spy(self):
        auxiliary = original(self)
        fit, predict_proba = auxiliary.fit, auxiliary.predict_proba
        auxiliary.fit = lambda X, y: (fitted_on.append(on_disk(X)), fit(X, y))[1]
        auxiliary.predict_proba = lambda X: (scored.append(on_disk(X)), predict_proba(X))[1]
        return auxiliary

    with mock.patch.object(CVAEEncoder, "_new_auxiliary", spy):
        codes = CVAEEncoder(**params).fit_transform(ragged_on_disk(arrays), y, groups=groups)
    assert fitted_on == [True] * 4  # auxiliary_ on all segments, then one per fold
    assert scored == [True] * 3  # each fold's held-out segments
    for a, b in zip(codes, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_only_this_librarys_files_count_as_on_disk_and_they_travel_to_workers(tmp_path):
    """joblib hands large arrays to its workers as memmaps of its own, and a user may pass one:
    those are not ours to write on. Ours pickle by value, so a process pool gets a copy."""
    from joblib import Parallel, delayed

    foreign = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=(4, 3))
    assert not on_disk(foreign) and not on_disk(take_utterances(foreign, [1, 0]))
    X = dense_on_disk(np.full((100, 100), i, np.float32) for i in range(30))  # 1.2 MB: joblib memmaps it
    sums = Parallel(n_jobs=2)(delayed(np.sum)(part) for part in (X, X[10:], take_utterances(X, [29, 1])))
    assert sums == [X.sum(), X[10:].sum(), 3e5]


def test_empty_stacks_and_rows_of_no_bytes():
    with pytest.raises(ValueError, match="no rows"):
        BinStandardScaler().fit(ragged([np.zeros((0, 3), np.float32)] * 2))
    rows, lengths = write_rows([np.zeros((3, 0), np.float32)])
    assert rows.shape == (3, 0) and lengths == [3]


def test_a_reshaped_stack_is_still_a_view_and_the_folder_is_configurable(tmp_path, monkeypatch):
    import tempfile

    stacks = ragged_on_disk(np.ones((2, 2, 3), np.float32) * i for i in range(3))
    view = contiguous_view(ragged([x.reshape(2, -1) for x in stacks]))  # as Latif's encoders flatten them
    assert view.shape == (6, 6) and np.shares_memory(view, stacks[0])
    monkeypatch.setenv("SKLEARN_SER_TMPDIR", str(tmp_path))
    with mock.patch("tempfile.TemporaryFile", wraps=tempfile.TemporaryFile) as made:
        ragged_on_disk([np.ones((2, 3))])
    assert made.call_args.kwargs["dir"] == str(tmp_path)
