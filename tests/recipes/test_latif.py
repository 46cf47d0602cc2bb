"""Latif et al.'s recipes end to end: the paper's settings, the encoder fitted on training folds only
(no test-fold audio, no test speaker's label), the LSTM trained on the fitted encoder's own codes, a
prediction depending on its own utterance only (never on its label), and speakers routed to the
LSTM's early stopping through evaluate and cross_validate."""
import hashlib

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import cross_validate

from sklearn_ser.estimators import AEEncoder, CVAEEncoder, LatentLSTMClassifier, VAEEncoder
from sklearn_ser.features import LatifLogMelSegments
from sklearn_ser.metrics import SCORING
from sklearn_ser.model_selection import LeaveOneSpeakerOut, evaluate
from sklearn_ser.model_selection.evaluate import _stateless_prefix, speaker_fit_params
from sklearn_ser.nets import LatifLSTM
from sklearn_ser.recipes import get_system

TINY = dict(latent_size=4, hidden=(16, 8), encoder_epochs=1, max_epochs=2, module__n_cells=8)
SYSTEMS = ["latif-ae-lstm", "latif-vae-lstm", "latif-cvae-lstm"]
ROUTING = pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "routing-on"])


def fingerprint(stack):
    return hashlib.sha1(np.ascontiguousarray(stack).tobytes()).hexdigest()


FITS = []  # per encoder fit: the fingerprints of the utterances it saw and the labels it got
SPLITS = []  # per LSTM fit: (training speakers, validation speakers)


def _spy(cls):
    class Spy(cls):
        def fit(self, X, y=None):
            FITS.append(([fingerprint(x) for x in X], None if y is None else list(y)))
            return super().fit(X, y)

    Spy.__name__ = Spy.__qualname__ = f"Spy{cls.__name__}"
    return Spy


SPY_ENCODERS = {cls: _spy(cls) for cls in (AEEncoder, VAEEncoder, CVAEEncoder)}


class SpyNet(LatentLSTMClassifier):
    def get_split_datasets(self, X, y=None, groups=None, **fit_params):
        train, valid = super().get_split_datasets(X, y, groups=groups, **fit_params)
        SPLITS.append((set(groups[train.indices]), set(groups[valid.indices])))
        return train, valid


def spied(name):
    """The tiny system ``name`` with its encoder and LSTM replaced by spies of the same settings."""
    pipe = get_system(name, **TINY)
    encoder, net = pipe.named_steps["encoder"], pipe.named_steps["net"]
    return pipe.set_params(encoder=SPY_ENCODERS[type(encoder)](**encoder.get_params()),
                           net=SpyNet(**net.get_params()))


@pytest.fixture(scope="module")
def owners(small_corpus):
    """Speaker and label of each utterance, by the fingerprint of its segments."""
    segments = LatifLogMelSegments().transform(small_corpus)
    keys = [fingerprint(x) for x in segments]
    assert len(set(keys)) == len(keys)
    return dict(zip(keys, zip(small_corpus["speaker"], small_corpus["label"])))


def test_the_papers_settings():
    for name, cls in zip(SYSTEMS, (AEEncoder, VAEEncoder, CVAEEncoder)):
        pipe = get_system(name)
        assert list(pipe.named_steps) == ["features", "encoder", "net"]
        encoder, net = pipe.named_steps["encoder"], pipe.named_steps["net"]
        assert type(encoder) is cls
        assert (encoder.latent_size, tuple(encoder.hidden), encoder.lr, tuple(encoder.betas), encoder.eps) == \
            (128, (512, 256), 1e-3, (0.999, 0.99), 1e-8)
        assert (net.module, net.lr, net.max_epochs) == (LatifLSTM, 1e-3, 20)
        assert _stateless_prefix(pipe) == 1  # only the log-mel segments are computed once for all folds
    assert get_system("latif-cvae-lstm").named_steps["encoder"].condition == "marginal"
    assert get_system("latif-vae-lstm", latent_size=32, output="mean").named_steps["encoder"].latent_size == 32
    with pytest.raises(ValueError, match="autoencoder must be one of"):
        get_system("latif-vae-lstm", autoencoder="gan")
    with pytest.raises(TypeError, match="module__n_cell"):
        get_system("latif-vae-lstm", module__n_cell=8)


def test_speakers_reach_only_the_lstm():
    assert list(speaker_fit_params(get_system("latif-vae-lstm"), [1, 2])) == ["net__groups"]


def _check_fold(fit, labels_seen, test_speakers, owners):
    keys, labels = fit
    seen = {owners[key][0] for key in keys}
    assert seen and not seen & test_speakers                      # no test-fold audio
    if labels_seen:                                                # the CVAE's labels: its own utterances'
        assert labels == [owners[key][1] for key in keys]


