"""A net with a head per target: the multi-output API (2-D y in, 2-D predictions and a list of
probabilities out), the paper's alternate head updates, and targets scored per head through
cross_validate and GridSearchCV with speaker groups."""
import numpy as np
import pytest
import sklearn
import torch
from skorch.callbacks import Callback
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate

from sklearn_ser.estimators import MultiHeadNetClassifier
from sklearn_ser.metrics import head_scorer


class TwoHeads(torch.nn.Module):
    def __init__(self, n_classes=(2,), n_features=2, n_hidden=16):
        super().__init__()
        n_classes = (n_classes,) if isinstance(n_classes, int) else tuple(n_classes)
        self.body = torch.nn.Sequential(torch.nn.Linear(n_features, n_hidden), torch.nn.ReLU())
        self.heads = torch.nn.ModuleList(torch.nn.Linear(n_hidden, n) for n in n_classes)

    def embed(self, X):
        return self.body(X)

    def forward(self, X):
        hidden = self.body(X)
        return tuple(head(hidden) for head in self.heads)


def problem(n_speakers=6, per_speaker=20, seed=0):
    """Utterances of 3 noisy segments; valence shifts every segment's feature 0, arousal (three
    levels) feature 1."""
    rng = np.random.default_rng(seed)
    n = n_speakers * per_speaker
    valence, level = rng.integers(0, 2, n), rng.integers(-1, 2, n)
    X = rng.standard_normal((n, 3, 6)).astype(np.float32)
    X[:, :, 0] += 2.0 * (valence[:, None] - 0.5) * 2
    X[:, :, 1] += 2.0 * level[:, None]
    Y = np.stack([np.array(["negative", "positive"])[valence], np.array(["low", "mid", "high"])[level + 1]], axis=1)
    return X, Y, np.repeat([f"s{i}" for i in range(n_speakers)], per_speaker)


NET = dict(module__n_hidden=32, max_epochs=30, batch_size=16, lr=0.05, patience=30, verbose=0)


def test_a_2d_y_gives_a_head_per_target_and_predictions_per_target():
    X, Y, speakers = problem()
    net = MultiHeadNetClassifier(TwoHeads, **NET).fit(X, Y, groups=speakers)
    assert net.module_.heads[0].out_features == 2 and net.module_.heads[1].out_features == 3
    assert [list(c) for c in net.classes_] == [["negative", "positive"], ["high", "low", "mid"]]
    predicted, proba = net.predict(X), net.predict_proba(X)
    assert predicted.shape == (len(X), 2)
    assert [p.shape for p in proba] == [(len(X), 2), (len(X), 3)] and all(np.allclose(p.sum(1), 1) for p in proba)
    for h in range(2):  # each column is its head's most probable class
        assert (predicted[:, h] == net.classes_[h][proba[h].argmax(1)]).all()
    assert (predicted[:, 0] == Y[:, 0]).mean() > 0.8 and (predicted[:, 1] == Y[:, 1]).mean() > 0.6  # chance 0.5, ~0.4


def test_a_1d_y_is_a_plain_classifier():
    X, Y, speakers = problem()
    net = MultiHeadNetClassifier(TwoHeads, **NET).fit(X, Y[:, 0], groups=speakers)
    assert list(net.classes_) == ["negative", "positive"] and net.predict(X).shape == (len(X),)
    assert net.predict_proba(X).shape == (len(X), 2) and net.score(X, Y[:, 0]) > 0.8


class RecordSteps(Callback):
    """Per optimiser step: which heads got a gradient, every parameter as it was before the step,
    and whether the gradients are those of the active head's loss on the net as it is now."""

    def __init__(self):
        self.steps = []

    def on_grad_computed(self, net, named_parameters, batch=None, **kwargs):
        named = list(named_parameters)
        heads = sorted({int(name.split(".")[1]) for name, p in named if name.startswith("heads.") and p.grad is not None})
        body = all(p.grad is not None for name, p in named if name.startswith("body."))
        fresh = None
        if getattr(net, "_active_head", None) is not None:  # the loss on the current weights, by hand
            Xi, yi = batch
            h = net._active_head
            logits = net.module_(torch.as_tensor(Xi))[h]
            loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(yi)[:, h])
            params = [p for name, p in named if p.grad is not None]
            expected = torch.autograd.grad(loss, params)
            fresh = all(torch.allclose(p.grad, e, atol=1e-6) for p, e in zip(params, expected))
        self.steps.append((heads, body, {name: p.detach().clone() for name, p in named}, fresh))


def _record(head_updates, batch_size=48):
    X, Y, speakers = problem(n_speakers=2, per_speaker=8)
    record = RecordSteps()
    MultiHeadNetClassifier(TwoHeads, head_updates=head_updates, callbacks=[("record", record)],
                           optimizer=torch.optim.SGD, optimizer__momentum=0.9, train_split=None,
                           max_epochs=2, batch_size=batch_size, lr=0.1, module__n_hidden=8, verbose=0).fit(X, Y)
    return record.steps


