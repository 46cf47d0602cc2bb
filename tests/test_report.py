"""benchmarks/report.py: the committed page and results agree, and the picking and aggregation of
runs on small fabricated runs (superseded ones out, seeds together, variants labelled by the
settings they change, the Wilcoxon test paired by speaker as scipy computes it)."""
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import wilcoxon

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import report  # noqa: E402
from _results import jsonable, load_runs, write_run  # noqa: E402

from sklearn_ser.recipes import system_settings  # noqa: E402

SPEAKERS = [f"{i:02d}" for i in (3, 8, 9, 10, 11, 12, 13, 14, 15, 16)]


def test_the_committed_page_is_what_the_committed_runs_give():
    """`python benchmarks/report.py --check` on the repository: rerun the report after storing a run."""
    report.main(["--check"])


def store(root, system, fold_ua, overrides=None, speakers=SPEAKERS, cv="loso", kind="accuracy", add_corpus=None,
          **extra):
    overrides = overrides or {}
    fold_ua = list(map(float, fold_ua))
    payload = dict(overrides=overrides, settings_recorded=True, cv=cv, fold_speakers=list(speakers),
                   timings={"seconds": 60.0}, command="", **extra)
    if kind == "accuracy":
        payload.update(ua=float(np.mean(fold_ua)), wa=float(np.mean(fold_ua)) + 0.01, fold_ua=fold_ua)
    else:
        for mode, shift in (("batch", 0), ("enrolled", -0.01), ("alone", -0.1)):
            ua = [u + shift for u in fold_ua]
            payload[mode] = dict(ua=float(np.mean(ua)), wa=float(np.mean(ua)), fold_ua=ua)
    settings = jsonable(system_settings(system, **overrides))
    if add_corpus:  # as accuracy.py --add-corpus stores it
        settings["add_corpus"] = add_corpus
    return write_run(kind, "emodb", system, settings, payload, root=root)


def rows_of(page, system):
    return [line for line in page.splitlines() if line.startswith(f"| {system} |")]


def test_superseded_runs_are_left_out_of_every_table(tmp_path):
    store(tmp_path, "baseline", [0.5] * 10)
    store(tmp_path, "baseline", [0.9] * 10, superseded="measured before the fix")
    page = report.build_page(load_runs(root=tmp_path))
    assert "0.900" not in page and "0.910" not in page
    assert rows_of(page, "baseline")[0].startswith("| baseline | current settings | 1 | 0.500 |  | 0.510 |")
    assert "1 stored runs are superseded and left out of every table: 1 measured before the fix." in page


def test_seeds_are_one_row_with_their_mean_and_range(tmp_path):
    store(tmp_path, "zhang-3d", [0.5] * 10)
    store(tmp_path, "zhang-3d", [0.6] * 10, {"random_state": 1})
    store(tmp_path, "zhang-3d", [0.7] * 10, {"random_state": 2})
    page = report.build_page(load_runs(root=tmp_path))
    [row] = [r for r in rows_of(page, "zhang-3d") if "current settings" in r]
    assert "| 3: s0: 0.500, s1: 0.600, s2: 0.700 | 0.600 (0.500–0.700) |  | 0.610 | 0.600 ± 0.000 | 60 s |" in row
    readme = report.build_readme_block(load_runs(root=tmp_path))
    assert "| zhang-3d | **0.600** |  | 3 (0.500–0.700) |" in readme  # the mean, never the best seed


def test_a_run_with_other_settings_is_a_variant_labelled_by_them(tmp_path):
    store(tmp_path, "kim-3d-cnn-dnn", [0.4] * 10)
    store(tmp_path, "kim-3d-cnn-dnn", [0.45] * 10, {"kernel": [2, 2, 32], "module__dropout": 0.2})
    page = report.build_page(load_runs(root=tmp_path))
    rows = rows_of(page, "kim-3d-cnn-dnn")
    assert rows[0].startswith("| kim-3d-cnn-dnn | current settings | 1 | 0.400 |")
    assert rows[1].startswith("| kim-3d-cnn-dnn | kernel=[2,2,32], module__dropout=0.2 | 1 | 0.450 |")
    assert "--set 'kernel=[2,2,32]' module__dropout=0.2`" in rows[1]  # the command that reruns it today


