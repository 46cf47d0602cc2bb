"""The skorch wrappers: speaker-disjoint early stopping, labels, persistence (sklearn's
estimator checks are in test_common.py)."""
import copy
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import sklearn
import torch

from sklearn_ser.estimators import SERNetClassifier, SERStepNetClassifier
from sklearn_ser.model_selection import SpeakerValidSplit, speaker_validation_split
from sklearn_ser.nets import FrameDNN, SequenceLSTM, Zhang1DCNN


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["angry", "neutral", "sad"], n // 3)
    centres = {"angry": 1.5, "neutral": 0.0, "sad": -1.5}
    X = rng.standard_normal((n, 8)).astype(np.float32) + np.array([centres[c] for c in y])[:, None]
    groups = np.tile(np.arange(12), n // 12)
    return X, y, groups


def test_predictions_do_not_depend_on_the_order_of_the_samples():
    X, y, groups = _blobs()
    net = SERNetClassifier(FrameDNN, batch_size=16, max_epochs=3, verbose=0).fit(X, y, groups=groups)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(net.predict_proba(X[order]), net.predict_proba(X)[order], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(net.predict(X[order]), net.predict(X)[order])


def test_predict_proba_gathers_its_batches_as_skorchs_concatenation_does():
    """SERNetClassifier copies each batch's posteriors into one array made up front (skorch keeps
    them all and concatenates): the same values, a last short batch and per-step outputs included."""
    from skorch import NeuralNetClassifier

    X, y, groups = _blobs()
    X = X.astype(np.float32)  # skorch's own predict_proba takes X as it is
    net = SERNetClassifier(FrameDNN, batch_size=16, max_epochs=2, verbose=0).fit(X, y, groups=groups)
    assert len(X[:-5]) % 16 and len(X[:-5]) > 16  # several batches, the last one short
    expected = NeuralNetClassifier.predict_proba(net, X[:-5])
    assert net.predict_proba(X[:-5]).dtype == expected.dtype
    np.testing.assert_array_equal(net.predict_proba(X[:-5]), expected)
    steps = np.random.default_rng(1).standard_normal((37, 6, 8)).astype(np.float32)
    step_net = SERStepNetClassifier(SequenceLSTM, module__n_cells=8, max_epochs=1, batch_size=16,
                                    verbose=0).fit(steps, np.resize(["a", "b"], 37), groups=np.arange(37) % 5)
    np.testing.assert_array_equal(step_net.predict_segment_proba(steps),
                                  NeuralNetClassifier.predict_proba(step_net, steps))


def test_learns_string_labels_and_infers_module_sizes():
    X, y, groups = _blobs()
    net = SERNetClassifier(FrameDNN, batch_size=32, verbose=0).fit(X, y, groups=groups)
    assert list(net.classes_) == ["angry", "neutral", "sad"]
    assert net.module_.output.out_features == 3 and net.module_.hidden[0].in_features == 8
    assert (net.predict(X) == y).mean() > 0.8  # chance is 1/3
    proba = net.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.allclose(proba.sum(1), 1)
    assert net.embed(X).shape == (len(X), 256)


@pytest.fixture(params=[False, True], ids=["routing-off", "routing-on"])
def routing(request):
    """Runs a test with scikit-learn's metadata routing off and on."""
    with sklearn.config_context(enable_metadata_routing=request.param):
        yield request.param


def test_early_stopping_validates_on_held_out_speakers_only(routing):
    X, y, groups = _blobs()
    seen = {}

    class Spy(SERNetClassifier):
        def get_split_datasets(self, X, y=None, groups=None, **fit_params):
            train, valid = super().get_split_datasets(X, y, groups=groups, **fit_params)
            seen["train"], seen["valid"] = train.indices, valid.indices
            return train, valid

    net = Spy(FrameDNN, max_epochs=30, patience=2, batch_size=32, verbose=0).fit(X, y, groups=groups)
    assert not set(groups[seen["train"]]) & set(groups[seen["valid"]])
    assert len(set(groups[seen["valid"]])) == 2  # 20 % of 12 speakers
    assert "valid_loss" in net.history[-1]


def test_random_state_draws_the_held_out_speakers():
    X, y, groups = _blobs()
    held_out = {}

    class Spy(SERNetClassifier):
        def get_split_datasets(self, X, y=None, groups=None, **fit_params):
            train, valid = super().get_split_datasets(X, y, groups=groups, **fit_params)
            held_out[self.random_state, repr(self.train_split)] = set(groups[valid.indices])
            return train, valid

    default = repr(SpeakerValidSplit())
    for seed in (0, 1):
        Spy(FrameDNN, max_epochs=1, verbose=0, random_state=seed).fit(X, y, groups=groups)
    assert held_out[0, default] != held_out[1, default]
    # random_state=0 holds out the speakers every net held out before the split followed it
    assert held_out[0, default] == set(groups[speaker_validation_split(groups, 0.2, random_state=0)[1]])
    # a split seeded by the caller keeps its own seed
    own = SpeakerValidSplit(0.2, random_state=1)
    Spy(FrameDNN, max_epochs=1, verbose=0, random_state=0, train_split=own).fit(X, y, groups=groups)
    assert held_out[0, repr(own)] == held_out[1, default]


def test_without_speakers_it_warns_and_does_not_validate():
    X, y, _ = _blobs()
    with pytest.warns(UserWarning, match="no speakers"):
        net = SERNetClassifier(FrameDNN, max_epochs=4, verbose=0).fit(X, y)
    assert len(net.history) == 4 and "valid_loss" not in net.history[-1]


def test_a_training_set_one_past_whole_batches_does_not_break_batch_norm():
    # 9 segments in batches of 4 leave a batch of one, which BatchNorm cannot normalise
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 625)).astype(np.float32)
    y = np.array(["angry", "sad"] * 4 + ["angry"])
    net = SERNetClassifier(Zhang1DCNN, batch_size=4, max_epochs=2, train_split=None, verbose=0)
    assert net.fit(X, y).predict_proba(X).shape == (9, 2)
    batches = [len(b[0]) for b in net.get_iterator(net.get_dataset(X, np.zeros(9)), training=True)]
    assert batches == [4, 4]
    assert [len(b[0]) for b in net.get_iterator(net.get_dataset(X), training=False)] == [4, 4, 1]


