"""Latif et al.'s autoencoders as transformers: the segment convention in and out, input scaling,
the stopping rule, repeatability, the CVAE's label-free transform, and the safe model format."""
import inspect

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

import sklearn_ser
from sklearn_ser.estimators import AEEncoder, CVAEEncoder, VAEEncoder
from sklearn_ser.features import ragged

TOY = dict(latent_size=4, hidden=(16, 8), max_epochs=3, batch_size=32)


def stacks(n_utterances=12, width=20, seed=0):
    """Ragged segment stacks with a class-dependent offset, and the utterances' labels."""
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b", "c"] * (n_utterances // 3))
    shift = {"a": -1.0, "b": 0.0, "c": 1.0}
    X = ragged([rng.normal(shift[label], 1.0, (int(n), width)).astype(np.float32)
                for label, n in zip(y, rng.integers(1, 7, n_utterances))])
    return X, y


@pytest.mark.parametrize("cls", [AEEncoder, VAEEncoder, CVAEEncoder])
def test_segment_stacks_in_code_sequences_out(cls):
    X, y = stacks()
    codes = cls(**TOY).fit(X, y).transform(X)
    assert codes.dtype == object and len(codes) == len(X)
    assert [c.shape for c in codes] == [(len(x), 4) for x in X]
    assert all(c.dtype == np.float32 for c in codes)
    rows = np.concatenate(list(X))                              # a dense stack: one code per row
    dense = cls(**TOY).fit(rows, np.repeat(y, [len(x) for x in X])).transform(rows)
    assert dense.shape == (len(rows), 4)
    cube = np.stack([x[:1] for x in X])                         # (utterances, segments, features)
    assert cls(**TOY).fit(cube, y).transform(cube).shape == (len(X), 1, 4)


@pytest.mark.parametrize("cls", [VAEEncoder, CVAEEncoder])
def test_posterior_means_or_means_and_log_variances(cls):
    X, y = stacks()
    means = cls(**TOY).fit(X, y).transform(X)
    both = cls(output="mean_logvar", **TOY).fit(X, y).transform(X)
    for m, b in zip(means, both):
        assert b.shape == (len(m), 8)
        np.testing.assert_array_equal(b[:, :4], m)              # the same fit: the mean comes first
    with pytest.raises(ValueError, match="output must be one of"):
        cls(output="sample", **TOY).fit(X, y)


def test_the_papers_adam_settings_are_the_defaults():
    for cls in (AEEncoder, VAEEncoder, CVAEEncoder):
        params = cls().get_params()
        assert (params["lr"], tuple(params["betas"]), params["eps"]) == (1e-3, (0.999, 0.99), 1e-8)
        assert (params["latent_size"], tuple(params["hidden"])) == (128, (512, 256))


def test_input_scaling_is_learnt_at_fit():
    X, _ = stacks()
    rows = np.concatenate(list(X))
    vae = VAEEncoder(**TOY).fit(X)
    np.testing.assert_allclose(vae.mean_, rows.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(vae.scale_, rows.std(axis=0), rtol=1e-4)
    # the same utterances at another level and scale: the same standardised input, the same codes
    moved = ragged([3.0 * x + 10.0 for x in X])
    for a, b in zip(VAEEncoder(**TOY).fit(moved).transform(moved), vae.transform(X)):
        np.testing.assert_allclose(a, b, atol=2e-4)


def test_training_stops_below_tol_or_at_max_epochs():
    X, _ = stacks()
    full = AEEncoder(**{**TOY, "max_epochs": 4}).fit(X)
    assert full.n_epochs_ == 4 and not full.converged_ and len(full.reconstruction_curve_) == 4
    early = AEEncoder(**{**TOY, "max_epochs": 4}, tol=10.0).fit(X)  # any error is below 10
    assert early.n_epochs_ == 1 and early.converged_
    longer = VAEEncoder(**{**TOY, "max_epochs": 30}, betas=(0.9, 0.999)).fit(X)
    assert longer.reconstruction_curve_[-1] < longer.reconstruction_curve_[0]  # it learns
    assert len(longer.loss_curve_) == 30


@pytest.mark.parametrize("cls", [AEEncoder, VAEEncoder, CVAEEncoder])
def test_a_fit_is_repeatable_and_leaves_torch_s_generator_alone(cls):
    X, y = stacks()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = cls(**TOY, random_state=3).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)
    b = cls(**TOY, random_state=3).fit(X, y)
    c = cls(**TOY, random_state=4).fit(X, y)
    for name in a.weights_:
        np.testing.assert_array_equal(a.weights_[name], b.weights_[name])
    assert not all(np.array_equal(a.weights_[n], c.weights_[n]) for n in a.weights_)