def test_a_run_trained_with_an_added_corpus_is_kept_apart_from_the_runs_without(tmp_path):
    plain = store(tmp_path, "zhang-1d", [0.5] * 10)
    added = store(tmp_path, "zhang-1d", [0.6] * 10, add_corpus="tess")
    assert plain.name != added.name  # another identity, not a second run of the same one
    page = report.build_page(load_runs(root=tmp_path))
    rows = rows_of(page, "zhang-1d")
    assert rows[0].startswith("| zhang-1d | current settings | 1 | 0.500 |")
    assert rows[1].startswith("| zhang-1d | add_corpus=tess | 1 | 0.600 |")
    assert "`python benchmarks/accuracy.py --systems zhang-1d --add-corpus tess`" in rows[1]
    assert "| zhang-1d | **0.500** |" in report.build_readme_block(load_runs(root=tmp_path))
    store(tmp_path, "zhang-1d", [0.7] * 10, {"random_state": 1}, add_corpus="tess")  # a second seed of it
    rows = rows_of(report.build_page(load_runs(root=tmp_path)), "zhang-1d")
    assert rows[1].startswith("| zhang-1d | add_corpus=tess | 2: s0: 0.600, s1: 0.700 | 0.650 (0.600–0.700) |")


def test_a_system_without_a_run_at_its_current_settings_says_so(tmp_path):
    store(tmp_path, "zhang-feature-fusion", [0.55] * 10, {"members": ["2d-small", "3d"]})
    store(tmp_path, "zhang-2d", [0.52], speakers=["03"], cv="loso:03")
    runs = load_runs(root=tmp_path)
    page = report.build_page(runs)
    [row] = rows_of(page, "zhang-feature-fusion")  # the nearest run is not repeated as a variant
    assert 'not measured at its current settings; nearest: members=["2d-small","3d"] | 1 | 0.550 |' in row
    assert rows_of(page, "zhang-1d")[0].startswith("| zhang-1d | not measured |")
    assert "measured on the folds of `--cv loso:03` only | 1 | 0.520 |" in rows_of(page, "zhang-2d")[0]
    assert "| zhang-2d | current settings | `loso:03` | 1 | 0.520 |" in page  # the reduced table
    readme = report.build_readme_block(runs)
    assert ('| zhang-feature-fusion | *not measured at its current settings*; with members=["2d-small","3d"]: '
            '0.550 |  | 1 |') in readme
    assert "| zhang-2d | *only on the folds of `--cv loso:03`*: 0.520 |  | 1 |" in readme


def test_the_wilcoxon_test_pairs_folds_by_speaker_as_scipy_does(tmp_path):
    rng = np.random.default_rng(0)
    base, kim = rng.uniform(0.5, 0.8, 10), rng.uniform(0.3, 0.7, 10)
    store(tmp_path, "baseline", base)
    store(tmp_path, "kim-3d-cnn-dnn", kim[::-1], speakers=SPEAKERS[::-1])  # another fold order
    expected = wilcoxon(kim, base).pvalue
    verdict = "level" if expected >= 0.05 else ("better" if np.mean(kim - base) > 0 else "worse")
    page = report.build_page(load_runs(root=tmp_path))
    gain = np.mean(kim) - np.mean(base)
    assert f"| {verdict}, p = {expected:.3f}; pooled UA {gain:+.3f} |" in rows_of(page, "kim-3d-cnn-dnn")[0]
    test = report.paired_test(dict(zip(SPEAKERS, kim)), dict(zip(SPEAKERS, base)))
    assert test.pvalue == pytest.approx(expected) and test.n == 10
    assert test.mean_difference == pytest.approx(np.mean(kim - base))


def test_seeds_are_averaged_per_speaker_before_the_test(tmp_path):
    rng = np.random.default_rng(1)
    ref = rng.uniform(0.4, 0.6, 10)
    seeds = [rng.uniform(0.5, 0.9, 10) for _ in range(3)]
    store(tmp_path, "zhang-3d", ref)
    for seed, ua in enumerate(seeds):
        store(tmp_path, "zhang-1d", ua, {"random_state": seed})
    page = report.build_page(load_runs(root=tmp_path))
    expected = wilcoxon(np.mean(seeds, axis=0), ref).pvalue
    assert f"p = {expected:.3f}; pooled UA" in rows_of(page, "zhang-1d")[0]