def test_same_random_state_same_predictions_and_persistence(tmp_path):
    X, y, groups = _blobs()
    a = SERNetClassifier(FrameDNN, max_epochs=5, verbose=0, random_state=3).fit(X, y, groups=groups)
    b = SERNetClassifier(FrameDNN, max_epochs=5, verbose=0, random_state=3).fit(X, y, groups=groups)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    joblib.dump(a, tmp_path / "net.joblib")
    np.save(tmp_path / "X.npy", X)
    code = (f"import joblib, numpy as np; m = joblib.load({str(tmp_path / 'net.joblib')!r}); "
            f"np.save({str(tmp_path / 'p.npy')!r}, m.predict_proba(np.load({str(tmp_path / 'X.npy')!r})))")
    subprocess.run([sys.executable, "-c", code], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), a.predict_proba(X))


def test_step_classifier_trains_every_step_and_averages():
    rng = np.random.default_rng(0)
    y = np.repeat(["low", "high"], 60)
    X = rng.standard_normal((120, 6, 4)).astype(np.float32) + np.where(y == "high", 1.0, -1.0)[:, None, None]
    net = SERStepNetClassifier(SequenceLSTM, module__n_cells=16, max_epochs=15, batch_size=16,
                               verbose=0).fit(X, y, groups=np.tile(np.arange(10), 12))
    steps = net.predict_segment_proba(X)
    assert steps.shape == (120, 6, 2)
    np.testing.assert_allclose(net.predict_proba(X), steps.mean(axis=1), rtol=1e-6)
    assert (net.predict(X) == y).mean() > 0.9