@pytest.mark.parametrize("encoder", [AEEncoder(**TOY), VAEEncoder(output="mean_logvar", **TOY)]
                         + [CVAEEncoder(output="mean_logvar", condition=c, **TOY) for c in ("marginal", "zeros", "predicted")],
                         ids=["ae", "vae", "cvae-marginal", "cvae-zeros", "cvae-predicted"])
def test_a_segment_s_code_depends_on_that_segment_only(encoder):
    # (sklearn's check_methods_sample_order_invariance runs for the AE and VAE; the CVAE's codes
    # may move by an ulp with a row's position in the batch, so here at float32 precision)
    X, y = stacks()
    encoder.fit(X, y)
    rows = np.concatenate(list(X))
    codes = encoder.transform(rows)
    order = np.random.default_rng(0).permutation(len(rows))
    np.testing.assert_allclose(encoder.transform(rows[order]), codes[order], rtol=1e-6, atol=1e-6)
    for i in (0, len(rows) - 1):
        np.testing.assert_allclose(encoder.transform(rows[i:i + 1]), codes[i:i + 1], rtol=1e-6, atol=1e-6)
    utterances = encoder.transform(X[::-1])[::-1]                # reversed utterances, as stacks
    for a, b in zip(utterances, encoder.transform(X)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_bad_input_is_refused_by_name():
    X, y = stacks()
    vae = VAEEncoder(**TOY).fit(X)
    with pytest.raises(ValueError, match="expecting 20 features"):
        vae.transform(ragged([np.zeros((3, 21), np.float32)]))
    with pytest.raises(ValueError, match="different sizes"):
        VAEEncoder(**TOY).fit(ragged([np.zeros((3, 20), np.float32), np.zeros((2, 21), np.float32)]))
    with pytest.raises(ValueError, match="utterance 1"):
        vae.transform(ragged([np.zeros((3, 20), np.float32), np.zeros((0, 20), np.float32)]))
    with pytest.raises(ValueError, match="NaN"):
        vae.transform(ragged([np.full((3, 20), np.nan, np.float32)]))
    with pytest.raises(ValueError, match="latent_size"):
        VAEEncoder(latent_size=0).fit(X)


# ---- the CVAE without labels ----

def test_the_cvae_needs_labels_to_fit_and_none_to_transform():
    X, y = stacks()
    with pytest.raises(ValueError, match="requires y"):
        CVAEEncoder(**TOY).fit(X)
    assert list(inspect.signature(CVAEEncoder.transform).parameters) == ["self", "X"]
    cvae = CVAEEncoder(**TOY).fit(X, y)
    assert cvae.classes_.tolist() == ["a", "b", "c"]
    shares = np.array([sum(len(x) for x, label in zip(X, y) if label == k) for k in "abc"])
    np.testing.assert_allclose(cvae.class_prior_, shares / shares.sum())


def test_the_marginal_condition_mixes_the_posteriors_of_every_class():
    X, y = stacks()
    cvae = CVAEEncoder(output="mean_logvar", **TOY).fit(X, y)
    rows = np.concatenate(list(X))
    module = cvae._module()
    with torch.no_grad():
        scaled = torch.from_numpy(cvae._scale(rows))
        per_class = [module.encode(scaled, torch.eye(3)[k].expand(len(rows), 3)) for k in range(3)]
    w = cvae.class_prior_
    mean = sum(w[k] * per_class[k][0].numpy() for k in range(3))
    second = sum(w[k] * (per_class[k][1].exp() + per_class[k][0].square()).numpy() for k in range(3))
    out = cvae.transform(rows)
    np.testing.assert_allclose(out[:, :4], mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.exp(out[:, 4:]), second - mean**2, rtol=1e-4, atol=1e-6)


def test_the_zeros_condition_is_the_encoding_under_an_all_zero_vector():
    X, y = stacks()
    cvae = CVAEEncoder(output="mean_logvar", condition="zeros", **TOY).fit(X, y)
    rows = np.concatenate(list(X))
    with torch.no_grad():
        mean, logvar = cvae._module().encode(torch.from_numpy(cvae._scale(rows)), torch.zeros(len(rows), 3))
    out = cvae.transform(rows)
    np.testing.assert_allclose(out[:, :4], mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[:, 4:], logvar.numpy(), rtol=1e-5, atol=1e-6)


def test_each_label_free_condition_is_its_own_encoding():
    X, y = stacks()
    outputs = {}
    for condition in ("marginal", "zeros", "predicted"):
        cvae = CVAEEncoder(condition=condition, **TOY).fit(X, y)
        outputs[condition] = np.concatenate(list(cvae.transform(X)))
    assert not np.allclose(outputs["marginal"], outputs["zeros"])
    assert not np.allclose(outputs["marginal"], outputs["predicted"])
    # the auxiliary classifier exists only when asked for at fit, and learnt the training labels only
    assert not hasattr(CVAEEncoder(**TOY).fit(X, y), "auxiliary_")
    predicted = CVAEEncoder(condition="predicted", **TOY).fit(X, y)
    assert predicted.auxiliary_.classes_.tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="fitted with condition='predicted'"):
        CVAEEncoder(**TOY).fit(X, y).set_params(condition="predicted").transform(X)
    with pytest.raises(ValueError, match="condition must be one of"):
        CVAEEncoder(condition="oracle", **TOY).fit(X, y)