@ROUTING
@pytest.mark.parametrize("name", ["latif-vae-lstm", "latif-cvae-lstm"])
def test_evaluate_fits_the_encoder_on_training_folds_only(name, small_corpus, owners, routing):
    FITS.clear()
    SPLITS.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        report = evaluate(spied(name), small_corpus, small_corpus["label"], cv="kfold:3")
    assert len(FITS) == 3 and len(SPLITS) == 3
    for fit, speakers, (train, valid) in zip(FITS, report.per_fold["test_speakers"], SPLITS):
        test = set(speakers.split(","))
        _check_fold(fit, name == "latif-cvae-lstm", test, owners)
        assert valid and not train & valid and not (train | valid) & test
    assert (report.per_fold["epochs"] >= 1).all()


@ROUTING
def test_cross_validate_fits_the_cvae_on_training_folds_only(small_corpus, owners, routing):
    FITS.clear()
    SPLITS.clear()
    X, y, spk = small_corpus, small_corpus["label"], small_corpus["speaker"].to_numpy()
    speakers = dict(params={"groups": spk}) if routing else dict(groups=spk, params={"net__groups": spk})
    with sklearn.config_context(enable_metadata_routing=routing):
        result = cross_validate(spied("latif-cvae-lstm"), X, y, cv=LeaveOneSpeakerOut(["spk00", "spk03"]),
                                scoring=SCORING, return_indices=True, **speakers)
    assert len(FITS) == 2 and len(SPLITS) == 2
    for fit, test, (train, valid) in zip(FITS, result["indices"]["test"], SPLITS):
        test_speakers = set(spk[test])
        _check_fold(fit, True, test_speakers, owners)
        assert valid and not (train | valid) & test_speakers


@pytest.fixture(scope="module")
def fold(small_corpus):
    """The log-mel segments of two training speakers' and two test speakers' utterances, with labels."""
    segments = LatifLogMelSegments().transform(small_corpus)
    speakers, y = small_corpus["speaker"].to_numpy(), small_corpus["label"].to_numpy()
    train, test = np.isin(speakers, ["spk02", "spk03"]), np.isin(speakers, ["spk00", "spk01"])
    return segments[train], y[train], segments[test]


ENCODERS = [("latif-ae-lstm", {}), ("latif-vae-lstm", {})] + [
    ("latif-cvae-lstm", {"condition": c}) for c in ("marginal", "zeros", "predicted")]


@pytest.mark.parametrize("name, settings", ENCODERS, ids=["ae", "vae", "cvae-marginal", "cvae-zeros", "cvae-predicted"])
def test_the_lstm_trains_on_the_codes_the_fitted_encoder_gives(fold, name, settings):
    """fit_transform (what the Pipeline trains the LSTM on) gives the fitted encoder's own codes:
    no label-aware training codes. Under condition="predicted" they are cross-fitted by design (no
    auxiliary classifier scores its own training segments); the fitted encoder is fit()'s all the same."""
    X, y, X_test = fold
    encoder = get_system(name, **settings, **TINY).named_steps["encoder"]
    codes = encoder.fit_transform(X, y)
    fitted = clone(encoder).fit(X, y)
    in_sample = fitted.transform(X)
    assert len(codes) == len(in_sample)
    if settings.get("condition") == "predicted":
        assert not all(np.allclose(a, b) for a, b in zip(codes, in_sample))
    else:
        for a, b in zip(codes, in_sample):
            np.testing.assert_array_equal(a, b)
    for key in fitted.weights_:
        np.testing.assert_array_equal(encoder.weights_[key], fitted.weights_[key])
    for a, b in zip(encoder.transform(X_test), fitted.transform(X_test)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("condition", ["marginal", "zeros", "predicted"])
def test_a_prediction_depends_on_its_own_utterance_only(small_corpus, condition):
    """An utterance's posteriors are the same alone, in a batch and in any order of the batch; and
    the test utterances' labels, shuffled or absent, are not read."""
    train = small_corpus[~small_corpus["speaker"].isin(["spk00", "spk01"])]
    test = small_corpus[small_corpus["speaker"].isin(["spk00", "spk01"])].reset_index(drop=True)
    pipe = get_system("latif-cvae-lstm", condition=condition, **TINY)
    pipe.fit(train, train["label"], net__groups=train["speaker"].to_numpy())
    batch = pipe.predict_proba(test)
    # float32 products may round by an ulp with a row's place in the batch (see test_common)
    close = dict(rtol=1e-5, atol=1e-6)
    for i in (0, 7, len(test) - 1):
        np.testing.assert_allclose(pipe.predict_proba(test.iloc[[i]]), batch[[i]], **close)
    order = np.random.default_rng(1).permutation(len(test))
    np.testing.assert_allclose(pipe.predict_proba(test.iloc[order]), batch[order], **close)
    np.testing.assert_allclose(pipe.predict_proba(list(test["audio"][order])), batch[order], **close)
    shuffled = test.assign(label=np.random.default_rng(0).permutation(test["label"].to_numpy()))
    np.testing.assert_array_equal(pipe.predict_proba(shuffled), batch)
    np.testing.assert_array_equal(pipe.predict_proba(test.drop(columns="label")), batch)