def test_variants_are_paired_with_the_current_settings_seed_by_seed_and_source_by_source(tmp_path):
    rng = np.random.default_rng(2)
    now = {seed: rng.uniform(0.5, 0.7, 10) for seed in range(4)}
    then = {seed: rng.uniform(0.4, 0.6, 10) for seed in range(4)}
    for seed in range(2):  # accuracy.py runs of seeds 0 and 1, refitted nets of seeds 2 and 3
        store(tmp_path, "kim-3d-cnn-dnn-spknorm", now[seed], {"random_state": seed})
        store(tmp_path, "kim-3d-cnn-dnn-spknorm", then[seed], {"random_state": seed, "frequency_warp": None})
    for seed in (2, 3):
        store(tmp_path, "kim-3d-cnn-dnn-spknorm", now[seed], {"random_state": seed, "refit": "average"},
              member="refitted")
        store(tmp_path, "kim-3d-cnn-dnn-spknorm", then[seed], {"random_state": seed, "refit": "average",
                                                                "frequency_warp": None}, member="refitted")
    store(tmp_path, "kim-3d-cnn-dnn-spknorm", then[3], {"random_state": 4, "frequency_warp": None})  # no partner
    page = report.build_page(load_runs(root=tmp_path))
    rows = [line for line in page.split("## Paired seeds")[1].split("##")[0].splitlines()
            if line.startswith("| kim-3d-cnn-dnn-spknorm | frequency_warp=null |")]
    for row, seeds, source in zip(rows, ([0, 1], [2, 3]), ("accuracy.py", "(r)")):
        a = np.concatenate([now[s] for s in seeds])
        b = np.concatenate([then[s] for s in seeds])
        assert row.startswith(f"| kim-3d-cnn-dnn-spknorm | frequency_warp=null | {source} | "
                              f"{', '.join(map(str, seeds))} |")
        test = report.paired_test(dict(enumerate(a)), dict(enumerate(b)))
        assert row.endswith(f"| {np.mean(a - b):+.3f} | 20 | {test} |")
        assert f"p = {wilcoxon(a, b).pvalue:.3f}" in row
    assert len(rows) == 2


def test_runs_on_other_test_speakers_are_not_paired(tmp_path):
    store(tmp_path, "zhang-3d", [0.5] * 10)
    store(tmp_path, "zhang-1d", [0.4] * 10, speakers=[f"s{i}" for i in range(10)])
    page = report.build_page(load_runs(root=tmp_path))
    assert "| not paired: other test speakers |" in rows_of(page, "zhang-1d")[0]
    assert report.paired_test({"a": 0.5, "b": 0.6}, {"a": 0.4, "c": 0.6}) == "not paired: other test speakers"
    assert report.paired_test({s: 0.5 for s in "abc"}, {s: 0.4 for s in "abc"}) == "3 folds: no test"


def test_members_and_speaker_adaptation_batches_count_as_the_settings_they_measured(tmp_path):
    store(tmp_path, "kim-3d-cnn-dnn-spknorm", [0.5] * 10)
    for member, ua in (("refitted", 0.6), ("early-stopped", 0.3)):
        store(tmp_path, "kim-3d-cnn-dnn-spknorm", [ua] * 10, {"refit": "average", "random_state": 3}, member=member)
    store(tmp_path, "baseline-spknorm", [0.78] * 10, kind="speaker-adaptation")
    page = report.build_page(load_runs(root=tmp_path))
    rows = rows_of(page, "kim-3d-cnn-dnn-spknorm")
    assert "| 2: s0: 0.500, s3 (r): 0.600 | 0.550 (0.500–0.600) |" in rows[0]  # refit=True: the default
    assert "| refit=false | 1 (e) | 0.300 |" in rows[1]
    assert "| 60 s |" in rows[0]
    assert "| refit=false | 1 (e) | 0.300 |  | 0.310 | 0.300 ± 0.000 |  |" in rows[1]  # a member's time is not its own
    assert rows_of(page, "baseline-spknorm")[0].startswith("| baseline-spknorm | current settings | 1 (s) | 0.780 |")
    assert "| baseline-spknorm | current settings | `loso` | 0.780 | 0.770 | 0.680 |" in page