def test_the_predicted_condition_uses_the_auxiliary_posteriors():
    X, y = stacks()
    cvae = CVAEEncoder(condition="predicted", **TOY).fit(X, y)
    rows = np.concatenate(list(X))

    class Sure:  # certain of class "b" for every segment: the mixture is the encoding under "b"
        classes_ = np.array(["b"])

        def predict_proba(self, rows):
            return np.ones((len(rows), 1))

    cvae.auxiliary_ = Sure()
    with torch.no_grad():
        expected = cvae._module().encode(torch.from_numpy(cvae._scale(rows)),
                                         torch.eye(3)[1].expand(len(rows), 3))[0].numpy()
    np.testing.assert_allclose(cvae.transform(rows), expected, rtol=1e-5, atol=1e-6)


PREDICTED = []  # per predict_proba of the recording auxiliary: (units it was fitted on, units it scores)


class RecordingNeighbour(KNeighborsClassifier):
    """A 1-nearest-neighbour auxiliary (certain of its own training segments' labels) that records
    the units (column 0 of the rows) it was fitted on and the ones it is asked to score."""

    def __init__(self, n_neighbors=1):
        super().__init__(n_neighbors=n_neighbors)

    def predict_proba(self, X):
        PREDICTED.append((set(np.round(self._fit_X[:, 0], 4)), set(np.round(X[:, 0], 4))))
        return super().predict_proba(X)


@pytest.mark.parametrize("by", ["utterance", "speaker"])
def test_predicted_training_codes_are_cross_fitted(by):
    """Under condition="predicted" the training codes come from auxiliary classifiers that never
    saw the scored utterance (speaker, given groups): no in-sample stacking bias."""
    X, _ = stacks(n_utterances=24)
    y = np.random.default_rng(1).permutation(np.array(["a", "b", "c"] * 8))  # labels X cannot tell
    speakers = np.arange(len(X)) % 6
    unit = np.arange(len(X)) if by == "utterance" else speakers
    X = ragged([np.column_stack([np.full(len(x), u, np.float32), x[:, 1:]]) for x, u in zip(X, unit)])
    groups = None if by == "utterance" else speakers
    rows = np.concatenate(list(X))
    labels = np.repeat(y, [len(x) for x in X])

    def under_true_labels(cvae):  # each segment encoded under the one-hot of its own label
        with torch.no_grad():
            condition = torch.from_numpy((cvae.classes_ == labels[:, None]).astype(np.float32))
            return cvae._module().encode(torch.from_numpy(cvae._scale(rows)), condition)[0].numpy()

    cvae = CVAEEncoder(condition="predicted", auxiliary=RecordingNeighbour(), cv=4, **TOY)
    PREDICTED.clear()
    codes = np.concatenate(list(cvae.fit_transform(X, y, groups=groups)))
    assert len(PREDICTED) == 4                                  # one auxiliary per fold, none in-sample
    scaled_units = set(np.round(cvae._scale(rows)[:, 0], 4))
    for fitted, scored in PREDICTED:
        assert fitted and scored and not fitted & scored        # never scores what it learnt from
    assert set.union(*(scored for _, scored in PREDICTED)) == scaled_units
    # in sample, the 1-NN auxiliary is certain of every training label: transform's codes are the
    # true labels' encodings (the bias); the cross-fitted ones are not
    np.testing.assert_allclose(np.concatenate(list(cvae.transform(X))), under_true_labels(cvae), rtol=1e-5, atol=1e-6)
    matches = np.isclose(codes, under_true_labels(cvae), rtol=1e-5, atol=1e-6).all(axis=1)
    assert matches.mean() < 0.8
    # cross-fitting touches the training codes only: the fitted encoder is fit()'s
    refit = CVAEEncoder(condition="predicted", auxiliary=RecordingNeighbour(), cv=4, **TOY).fit(X, y)
    for name in refit.weights_:
        np.testing.assert_array_equal(refit.weights_[name], cvae.weights_[name])
    np.testing.assert_array_equal(np.concatenate(list(cvae.fit_transform(X, y, groups=groups))), codes)