def test_segment_classifier_trains_on_segments_and_pools_per_utterance(routing):
    from sklearn_ser.estimators import SegmentNetClassifier, pool_posteriors
    from sklearn_ser.features import ragged

    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 40)
    groups = np.tile(np.arange(8), 10)
    X = ragged([rng.standard_normal((rng.integers(3, 9), 6)).astype(np.float32) + (1 if c == "a" else -1)
                for c in y])
    seen = {}

    class Spy(SegmentNetClassifier):
        def get_split_datasets(self, X, y=None, groups=None, **fit_params):
            seen["n"], seen["groups"] = len(X), groups
            return super().get_split_datasets(X, y, groups=groups, **fit_params)

    net = Spy(FrameDNN, max_epochs=10, batch_size=32, verbose=0).fit(X, y, groups=groups)
    assert seen["n"] == sum(len(x) for x in X)  # trained on segments
    assert list(seen["groups"][: len(X[0])]) == [groups[0]] * len(X[0])  # each with its speaker
    segs = net.predict_segment_proba(X)
    assert [len(s) for s in segs] == [len(x) for x in X]
    np.testing.assert_allclose(net.predict_proba(X)[5], segs[5].mean(axis=0), rtol=1e-6)
    assert (net.predict(X) == y).mean() > 0.9
    assert pool_posteriors(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), "vote").tolist() == [2 / 3, 1 / 3]
    with pytest.raises(ValueError, match="pooling"):
        pool_posteriors(segs[0], "median")


def _imbalanced(n_neutral, n_angry, seed):
    rng = np.random.default_rng(seed)
    y = np.array(["neutral"] * n_neutral + ["angry"] * n_angry)
    return (rng.standard_normal((len(y), 8)) + (y == "angry")[:, None] * 0.6).astype(np.float32), y


def test_balanced_class_weights_raise_the_minority_class_recall():
    from sklearn_ser.metrics import unweighted_accuracy

    X, y = _imbalanced(360, 40, seed=0)
    X_new, y_new = _imbalanced(1000, 1000, seed=1)  # new samples, classes balanced
    groups = np.tile(np.arange(10), 40)
    recall, ua = {}, {}
    for weight in (None, "balanced"):
        net = SERNetClassifier(FrameDNN, batch_size=32, lr=1e-3, max_epochs=15, class_weight=weight, verbose=0)
        predicted = net.fit(X, y, groups=groups).predict(X_new)
        recall[weight] = (predicted[y_new == "angry"] == "angry").mean()
        ua[weight] = unweighted_accuracy(y_new, predicted)
    # measured: recall 0.36 -> 0.59, UA 0.66 -> 0.74
    assert recall["balanced"] > recall[None] + 0.1 and ua["balanced"] > ua[None] + 0.03
    # sklearn's formula n / (n_classes * count), classes in label order
    np.testing.assert_allclose(net.criterion_.weight.numpy(), [400 / (2 * 40), 400 / (2 * 360)], rtol=1e-6)
    by_dict = SERNetClassifier(FrameDNN, max_epochs=1, class_weight={"angry": 3.0}, verbose=0)
    np.testing.assert_allclose(by_dict.fit(X, y, groups=groups).criterion_.weight.numpy(), [3.0, 1.0])
    explicit = SERNetClassifier(FrameDNN, max_epochs=1, class_weight="balanced", verbose=0,
                                criterion__weight=torch.tensor([1.0, 2.0]))
    np.testing.assert_allclose(explicit.fit(X, y, groups=groups).criterion_.weight.numpy(), [1.0, 2.0])


def test_training_batches_are_shuffled_even_when_the_data_come_sorted_by_class():
    rng = np.random.default_rng(0)
    y = np.repeat(["angry", "neutral", "sad"], 80)  # sorted, as corpora and segments come
    X = rng.standard_normal((240, 8)).astype(np.float32)
    batches = []

    class Spy(SERNetClassifier):
        def get_loss(self, y_pred, y_true, X=None, training=False):
            if training:
                batches.append(set(y_true.tolist()))
            return super().get_loss(y_pred, y_true, X=X, training=training)

    Spy(FrameDNN, batch_size=32, max_epochs=2, verbose=0).fit(X, y, groups=np.tile(np.arange(12), 20))
    assert all(len(labels) == 3 for labels in batches)  # unshuffled, most batches hold one class


def test_a_net_saturated_on_the_wrong_class_still_gets_a_gradient():
    net = SERNetClassifier(FrameDNN, verbose=0).initialize()
    logits = torch.tensor([[40.0, 0.0]], requires_grad=True)  # true class 1 at p = 4e-18
    net.get_loss(logits, torch.tensor([1]), training=True).backward()
    # d(-log p_1)/d logits = p - onehot(1) = (1, -1): a loss on clamped probabilities gives (0, 0)
    torch.testing.assert_close(logits.grad, torch.tensor([[1.0, -1.0]]))