def test_the_page_does_not_depend_on_the_order_runs_are_read_in(tmp_path):
    store(tmp_path, "baseline", [0.5] * 10)
    store(tmp_path, "zhang-3d", [0.6] * 10, {"random_state": 1})
    store(tmp_path, "zhang-3d", [0.5] * 10)
    runs = load_runs(root=tmp_path)
    page = report.build_page(runs)
    random.Random(0).shuffle(runs)
    assert report.build_page(runs) == page
    assert "| zhang-3d | current settings | 2: s0: 0.500, s1: 0.600 |" in page


def test_reference_folds_are_the_stored_runs_at_current_settings(tmp_path):
    store(tmp_path, "baseline", [0.5] * 10)
    store(tmp_path, "baseline", [0.7] * 10, {"random_state": 1})
    store(tmp_path, "baseline", [0.9] * 10, {"C": 10})
    folds, about = report.reference_folds("baseline", "emodb", "loso", tmp_path)
    assert folds == {s: pytest.approx(0.6) for s in SPEAKERS} and about == "2 stored runs"
    assert report.reference_folds("baseline", "emodb", "loso:03", tmp_path)[0] is None


def test_the_readme_block_is_rewritten_between_the_markers_only(tmp_path, capsys):
    store(tmp_path / "results", "baseline", [0.5] * 10)
    page, readme = tmp_path / "results.md", tmp_path / "README.md"
    argv = ["--results", str(tmp_path / "results"), "--page", str(page), "--readme", str(readme)]
    readme.write_text("# sklearn-ser\n\nNo markers here.\n")
    report.main(argv)
    assert readme.read_text() == "# sklearn-ser\n\nNo markers here.\n" and "| baseline |" in page.read_text()
    report.main(argv + ["--check"])

    readme.write_text(f"intro\n{report.BEGIN}\nold table\n{report.END}\noutro\n")
    with pytest.raises(SystemExit):
        report.main(argv + ["--check"])
    assert "README.md is stale" in capsys.readouterr().err
    report.main(argv)
    text = readme.read_text()
    assert text.startswith(f"intro\n{report.BEGIN}\n") and text.endswith(f"\n{report.END}\noutro\n")
    assert "old table" not in text and "| baseline | **0.500** |  | 1 |" in text
    report.main(argv + ["--check"])

    page.write_text(page.read_text() + "a hand edit\n")
    with pytest.raises(SystemExit):
        report.main(argv + ["--check"])
    assert "results.md is stale" in capsys.readouterr().err

    readme.write_text(f"{report.END}\n{report.BEGIN}\n")
    with pytest.raises(SystemExit, match="expected one"):
        report.main(argv)


def store_dimensional(root, system, fold_ua_by_dimension, speakers=SPEAKERS):
    dims = {d: dict(f1=float(np.mean(ua)), ua=float(np.mean(ua)), wa=float(np.mean(ua)), fold_f1=list(map(float, ua)),
                    fold_ua=list(map(float, ua)), fold_wa=list(map(float, ua)), fold_speakers=list(speakers))
            for d, ua in fold_ua_by_dimension.items()}
    payload = dict(overrides={}, settings_recorded=True, cv="loso", targets="proxy", levels="five", joint=True,
                   dimensions=dims, mean_f1=float(np.mean([d["f1"] for d in dims.values()])),
                   timings={"seconds": 60.0}, command="")
    return write_run("dimensional-five-joint", "emodb", system, jsonable(system_settings(system)), payload, root=root)