def test_cross_fitting_needs_two_speakers_and_a_sound_cv():
    X, y = stacks()
    with pytest.raises(ValueError, match="at least 2"):
        CVAEEncoder(condition="predicted", **TOY).fit_transform(X, y, groups=np.zeros(len(X)))
    with pytest.raises(ValueError, match="cv must be"):
        CVAEEncoder(condition="predicted", cv=1, **TOY).fit_transform(X, y)
    with pytest.raises(ValueError, match="groups has 3"):
        CVAEEncoder(condition="predicted", **TOY).fit_transform(X, y, groups=[0, 1, 2])


# ---- the safe model format ----

@pytest.mark.parametrize("encoder", [AEEncoder(**TOY), VAEEncoder(output="mean_logvar", **TOY),
                                     CVAEEncoder(condition="predicted", **TOY)], ids=lambda e: type(e).__name__)
def test_fitted_encoders_round_trip_through_the_safe_format(encoder, tmp_path):
    X, y = stacks()
    encoder.fit(X, y)
    sklearn_ser.save(encoder, tmp_path / "encoder.model")
    loaded = sklearn_ser.load(tmp_path / "encoder.model")
    for a, b in zip(loaded.transform(X), encoder.transform(X)):
        np.testing.assert_array_equal(a, b)


def low_rank_rows(n=600, width=20, seed=0):
    """Rows of rank 3 (plus a little noise) far from zero mean and unit scale, and a label per row."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 3))
    X = (Z @ rng.normal(size=(3, width)) * 2 + 5 + 0.05 * rng.normal(size=(n, width))).astype(np.float32)
    return X, np.where(Z[:, 0] > 0, "a", "b")


@pytest.mark.parametrize("cls", [AEEncoder, VAEEncoder, CVAEEncoder])
def test_reconstruct_gives_back_what_the_code_keeps_in_the_input_s_units(cls):
    X, y = low_rank_rows()
    encoder = cls(latent_size=4, hidden=(32, 16), max_epochs=40, batch_size=32, betas=(0.9, 0.999)).fit(X, y)
    R = encoder.reconstruct(X)
    assert R.shape == X.shape and R.dtype == np.float32
    # rank 3 through a code of 4: far better than the mean (1.0), in the input's offset and scale
    assert ((R - X) ** 2).mean() / X.var(axis=0).mean() < 0.1
    stacked = ragged([X[:5], X[5:7]])                           # the segment convention in and out
    assert [r.shape for r in encoder.reconstruct(stacked)] == [(5, 20), (2, 20)]
    np.testing.assert_allclose(np.concatenate(list(encoder.reconstruct(stacked))), R[:7], atol=1e-5)


def test_the_cvae_reconstructs_under_the_given_label_or_its_label_free_condition():
    X, y = low_rank_rows(n=200)
    cvae = CVAEEncoder(latent_size=4, hidden=(32, 16), max_epochs=5, batch_size=32).fit(X, y)
    module, scaled = cvae._module(), torch.from_numpy(cvae._scale(X[:3]))
    onehot = torch.eye(2)[[0, 0, 0]]                            # "a" for every row
    with torch.no_grad():
        by_hand = module.decode(module.encode(scaled, onehot)[0], onehot).numpy() * cvae.scale_ + cvae.mean_
    np.testing.assert_allclose(cvae.reconstruct(X[:3], ["a", "a", "a"]), by_hand, rtol=1e-4, atol=1e-4)
    assert not np.allclose(cvae.reconstruct(X[:3]), by_hand, atol=1e-3)  # label-free: the prior's mixture
    with pytest.raises(ValueError, match=r"labels \['z'\] were not among the training classes"):
        cvae.reconstruct(X[:1], ["z"])
