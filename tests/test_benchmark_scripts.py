"""The benchmark scripts' own logic: compare_runs pairs seeds by position and folds by speaker;
refit_members predicts with each of refit="average"'s two nets."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wilcoxon

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from compare_runs import compare_runs  # noqa: E402
from refit_members import member, member_predictions  # noqa: E402


def _run(fold_ua, speakers):
    return dict(ua=float(np.mean(fold_ua)), fold_ua=list(fold_ua), fold_speakers=list(speakers))


def test_fold_pairs_of_all_seeds_are_matched_by_speaker_and_tested_together():
    rng = np.random.default_rng(0)
    speakers = [f"{i:02d}" for i in range(10)]
    a = [rng.uniform(0.4, 0.7, 10) for _ in range(2)]
    b = [rng.uniform(0.4, 0.7, 10) for _ in range(2)]
    results = {"a0": _run(a[0], speakers), "a1": _run(a[1], speakers),
               # stored in another fold order: pairing must follow the speakers, not the positions
               "b0": _run(b[0][::-1], speakers[::-1]), "b1": _run(b[1], speakers)}
    lines = compare_runs(results, ["a0", "a1"], ["b0", "b1"])
    expected = wilcoxon(np.concatenate(a), np.concatenate(b)).pvalue
    assert f"over the 20 fold pairs: mean fold UA A-B {np.mean(np.concatenate(a) - np.concatenate(b)):+.3f}" in lines[-1]
    assert f"Wilcoxon p = {expected:.3f}" in lines[-1]
    assert lines[0].endswith(f"p = {wilcoxon(a[0], b[0]).pvalue:.3f}  (a0 vs b0)")


def test_unpaired_or_missing_runs_are_refused():
    run = _run([0.5] * 10, range(10))
    with pytest.raises(SystemExit, match="pair by position"):
        compare_runs({"a": run, "b": run}, ["a"], ["a", "b"])
    with pytest.raises(SystemExit, match="not in the results: c"):
        compare_runs({"a": run}, ["a"], ["c"])


def test_refit_members_predict_with_each_net_alone_and_restore_both():
    from sklearn_ser.estimators import SERNetClassifier
    from sklearn_ser.model_selection import evaluate
    from sklearn_ser.nets import FrameDNN

    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 60)
    X = (rng.standard_normal((120, 6)) + (y == "a")[:, None]).astype(np.float32)
    groups, kwargs = np.tile(np.arange(6), 20), dict(max_epochs=6, patience=2, batch_size=16, verbose=0)
    both = SERNetClassifier(FrameDNN, refit="average", **kwargs).fit(X, y, groups=groups)
    refitted = SERNetClassifier(FrameDNN, refit=True, **kwargs).fit(X, y, groups=groups)
    early = SERNetClassifier(FrameDNN, **kwargs).fit(X, y, groups=groups)
    averaged = both.predict_proba(X)
    for which, alone in [("@refitted", refitted), ("@early-stopped", early)]:
        with member(both, which):
            np.testing.assert_allclose(both.predict_proba(X), alone.predict_proba(X), rtol=1e-5)
    np.testing.assert_array_equal(both.predict_proba(X), averaged)
    with pytest.raises(ValueError, match="which must be one of"):
        with member(both, ""):
            pass

    report = evaluate(both, X, y, groups=groups, cv="kfold:3", return_estimators=True)
    preds = member_predictions(report, X)
    for k, (model, test) in enumerate(zip(report.estimators, report.test_indices)):
        with member(model, "@early-stopped"):
            np.testing.assert_array_equal(preds["@early-stopped"][k], model.predict(X[test]))
    with pytest.raises(SystemExit, match="kept no early-stopped net"):
        member_predictions(evaluate(refitted, X, y, groups=groups, cv="kfold:3", return_estimators=True), X)


def _accuracy_main(monkeypatch, *argv):
    import accuracy

    monkeypatch.setattr(sys, "argv", ["accuracy.py", *argv])
    accuracy.main()


def test_a_run_records_its_settings_and_refuses_to_replace_a_result_run_with_others(tmp_path, monkeypatch):
    from accuracy import run_settings

    out = tmp_path / "results.json"
    key = "kim-3d-cnn-dnn-spknorm[random_state=3]"
    warped = run_settings("kim-3d-cnn-dnn-spknorm", {"random_state": 3})
    assert warped["frequency_warp"] == 0.1 and warped["kernel"] == [2, 2, 32] and warped["random_state"] == 3
    argv = ("--systems", "kim-3d-cnn-dnn-spknorm", "--corpus", "synthetic", "--out", str(out),
            "--set", "random_state=3")
    # a result stored before settings were recorded, and one stored before the warp became the default
    for stored, message in [({}, "records no settings"),
                            ({"settings": {**warped, "frequency_warp": None}}, "frequency_warp None then, 0.1 now")]:
        out.write_text(json.dumps({key: dict(ua=0.5, **stored)}))
        with pytest.raises(SystemExit, match=message):
            _accuracy_main(monkeypatch, *argv)
        assert json.loads(out.read_text())[key]["ua"] == 0.5  # untouched


def test_refit_members_refuses_before_fitting_too(tmp_path, monkeypatch):
    import refit_members

    out = tmp_path / "results.json"
    out.write_text(json.dumps({"kim-3d-cnn-dnn-spknorm[refit=average]@refitted": dict(ua=0.5)}))
    monkeypatch.setattr(sys, "argv", ["refit_members.py", "--system", "kim-3d-cnn-dnn-spknorm",
                                      "--corpus", "synthetic", "--out", str(out)])
    with pytest.raises(SystemExit, match="@refitted' records no settings"):
        refit_members.main()


def test_a_result_run_with_the_same_settings_or_overwrite_may_be_replaced():
    from accuracy import check_replaceable

    settings = {"random_state": 3, "kernel": [2, 2, 32]}
    results = {"a": dict(ua=0.5, settings=dict(settings)), "old": dict(ua=0.5)}
    check_replaceable(results, "a", settings)
    check_replaceable(results, "new", settings)
    check_replaceable(results, "old", settings, overwrite=True)
    with pytest.raises(SystemExit, match="kernel"):
        check_replaceable(results, "a", {**settings, "kernel": [2, 2, 128]})


def test_a_run_stores_the_settings_it_ran_with_and_may_be_rerun_with_them(tmp_path, monkeypatch):
    import accuracy

    monkeypatch.setattr(accuracy, "matmul_ceiling", lambda: 1.0)  # a speed figure, not under test here
    out = tmp_path / "results.json"
    argv = ("--systems", "baseline", "--corpus", "synthetic", "--cv", "kfold:2", "--out", str(out),
            "--set", "random_state=1")
    _accuracy_main(monkeypatch, *argv)
    first = json.loads(out.read_text())["baseline[random_state=1]"]
    assert first["system"] == "baseline"
    assert first["settings"] == accuracy.run_settings("baseline", {"random_state": 1})
    assert first["settings"]["random_state"] == 1 and first["settings"]["speaker_norm"] is False
    _accuracy_main(monkeypatch, *argv)  # same settings: replaced, not refused
    assert json.loads(out.read_text())["baseline[random_state=1]"]["fold_ua"] == first["fold_ua"]


def test_speaker_adaptation_scores_the_three_ways_of_predicting_a_speaker(small_corpus):
    from sklearn_ser.model_selection import evaluate
    from sklearn_ser.recipes import get_system
    from speaker_adaptation import MODES, enrolled_halves, run

    X = small_corpus.iloc[::2]  # 12 utterances a speaker: batches use their own statistics
    result = run("baseline-spknorm", X, "kfold:3", {})
    assert result["batch"]["ua"] == pytest.approx(
        evaluate(get_system("baseline-spknorm"), X, X["label"], cv="kfold:3").ua)
    assert result["n_utterances"] == len(X) and all(len(result[m]["fold_ua"]) == 3 for m in MODES)
    assert result["alone"]["ua"] != result["batch"]["ua"]  # the population fallback differs
    # each half is predicted from the other half's statistics: enrolment never sees the utterance
    speaker = X[X["speaker"] == X["speaker"].iloc[0]]
    model = get_system("baseline-spknorm").fit(X[X["speaker"] != speaker["speaker"].iloc[0]],
                                                X[X["speaker"] != speaker["speaker"].iloc[0]]["label"])
    seen = []
    real_enroll = model.named_steps["features"].enroll
    model.named_steps["features"].enroll = lambda Xe: seen.append(set(map(id, Xe["audio"]))) or real_enroll(Xe)
    pred = enrolled_halves(model, speaker)
    assert len(pred) == len(speaker) and len(seen) == 2 and not seen[0] & seen[1]