def test_dimensional_systems_are_paired_per_dimension_by_speaker(tmp_path):
    rng = np.random.default_rng(2)
    a = {"valence": rng.uniform(0.2, 0.5, 10), "arousal": rng.uniform(0.5, 0.9, 10)}
    b = {"valence": rng.uniform(0.2, 0.5, 10), "arousal": rng.uniform(0.1, 0.4, 10)}
    store_dimensional(tmp_path, "wieser-elor", a)
    store_dimensional(tmp_path, "baseline", {d: v[::-1] for d, v in b.items()}, speakers=SPEAKERS[::-1])
    page = report.build_page(load_runs(root=tmp_path))
    [row] = [line for line in page.splitlines() if line.startswith("| wieser-elor − baseline |")
             or line.startswith("| baseline − wieser-elor |")]
    sign = 1 if row.startswith("| wieser-elor") else -1
    for d in ("arousal", "valence"):
        diff, p = sign * np.mean(a[d] - b[d]), wilcoxon(a[d], b[d]).pvalue
        bold = "**" if p < 0.05 else ""
        assert f"| {bold}{diff:+.3f}{bold} ({p:.3f}) |" in row
    assert row.count("**") == 2  # arousal differs by construction (p = 0.002), valence by chance only


def alone(ua):
    return dict(ua=ua, wa=ua, fold_ua=[ua] * 10, fold_wa=[ua] * 10)


def test_the_alone_figure_stands_beside_the_batch_one_and_is_blank_where_not_measured(tmp_path):
    store(tmp_path, "baseline", [0.5] * 10, alone=alone(0.5))
    store(tmp_path, "baseline-spknorm", [0.6] * 10, alone=alone(0.4))
    store(tmp_path, "baseline-spknorm", [0.7] * 10, {"random_state": 1}, alone=alone(0.5))
    store(tmp_path, "zhang-3d", [0.4] * 10)  # stored before accuracy.py measured it
    store(tmp_path, "zhang-1d", [0.3] * 10, alone=alone(0.2))
    store(tmp_path, "zhang-1d", [0.35] * 10, {"random_state": 1})
    runs = load_runs(root=tmp_path)
    page = report.build_page(runs)
    assert "| alone UA |" in page.split("## Handcrafted baseline")[1].splitlines()[4]  # the header
    assert rows_of(page, "baseline")[0].startswith("| baseline | current settings | 1 | 0.500 | 0.500 | 0.510 |")
    assert "| 0.650 (0.600–0.700) | 0.450 | 0.660 |" in rows_of(page, "baseline-spknorm")[0]
    assert "| 0.400 |  | 0.410 |" in rows_of(page, "zhang-3d")[0]  # blank, not invented
    assert "| 0.325 (0.300–0.350) | 0.200 (1 of 2 runs) |" in rows_of(page, "zhang-1d")[0]
    every = page.split("## Every run")[1]
    assert "| 0.400 |  | 0.410 |" in every and "| 0.600 | 0.400 | 0.610 |" in every
    readme = report.build_readme_block(runs)
    assert "| baseline-spknorm | **0.650** | 0.450 | 2 (0.600–0.700) |" in readme
    assert "| zhang-3d | **0.400** |  | 1 |" in readme


def test_a_speaker_adaptation_run_gives_its_alone_mode_and_a_member_none(tmp_path):
    store(tmp_path, "baseline-spknorm", [0.78] * 10, kind="speaker-adaptation")  # alone = batch - 0.1
    store(tmp_path, "kim-3d-cnn-dnn", [0.6] * 10, {"refit": "average"}, member="refitted", alone=alone(0.1))
    page = report.build_page(load_runs(root=tmp_path))
    assert rows_of(page, "baseline-spknorm")[0].startswith(
        "| baseline-spknorm | current settings | 1 (s) | 0.780 | 0.680 |")
    assert "| 1 (r) | 0.600 |  |" in rows_of(page, "kim-3d-cnn-dnn")[0]  # the run's alone is not the member's


def test_per_class_recall_is_tabulated_from_the_runs_that_stored_it(tmp_path):
    store(tmp_path, "baseline", [0.5] * 10)
    assert "## Per-class recall" not in report.build_page(load_runs(root=tmp_path))  # no run has it
    store(tmp_path, "baseline", [0.6] * 10, {"random_state": 1}, per_class_recall={"angry": 0.9, "sad": 0.3})
    store(tmp_path, "baseline", [0.7] * 10, {"random_state": 2}, per_class_recall={"angry": 0.7, "sad": 0.5})
    store(tmp_path, "zhang-3d", [0.4] * 10, per_class_recall={"angry": 0.2, "fear": 0.6})
    section = report.build_page(load_runs(root=tmp_path)).split("## Per-class recall")[1].split("\n## ")[0]
    assert "| system | settings | runs with recall | angry | fear | sad |" in section
    assert "| baseline | current settings | 2 of 3 | 0.800 |  | 0.400 |" in section
    assert "| zhang-3d | current settings | 1 of 1 | 0.200 | 0.600 |  |" in section