def test_modules_give_logits_the_loss_is_cross_entropy_and_predict_proba_their_softmax():
    X, y, groups = _blobs()
    X = X.astype(np.float32)
    net = SERNetClassifier(FrameDNN, max_epochs=2, verbose=0).fit(X, y, groups=groups)
    assert isinstance(net.criterion_, torch.nn.CrossEntropyLoss)
    with torch.no_grad():
        logits = net.module_.eval()(torch.as_tensor(X))
    np.testing.assert_allclose(net.predict_proba(X), logits.softmax(-1).numpy(), rtol=1e-5, atol=1e-7)
    # a module with logits per step: the loss is every step's cross-entropy with its utterance's label
    steps = torch.randn(5, 3, 2)
    labels = torch.tensor([0, 1, 1, 0, 1])
    expected = torch.nn.functional.cross_entropy(steps.reshape(15, 2), labels.repeat_interleave(3))
    torch.testing.assert_close(net.get_loss(steps, labels), expected)
    frames = X.reshape(-1, 2, 4)
    stepper = SERStepNetClassifier(FrameDNN, max_epochs=2, verbose=0).fit(frames, y, groups=groups)
    with torch.no_grad():
        step_logits = stepper.module_.eval()(torch.as_tensor(frames))
    np.testing.assert_allclose(stepper.predict_segment_proba(frames), step_logits.softmax(-1).numpy(),
                               rtol=1e-5, atol=1e-7)


def test_refit_trains_a_fresh_net_on_every_speaker_for_the_best_epochs():
    X, y, groups = _blobs()
    sizes = []

    class Spy(SERNetClassifier):
        def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
            if training:
                sizes.append(len(iterator.dataset))
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    kwargs = dict(max_epochs=12, patience=3, batch_size=32, verbose=0, random_state=1)
    plain = SERNetClassifier(FrameDNN, **kwargs).fit(X, y, groups=groups)
    net = Spy(FrameDNN, refit=True, **kwargs).fit(X, y, groups=groups)
    validated = [row["epoch"] for row in net.validation_history_ if row["valid_loss_best"]][-1]
    assert net.refit_epochs_ == validated == len(net.history)
    assert "valid_loss" not in net.history[-1]
    # the early-stopped run trained on 10 of 12 speakers, the refit on all 240 utterances
    n_first = len(net.validation_history_)
    assert set(sizes[:n_first]) == {200} and sizes[n_first:] == [240] * validated
    assert not np.allclose(net.predict_proba(X), plain.predict_proba(X))
    assert (net.predict(X) == y).mean() > 0.8
    # no validation split: nothing to refit from
    alone = SERNetClassifier(FrameDNN, refit=True, train_split=None, **kwargs).fit(X, y)
    assert len(alone.history) == 12 and not hasattr(alone, "refit_epochs_")
    # a later fit without refit leaves no trace of the earlier one
    net.set_params(refit=False).fit(X, y, groups=groups)
    assert not hasattr(net, "refit_epochs_") and "valid_loss" in net.history[-1]


def test_refit_average_predicts_the_mean_of_the_early_stopped_and_refitted_nets():
    X, y, groups = _blobs()
    kwargs = dict(max_epochs=12, patience=3, batch_size=32, verbose=0, random_state=1)
    early = SERNetClassifier(FrameDNN, **kwargs).fit(X, y, groups=groups)
    refitted = SERNetClassifier(FrameDNN, refit=True, **kwargs).fit(X, y, groups=groups)
    both = SERNetClassifier(FrameDNN, refit="average", **kwargs).fit(X, y, groups=groups)
    # the kept net is the early-stopped one, untouched by the refit's training
    for name, weights in early.module_.state_dict().items():
        torch.testing.assert_close(both.validated_module_.state_dict()[name], weights)
    mean = (early.predict_proba(X) + refitted.predict_proba(X)) / 2
    np.testing.assert_allclose(both.predict_proba(X), mean, rtol=1e-5, atol=1e-6)
    assert not np.allclose(mean, refitted.predict_proba(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(both)).predict_proba(X), both.predict_proba(X))
    # a later plain refit drops the kept net
    assert not hasattr(both.set_params(refit=True).fit(X, y, groups=groups), "validated_module_")
    with pytest.raises(ValueError, match="refit must be one of"):
        SERNetClassifier(FrameDNN, refit="mean", **kwargs).fit(X, y, groups=groups)