def test_alternate_updates_step_one_head_at_a_time_on_the_updated_net():
    steps = _record("alternate")
    assert len(steps) == 4  # 2 epochs x 1 batch x 2 heads
    assert all(len(heads) == 1 and body for heads, body, _, _ in steps)
    assert {steps[0][0][0], steps[1][0][0]} == {0, 1} and {steps[2][0][0], steps[3][0][0]} == {0, 1}
    # each head's gradient is its loss on the net the earlier step left, not on a forward before it
    assert all(fresh for _, _, _, fresh in steps)
    for (heads, _, before, _), (_, _, after, _) in zip(steps, steps[1:]):
        other = 1 - heads[0]
        # the step of one head moves the shared layers and that head, never the other (momentum included)
        assert not torch.equal(before["body.0.weight"], after["body.0.weight"])
        assert not torch.equal(before[f"heads.{heads[0]}.weight"], after[f"heads.{heads[0]}.weight"])
        assert torch.equal(before[f"heads.{other}.weight"], after[f"heads.{other}.weight"])


def test_joint_updates_step_all_heads_together():
    steps = _record("joint")
    assert len(steps) == 2 and all(heads == [0, 1] and body for heads, body, _, _ in steps)


def test_the_order_of_the_heads_is_drawn_per_batch_and_seeded():
    orders = [[s[0][0] for s in _record("alternate", batch_size=2)] for _ in range(2)]
    assert orders[0] == orders[1] and len(orders[0]) == 96  # 2 epochs x 24 batches of 2 segments x 2 heads
    firsts = orders[0][::2]
    assert 0 in firsts and 1 in firsts  # either head may go first


def test_each_head_weights_its_own_classes():
    X, Y, speakers = problem()
    Y = Y.copy()
    Y[: len(Y) * 3 // 4, 1] = "low"  # arousal skewed, valence balanced
    net = MultiHeadNetClassifier(TwoHeads, class_weight="balanced", **{**NET, "max_epochs": 1}).fit(X, Y, groups=speakers)
    from sklearn.utils.class_weight import compute_class_weight

    segments_y = np.repeat(Y, 3, axis=0)
    for h in range(2):
        expected = compute_class_weight("balanced", classes=net.classes_[h], y=segments_y[:, h])
        np.testing.assert_allclose(net.head_class_weights_[h], expected)
    logits = (torch.randn(5, 2), torch.randn(5, 3))
    y = torch.tensor([[0, 0], [1, 1], [0, 2], [1, 1], [0, 1]])
    by_hand = sum(torch.nn.functional.cross_entropy(logits[h], y[:, h], weight=torch.tensor(
        net.head_class_weights_[h], dtype=torch.float32)) for h in range(2))
    assert net.get_loss(logits, y).item() == pytest.approx(by_hand.item())


def test_bad_settings_and_targets_are_named():
    X, Y, speakers = problem(n_speakers=2, per_speaker=6)
    with pytest.raises(ValueError, match="head_updates must be one of"):
        MultiHeadNetClassifier(TwoHeads, head_updates="both", **NET).fit(X, Y, groups=speakers)
    with pytest.raises(ValueError, match="refit=False or True"):
        MultiHeadNetClassifier(TwoHeads, refit="average", **NET).fit(X, Y, groups=speakers)
    with pytest.raises(ValueError, match="takes no criterion__ settings"):
        MultiHeadNetClassifier(TwoHeads, criterion__label_smoothing=0.1, **NET).fit(X, Y, groups=speakers)
    with pytest.raises(ValueError, match=r"y must be 1-D or 2-D"):
        MultiHeadNetClassifier(TwoHeads, **NET).fit(X, Y[:, :, None], groups=speakers)
    net = MultiHeadNetClassifier(TwoHeads, **{**NET, "max_epochs": 1}).fit(X, Y, groups=speakers)
    wrong = Y.copy()
    wrong[0, 1] = "furious"
    with pytest.raises(ValueError, match=r"labels \['furious'\] were not among the classes"):
        net.partial_fit(X, wrong)
    with pytest.raises(ValueError, match="y has 1 targets"):
        net.partial_fit(X, Y[:, 0])


def test_per_head_scores_through_cross_validate_and_gridsearch_with_speaker_groups():
    X, Y, speakers = problem()
    scoring = {"uar_valence": head_scorer("uar", 0), "war_valence": head_scorer("war", 0),
               "uar_arousal": head_scorer("uar", 1)}
    net = MultiHeadNetClassifier(TwoHeads, **NET)
    result = cross_validate(net, X, Y, groups=speakers, cv=GroupKFold(3), scoring=scoring,
                            params={"groups": speakers}, return_estimator=True)
    assert result["test_uar_valence"].mean() > 0.75 and result["test_uar_arousal"].mean() > 0.5  # chance 0.5, 0.33
    for estimator in result["estimator"]:  # early stopping held out whole training speakers
        assert len(estimator.history) >= 1
    with sklearn.config_context(enable_metadata_routing=True):  # the speakers reach the cv and the nets
        search = GridSearchCV(net, {"head_updates": ["alternate", "joint"]}, cv=GroupKFold(3),
                              scoring=scoring, refit="uar_arousal").fit(X, Y, groups=speakers)
    assert search.best_params_["head_updates"] in ("alternate", "joint")
    assert search.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="head 2 is not a column of y"):
        head_scorer("uar", 2)(search, X, Y)
    with pytest.raises(ValueError, match="metric must be 'uar' or 'war'"):
        head_scorer("f1")