def store_cross_corpus(root, system, normalisation, ua, limit=None, date="2026-12-02T10:00:00+00:00"):
    classes = ["angry", "sad"]
    directions = {d: dict(ua=u, wa=u + 0.01, per_class_recall={"angry": u + 0.1, "sad": u - 0.1}, n_train=400,
                          n_test=300, fit_seconds=1.0, predict_seconds=0.1)
                  for d, u in (("emodb->tess", ua), ("tess->emodb", ua - 0.2))}
    payload = dict(overrides={}, settings_recorded=True, corpora=["emodb", "tess"], classes=classes,
                   normalisation=normalisation, limit=limit, directions=directions, timings={"seconds": 60.0},
                   command=f"python benchmarks/cross_corpus.py --systems {system} --normalisations {normalisation}",
                   date=date)
    settings = dict(jsonable(system_settings(system)), normalisation=normalisation, limit=limit)
    return write_run("cross-corpus", "emodb-tess", system, settings, payload, root=root)


def test_cross_corpus_runs_are_a_row_per_direction_and_normalisation(tmp_path):
    store(tmp_path, "baseline", [0.5] * 10)
    assert "## Across corpora" not in report.build_page(load_runs(root=tmp_path))
    store_cross_corpus(tmp_path, "baseline", "none", 0.3, date="2026-12-01T10:00:00+00:00")
    store_cross_corpus(tmp_path, "baseline", "none", 0.4)  # the later run of the same configuration
    store_cross_corpus(tmp_path, "baseline", "domain", 0.6)
    store_cross_corpus(tmp_path, "baseline", "domain", 0.9, limit=3,  # a smoke check, the latest: not a figure
                       date="2026-12-03T10:00:00+00:00")
    page = report.build_page(load_runs(root=tmp_path))
    section = page.split("## Across corpora")[1].split("\n## ")[0]
    assert "| system | settings | normalisation | train → test | UA | WA | angry | sad |" in section
    rows = [line for line in section.splitlines() if line.startswith("| baseline |")]
    assert [r.split(" | ")[2:6] for r in rows] == [
        ["none", "emodb → tess", "0.400", "0.410"], ["none", "tess → emodb", "0.200", "0.210"],
        ["domain", "emodb → tess", "0.600", "0.610"], ["domain", "tess → emodb", "0.400", "0.410"]]
    assert rows[2].startswith("| baseline | current settings | domain | emodb → tess | 0.600 | 0.610 | 0.700 | 0.500 |")
    assert "0.900" not in section and "Runs on other corpora" not in page


def store_scaling(root, system, rows, date):
    write_run("scaling", "synthetic", system, {"sizes": sorted({r[0] for r in rows})}, dict(
        cv="kfold:5", command=f"python benchmarks/scaling.py --systems {system}", date=date,
        rows=[dict(utterances=n, workers=w, seconds=s, extraction_seconds=s / 2, peak_rss_mb=700, peak_process_mb=400,
                   ua=0.5) for n, w, s in rows]), root=root)


def test_scaling_runs_give_a_row_per_size_and_workers_with_the_speed_up_of_two(tmp_path):
    store_scaling(tmp_path, "baseline", [(1000, 1, 30.0), (1000, 2, 20.0)], "2026-12-01T10:00:00+00:00")
    store_scaling(tmp_path, "baseline", [(1000, 2, 15.0), (5000, 2, 80.0)], "2026-12-02T10:00:00+00:00")
    section = report.build_page(load_runs(root=tmp_path)).split("## Scaling")[1].split("\n## ")[0]
    rows = [line.split(" | ")[1:7] for line in section.splitlines() if line.startswith("| baseline |")]
    # the later run's 2-worker time at 1000 replaces the earlier; 5000 has no 1-worker run to compare
    assert rows == [["1000", "1", "30", "15", "15", ""], ["1000", "2", "15", "8", "8", "2.00"],
                    ["5000", "2", "80", "40", "40", ""]]
