"""Per-domain normalisation (``domain_norm=True``): a domain's own unlabelled audio, the population
fallback of a lone utterance, enrolment, and the speaker's statistics first when both are on."""
import warnings

import numpy as np
import pandas as pd
import pytest

import sklearn_ser
from sklearn_ser.features import LLDFunctionals
from sklearn_ser.features.domain import WHOLE_CALL, domains_of
from sklearn_ser.features.speaker import apply_zscore, zscore_stats


@pytest.fixture(scope="module")
def split(small_corpus):
    """Speakers 0-3 train (one domain: no column), 4 and 5 are new (24 utterances each)."""
    speakers = sorted(small_corpus["speaker"].unique())
    train = small_corpus[small_corpus["speaker"].isin(speakers[:4])]
    return (train, small_corpus[small_corpus["speaker"] == speakers[4]].reset_index(drop=True),
            small_corpus[small_corpus["speaker"] == speakers[5]].reset_index(drop=True))


@pytest.fixture(scope="module")
def fitted(split):
    return LLDFunctionals(domain_norm=True).fit(split[0])


@pytest.fixture(scope="module")
def raw(split):
    """Unnormalised features of the two new speakers."""
    _, new, other = split
    return LLDFunctionals().fit_transform(new), LLDFunctionals().fit_transform(other)


def _quiet(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return f(*args)


def _own(features):
    return apply_zscore(features, zscore_stats(features))


def test_the_domain_of_an_utterance_is_its_domain_column_else_corpus_else_the_call():
    both = pd.DataFrame({"audio": ["a", "b"], "domain": ["room1", None], "corpus": ["emodb", "emodb"]})
    assert domains_of(both, 2).tolist() == ["room1", None]  # missing: no domain, falls back
    assert domains_of(both.drop(columns="domain"), 2).tolist() == ["emodb", "emodb"]
    assert domains_of(both[["audio"]], 2).tolist() == [WHOLE_CALL] * 2
    assert domains_of(None, 1).tolist() == [WHOLE_CALL]


def test_the_population_is_learned_from_the_training_audio_never_the_labels(split, fitted):
    train = split[0]
    shuffled = LLDFunctionals(domain_norm=True).fit(train, train["label"].sample(frac=1, random_state=0))
    np.testing.assert_array_equal(shuffled.population_.mean, fitted.population_.mean)
    features = LLDFunctionals().fit_transform(train)  # one training domain: its own statistics
    np.testing.assert_allclose(fitted.population_.mean, features.mean(axis=0), rtol=1e-4, atol=1e-4)
    assert fitted.__sklearn_tags__().requires_fit  # evaluate() fits it per fold, never precomputes it


def test_each_domain_is_z_scored_with_its_own_audio_only(split, fitted, raw):
    _, new, other = split
    X = pd.concat([new.assign(corpus="tess"), other.assign(corpus="ravdess")], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 24 utterances a domain: no fallback, no warning
        out = fitted.transform(X)
    np.testing.assert_allclose(out[:24], _own(raw[0]), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out[24:], _own(raw[1]), rtol=1e-4, atol=1e-4)
    # the other domain's utterances change nothing: the same rows alone in the call
    np.testing.assert_allclose(fitted.transform(X.iloc[:24]), out[:24], rtol=1e-6)
    # one call without a domain column is one domain: both speakers together
    pooled = fitted.transform(X.drop(columns="corpus"))
    np.testing.assert_allclose(pooled, _own(np.vstack(raw)), rtol=1e-4, atol=1e-4)
    assert not np.allclose(pooled[:24], out[:24], atol=1e-3)


def test_a_lone_utterance_of_an_unseen_domain_falls_back_to_the_population(split, fitted, raw):
    _, new, _ = split
    expected = apply_zscore(raw[0][:1], fitted.population_)
    with pytest.warns(UserWarning, match=r"domain\(s\) 'tess' with fewer than min_utterances=10.*population"):
        alone = fitted.transform(new.iloc[:1].assign(domain="tess"))
    np.testing.assert_allclose(alone, expected, rtol=1e-5)
    assert np.abs(alone).max() > 0.1  # never standardised against itself (all zeros)
    with pytest.warns(UserWarning, match="fewer than min_utterances"):
        no_column = fitted.transform(new.iloc[:1])  # a call of one utterance: the same fallback
    np.testing.assert_allclose(no_column, expected, rtol=1e-5)


def test_an_enrolled_domain_normalises_a_lone_utterance_as_its_batch(split, raw):
    train, new, _ = split
    step = LLDFunctionals(domain_norm=True).fit(train)
    with pytest.raises(ValueError, match="'domain' or 'corpus' column"):
        step.enroll(new)
    assert sklearn_ser.enroll(step, new.assign(domain="tess")) is step
    assert list(step.enrolled_domains_) == ["tess"] and step.enrolled_ == {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lone = step.transform(new.iloc[[5]].assign(domain="tess"))
    np.testing.assert_allclose(lone, _own(raw[0])[[5]], rtol=1e-4, atol=1e-4)
    step.fit(train)  # a new fit forgets the enrolment
    assert step.enrolled_domains_ == {}


def test_with_both_an_utterance_takes_its_speaker_then_its_domain_then_the_population(split, raw):
    train, new, other = split
    both = LLDFunctionals(speaker_norm=True, domain_norm=True).fit(train)
    speaker_only = LLDFunctionals(speaker_norm=True).fit(train)
    # a speaker with enough utterances: its own statistics, the same as speaker_norm alone
    np.testing.assert_allclose(both.transform(new), speaker_only.transform(new), rtol=1e-4, atol=1e-4)
    # a lone utterance of a new speaker beside 24 of its domain: the domain's statistics
    X = pd.concat([other, new.iloc[:1]], ignore_index=True).assign(corpus="tess")
    with pytest.warns(UserWarning, match="their domain's statistics"):
        out = both.transform(X)
    domain = zscore_stats(np.vstack([raw[1], raw[0][:1]]))
    np.testing.assert_allclose(out[-1], apply_zscore(raw[0][0], domain), rtol=1e-4, atol=1e-4)
    # alone in its domain too: the population
    lone = _quiet(both.transform, new.iloc[:1].assign(corpus="tess"))
    np.testing.assert_allclose(lone, apply_zscore(raw[0][:1], both.population_), rtol=1e-5)


def test_an_enrolled_domain_survives_the_safe_archive(split, tmp_path):
    from sklearn_ser import persistence

    train, new, _ = split
    step = sklearn_ser.enroll(LLDFunctionals(domain_norm=True).fit(train), new.assign(domain="tess"))
    persistence.save(step, tmp_path / "step.sser")
    loaded = persistence.load(tmp_path / "step.sser")
    lone = new.iloc[[3]].assign(domain="tess")
    np.testing.assert_array_equal(loaded.transform(lone), step.transform(lone))