def test_fitting_leaves_torch_global_generator_as_it_was():
    X, y, groups = _blobs()
    torch.manual_seed(1)
    expected = torch.rand(3)
    for train in (lambda net: net.fit(X, y, groups=groups), lambda net: net.partial_fit(X, y, groups=groups)):
        torch.manual_seed(1)
        train(SERNetClassifier(FrameDNN, module__dropout=0.2, max_epochs=3, refit=True, verbose=0))
        torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


def test_nets_trained_in_turns_train_as_they_do_alone():
    X, y, groups = _blobs()

    def net(seed):
        return SERNetClassifier(FrameDNN, module__dropout=0.2, max_epochs=2, verbose=0, random_state=seed)

    alone = net(1).partial_fit(X, y, groups=groups).partial_fit(X, y, groups=groups).predict_proba(X)
    a, b = net(1), net(2)
    torch.manual_seed(123)  # whatever the global generator holds
    a.partial_fit(X, y, groups=groups)
    b.partial_fit(X, y, groups=groups)
    torch.rand(5)
    a.partial_fit(X, y, groups=groups)
    np.testing.assert_array_equal(a.predict_proba(X), alone)
    # the same random_state repeats a fit bit for bit; another gives another fit
    np.testing.assert_array_equal(net(2).fit(X, y, groups=groups).predict_proba(X),
                                  net(2).fit(X, y, groups=groups).predict_proba(X))
    assert not np.allclose(net(2).fit(X, y, groups=groups).predict_proba(X),
                           net(3).fit(X, y, groups=groups).predict_proba(X))


def test_partial_fit_learns_the_labels_on_a_fresh_net_and_keeps_them():
    X, y, _ = _blobs()
    net = SERNetClassifier(FrameDNN, max_epochs=3, batch_size=32, train_split=None, verbose=0)
    net.partial_fit(X, y)  # a fresh net: labels and module sizes as fit learns them
    assert list(net.classes_) == ["angry", "neutral", "sad"] and net.n_features_in_ == 8
    assert net.module_.output.out_features == 3 and net.module_.hidden[0].in_features == 8
    weights = copy.deepcopy(net.module_.state_dict())
    net.partial_fit(X[::2], y[::2])  # continues: same labels, same module
    assert len(net.history) == 6 and list(net.classes_) == ["angry", "neutral", "sad"]
    assert not torch.equal(weights["output.weight"], net.module_.output.weight)
    assert (net.predict(X) == y).mean() > 0.8
    with pytest.raises(ValueError, match=r"labels \['bored'\] were not among the classes"):
        net.partial_fit(X, np.where(y == "sad", "bored", y))
    with pytest.raises(ValueError, match="X has 5 features, but SERNetClassifier is expecting 8"):
        net.partial_fit(X[:, :5], y)
    # classes names labels the first batch lacks
    first = SERNetClassifier(FrameDNN, max_epochs=1, train_split=None, verbose=0)
    first.partial_fit(X[y != "sad"], y[y != "sad"], classes=["angry", "neutral", "sad"])
    assert list(first.classes_) == ["angry", "neutral", "sad"] and first.module_.output.out_features == 3
    first.partial_fit(X[y == "sad"], y[y == "sad"])


def test_segment_classifier_partial_fit_trains_on_segments():
    from sklearn_ser.estimators import SegmentNetClassifier
    from sklearn_ser.features import ragged

    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 20)
    X = ragged([rng.standard_normal((rng.integers(2, 5), 6)).astype(np.float32) + (1 if c == "a" else -1)
                for c in y])
    net = SegmentNetClassifier(FrameDNN, max_epochs=5, batch_size=16, train_split=None, verbose=0)
    net.partial_fit(X, y).partial_fit(X, y)
    assert len(net.history) == 10 and (net.predict(X) == y).mean() > 0.9
    with pytest.raises(ValueError, match="requires y to be passed"):
        SegmentNetClassifier(FrameDNN).fit(X, None)


def test_routing_on_a_net_without_a_split_still_takes_speakers():
    X, y, groups = _blobs()
    with sklearn.config_context(enable_metadata_routing=True):
        net = SERNetClassifier(FrameDNN, max_epochs=2, train_split=None, verbose=0).fit(X, y, groups=groups)
    assert "valid_loss" not in net.history[-1]
