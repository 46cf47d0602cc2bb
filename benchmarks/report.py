"""Regenerate docs/results.md, and the README's results block, from the stored runs alone.

Run: python benchmarks/report.py [--check] [--results benchmarks/results] [--page docs/results.md]
     [--readme README.md]

Reads every run under ``benchmarks/results/`` (``_results.load_runs``) and the recipe registry
(what each system's current settings are), nothing else: the page is sorted, its floats have fixed
formats and it holds no date of its own, so the same runs give the same page. If README.md holds
the markers ``<!-- results:begin -->`` and ``<!-- results:end -->``, the block between them is
rewritten too (one row per registered system); without them the README is left alone.
``--check`` writes nothing and exits non-zero, naming the stale file, when either differs from
what it would write.

How runs become rows (EmoDB, per family of systems):

- Runs marked ``superseded`` are left out of every table.
- Runs whose settings differ only in ``random_state`` (and ``n_jobs``, which changes speed, not
  results) are seeds of one configuration: one row, the mean pooled UA with its range and the
  number of runs. The refitted net of a ``refit="average"`` run (``refit_members.py``) counts as a
  run with ``refit=True``, its early-stopped net as one with ``refit=False``; the batch mode of a
  ``speaker_adaptation.py`` run counts as an accuracy run of its system (its time does not).
- A registered system's row holds the runs at its current settings (``system_settings(name)``);
  other runs are variants, labelled by the settings in which they differ from it. A run whose
  folds also trained on another corpus (``accuracy.py --add-corpus tess``) has ``add_corpus``
  among its settings: a variant labelled ``add_corpus=tess``, never a run at current settings. A system with
  no run at its current settings says so, with its nearest run (fewest differing settings).
- The paired Wilcoxon test (``scipy.stats.wilcoxon``, two-sided) compares per-fold UA with the
  family's reference at its current settings, each side's UA per test speaker averaged over its
  runs; both sides must have tested the same speakers, or there is no test.
- Reduced protocols (``cv=loso:03,...``) get a table of their own per family.
"""
import argparse
import difflib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script from anywhere

from sklearn_ser.recipes import SYSTEMS, system_settings  # noqa: E402

from _results import RESULTS, command, jsonable, load_runs, set_arguments  # noqa: E402

PAGE = REPO / "docs" / "results.md"
README = REPO / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
CORPUS = "emodb"
LOSO = "loso"

# title, registry-name prefixes, the system the others are tested against
FAMILIES = [
    ("Handcrafted baseline", ("baseline",), "baseline"),
    ("Broad functionals + linear SVM", ("functionals", "compare", "egemaps"), "baseline"),
    ("Kim et al. 2017", ("kim-", "dnn-elm", "lstm-elm"), "baseline"),
    ("Zhang et al. 2021", ("zhang-",), "zhang-3d"),
    ("Latif et al. 2017", ("latif-",), "baseline"),
    ("Wieser et al. 2020", ("wieser-",), "baseline"),
]
SEED_SETTINGS = ("random_state",)  # runs that differ only here are seeds of one configuration
SPEED_SETTINGS = ("n_jobs",)  # parallelism: how fast, not what was measured
MIN_FOLDS = 5  # fewer paired folds: no test
ALPHA = 0.05
MARKS = {"refitted": "r", "early-stopped": "e", "speaker-adaptation": "s"}


def family_of(system):
    for title, prefixes, _ in FAMILIES:
        if any(system == p or system.startswith(p) for p in prefixes):
            return title
    return None


def current_settings(system):
    """The settings ``system`` has today; None if it is no longer registered."""
    return jsonable(system_settings(system)) if system in SYSTEMS else None


def _configuration(settings):
    return {k: v for k, v in settings.items() if k not in SEED_SETTINGS + SPEED_SETTINGS}


def settings_label(system, settings):
    """The settings of ``settings`` that differ from ``system``'s current ones, seeds aside, as
    ``--set`` writes them (``frequency_warp=null, refit=false``); "current settings" if none."""
    if system not in SYSTEMS:
        return "no longer a registered system"
    now, then = _configuration(current_settings(system)), _configuration(settings)
    differ = {k: then.get(k, "(not recorded)") for k in sorted(now.keys() | then.keys()) if now.get(k) != then.get(k)}
    return ", ".join(set_arguments(differ)) if differ else "current settings"


# ---- one accuracy figure of a system: a run, a member of a run, or a speaker_adaptation batch


@dataclass
class Measure:
    run: dict
    source: str  # "accuracy", "refitted", "early-stopped" or "speaker-adaptation"
    settings: dict  # what the figure measures (a member's refit as it predicts)
    ua: float
    wa: float
    folds: dict  # test speakers -> UA

    @property
    def seed(self):
        return self.settings.get("random_state")

    @property
    def timed(self):
        """Its run's time is the time of this configuration alone."""
        return self.source == "accuracy"

    def mark(self):
        return MARKS.get(self.source, "") + ("*" if not self.run.get("settings_recorded", True) else "")

    @property
    def alone_ua(self):
        """Pooled UA with each test utterance predicted alone by the same fold models; None for a run
        stored before accuracy.py measured it, and for a member of a ``refit_members.py`` run."""
        if self.source in ("refitted", "early-stopped"):
            return None
        return (self.run.get("alone") or {}).get("ua")

    @property
    def per_class_recall(self):
        """{class: recall} of the batch predictions; None for a run stored before accuracy.py kept it."""
        if self.source in ("refitted", "early-stopped"):
            return None
        return self.run.get("per_class_recall")


def measures(runs):
    """The accuracy figures of the runs that are not superseded, on any corpus."""
    out = []
    for run in runs:
        if run.get("superseded"):
            continue
        settings = dict(run["settings"])
        if run["kind"] == "accuracy":
            source = run.get("member") or "accuracy"
            if source in ("refitted", "early-stopped"):
                settings["refit"] = source == "refitted"
            ua, wa, fold_ua = run["ua"], run["wa"], run["fold_ua"]
        elif run["kind"] == "speaker-adaptation":
            source = "speaker-adaptation"
            ua, wa, fold_ua = run["batch"]["ua"], run["batch"]["wa"], run["batch"]["fold_ua"]
        else:
            continue
        out.append(Measure(run, source, settings, ua, wa, dict(zip(run["fold_speakers"], fold_ua))))
    return out


@dataclass
class Group:
    """The runs of one system, corpus, cv and configuration (seeds together)."""
    system: str
    corpus: str
    cv: str
    configuration: dict
    members: list = field(default_factory=list)

    @property
    def current(self):
        return self.system in SYSTEMS and self.configuration == _configuration(current_settings(self.system))

    @property
    def label(self):
        return settings_label(self.system, self.members[0].settings)

    @property
    def n_differences(self):
        now = _configuration(current_settings(self.system) or {})
        return sum(now.get(k) != self.configuration.get(k) for k in now.keys() | self.configuration.keys())

    def speaker_means(self):
        """Test speaker -> UA averaged over the runs; None if the runs tested different speakers."""
        speakers = {frozenset(m.folds) for m in self.members}
        if len(speakers) != 1:
            return None
        return {s: float(np.mean([m.folds[s] for m in self.members])) for s in sorted(next(iter(speakers)))}

    def mean_of(self, get, only_timed=False):
        values = [get(m) for m in self.members if (m.timed or not only_timed)]
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None


def group_measures(items):
    """Groups of ``items`` (Measures), sorted by registry order, cv, label; members by seed."""
    groups = {}
    for m in items:
        key = (m.run["system"], m.run["corpus"], m.run["cv"], json.dumps(_configuration(m.settings), sort_keys=True))
        if key not in groups:
            groups[key] = Group(m.run["system"], m.run["corpus"], m.run["cv"], _configuration(m.settings))
        groups[key].members.append(m)
    order = list(SYSTEMS)
    for g in groups.values():
        g.members.sort(key=lambda m: (m.seed if isinstance(m.seed, (int, float)) else -1,
                                      list(MARKS).index(m.source) + 1 if m.source in MARKS else 0, m.run["id"]))
    return sorted(groups.values(), key=lambda g: (order.index(g.system) if g.system in order else len(order),
                                                  g.system, g.corpus, g.cv != LOSO, g.cv, not g.current, g.label))


def nearest_group(groups):
    """The group to show for a system not measured at its current settings: on all folds if any,
    with the fewest differing settings, the most runs."""
    return min(groups, key=lambda g: (g.cv != LOSO, g.n_differences, -len(g.members), g.label))


def find_group(groups, system, cv=LOSO, corpus=CORPUS):
    """The group of ``system`` at its current settings with this cv (None if not measured)."""
    return next((g for g in groups if g.system == system and g.cv == cv and g.corpus == corpus and g.current), None)


# ---- the paired test


@dataclass
class Test:
    verdict: str  # "better", "level", "worse"
    pvalue: float
    n: int
    mean_difference: float

    def __str__(self):
        return f"{self.verdict}, p = {self.pvalue:.3f}"


def paired_test(own, reference):
    """Wilcoxon signed-rank test of per-fold UA ``own`` against ``reference`` (dicts test speaker ->
    UA): a Test, or the reason there is none (a string)."""
    if own is None or reference is None:
        return "runs on different test speakers"
    if set(own) != set(reference):
        return "not paired: other test speakers"
    speakers = sorted(own)
    if len(speakers) < MIN_FOLDS:
        return f"{len(speakers)} fold{'s' if len(speakers) > 1 else ''}: no test"
    a, b = np.array([own[s] for s in speakers]), np.array([reference[s] for s in speakers])
    diff = float(np.mean(a - b))
    if not np.any(a - b):
        return Test("level", 1.0, len(speakers), 0.0)
    p = float(wilcoxon(a, b).pvalue)
    verdict = "level" if p >= ALPHA else ("better" if diff > 0 else "worse")
    return Test(verdict, p, len(speakers), diff)


def reference_folds(system, corpus, cv, root=None):
    """(test speaker -> UA averaged over the stored runs of ``system`` at its current settings with
    this cv, a description), or (None, why not): the reference accuracy.py tests against."""
    group = find_group(group_measures(measures(load_runs(corpus, root=root))), system, cv, corpus)
    if group is None:
        return None, f"no stored run of {system} at its current settings with --cv {cv}"
    means = group.speaker_means()
    if means is None:
        return None, f"the stored runs of {system} tested different speakers"
    return means, f"{len(group.members)} stored run{'s' if len(group.members) > 1 else ''}"


# ---- formatting


def f3(x):
    return "" if x is None else f"{x:.3f}"


def duration(seconds):
    if seconds is None:
        return ""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def ms(x):
    if x is None:
        return ""
    return "< 0.1 ms" if x < 0.05 else f"{x:.1f} ms"


def fold_summary(folds):
    if not folds:
        return ""
    values = np.array(list(folds.values()))
    if len(values) == 1:
        return f"{values[0]:.3f} (1 fold)"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def pooled(group):
    uas = [m.ua for m in group.members]
    if len(uas) == 1:
        return f3(uas[0])
    return f"{np.mean(uas):.3f} ({min(uas):.3f}–{max(uas):.3f})"


def alone_cell(group):
    """The mean alone UA of the group's runs that measured it ("" if none did), and how many did
    when not all of them: never a figure for a run that did not measure it."""
    values = [m.alone_ua for m in group.members if m.alone_ua is not None]
    if not values:
        return ""
    mean = f"{np.mean(values):.3f}"
    return mean if len(values) == len(group.members) else f"{mean} ({len(values)} of {len(group.members)} runs)"


def runs_cell(group):
    if len(group.members) == 1:
        m = group.members[0]
        return f"1{_mark(m)}"
    parts = [f"{'s' + str(m.seed) if m.seed is not None else '?'}{_mark(m)}: {m.ua:.3f}" for m in group.members]
    return f"{len(parts)}: " + ", ".join(parts)


def _mark(m):
    mark = m.mark()
    return f" ({mark})" if mark else ""


def reproduce(m):
    """The command that reruns the run behind ``m`` with its settings on today's recipes."""
    run, system = m.run, m.run["system"]
    now = current_settings(system)
    if now is None:
        return run.get("command", "")
    differ = {k: v for k, v in sorted(run["settings"].items()) if now.get(k, object()) != v}
    if m.source in ("refitted", "early-stopped"):
        differ.pop("refit", None)  # refit_members.py fits refit="average" itself
        return command("refit_members.py", system, corpus=run["corpus"], overrides=differ, systems_flag="--system")
    script = "speaker_adaptation.py" if m.source == "speaker-adaptation" else "accuracy.py"
    added = differ.pop("add_corpus", None)  # a corpus the folds also trained on: an option, no recipe setting
    return command(script, system, corpus=run["corpus"], cv=run["cv"], overrides=differ,
                   extra=["--add-corpus", added] if added else [])


def training_speed(sp):
    if "train_gflops" not in sp:
        return ""
    rate = sp["train_gflops"]
    rate = f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"
    text = (f"{sp['train_gflop']:.3g} GFLOP x {sp['train_samples_per_second']:.0f}/s = {rate} GFLOP/s, "
            f"{sp['share_of_ceiling']:.0%} of {sp['matmul_ceiling_gflops']:.0f}")
    if "encoder" in sp:  # Latif et al.'s autoencoder, trained before the LSTM
        enc = sp["encoder"]
        text += (f"; its {enc['kind']}: {enc['train_gflop']:.3g} GFLOP x {enc['train_samples_per_second']:.0f} "
                 f"segments/s = {enc['train_gflops']:.0f} GFLOP/s")
    return text


def code(text):
    return f"`{text}`" if text else ""


def speed_of(m):
    return m.run.get("speed") or {}


def timing(m, key):
    return (m.run.get("timings") or {}).get(key)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---- the page


def test_cell(group, reference_group):
    if reference_group is None:
        return ""
    if group is reference_group:
        return "reference"
    result = paired_test(group.speaker_means(), reference_group.speaker_means())
    if isinstance(result, str):
        return result
    pooled_gain = np.mean([m.ua for m in group.members]) - np.mean([m.ua for m in reference_group.members])
    return f"{result}; pooled UA {pooled_gain:+.3f}"


def family_rows(groups, title, reference):
    """(main rows, reduced rows) of a family's tables."""
    systems = [s for s in SYSTEMS if family_of(s) == title]
    ref_loso = find_group(groups, reference) if reference else None
    mine = [g for g in groups if g.corpus == CORPUS and family_of(g.system) == title]
    rows, reduced, shown = [], [], set()

    def row(name, label, g, ref):
        return [name, label, runs_cell(g), pooled(g), alone_cell(g), f3(g.mean_of(lambda m: m.wa)),
                fold_summary(g.speaker_means()),
                duration(g.mean_of(lambda m: timing(m, "seconds"), only_timed=True)),
                f"{g.mean_of(lambda m: timing(m, 'epoch_seconds'), only_timed=True):.1f}"
                if g.mean_of(lambda m: timing(m, 'epoch_seconds'), only_timed=True) is not None else "",
                ms(g.mean_of(lambda m: timing(m, "predict_ms_per_utterance"), only_timed=True)),
                ms(g.mean_of(lambda m: speed_of(m).get("infer_ms"), only_timed=True)),
                test_cell(g, ref), code(reproduce(g.members[0]))]

    for system in systems:
        g = find_group(mine, system)
        if g is not None:
            rows.append(row(system, "current settings", g, ref_loso))
            continue
        others = [o for o in mine if o.system == system]
        if not others:
            rows.append([system, "not measured"] + [""] * 11)
            continue
        nearest = nearest_group(others)
        shown.add(id(nearest))
        where = "" if nearest.cv == LOSO else f" on the folds of `--cv {nearest.cv}` only"
        label = (f"not measured at its current settings; nearest: {nearest.label}{where}"
                 if not nearest.current else f"measured{where}")
        ref = ref_loso if nearest.cv == LOSO else None
        rows.append(row(system, label, nearest, ref))
    for g in mine:
        if g.cv == LOSO and not g.current and id(g) not in shown:
            rows.append(row(g.system, g.label, g, ref_loso))
    for g in mine:
        if g.cv != LOSO:
            own = g.speaker_means() or {}
            ref = ref_loso.speaker_means() if ref_loso else None
            on_ref = (", ".join(f"{s}: {ref[s]:.3f}" for s in own if s in ref) if ref else "")
            reduced.append([g.system, g.label, f"`{g.cv}`", runs_cell(g), pooled(g), alone_cell(g),
                            f3(g.mean_of(lambda m: m.wa)),
                            ", ".join(f"{s}: {ua:.3f}" for s, ua in own.items()),
                            f"{reference}: {on_ref}" if on_ref else "",
                            duration(g.mean_of(lambda m: timing(m, "seconds"), only_timed=True)),
                            code(reproduce(g.members[0]))])
    return rows, reduced


MAIN_HEADER = ["system", "settings", "runs", "pooled UA", "alone UA", "WA", "fold UA mean ± std", "LOSO time", "s/epoch",
               "predict/utt.", "net infer", "vs {ref} (Wilcoxon)", "command"]
REDUCED_HEADER = ["system", "settings", "cv", "runs", "pooled UA", "alone UA", "WA", "fold UA", "reference on these folds",
                  "time", "command"]


def family_section(groups, title, reference):
    rows, reduced = family_rows(groups, title, reference)
    if not rows and not reduced:
        return None
    header = [h.format(ref=reference) for h in MAIN_HEADER]
    parts = [f"## {title}", ""]
    if reference:
        parts.append(f"EmoDB, leave-one-speaker-out. Wilcoxon against `{reference}` at its current settings.")
        parts.append("")
    parts.append(table(header, rows))
    if reduced:
        parts += ["", f"Reduced protocols (only the folds testing the speakers named; "
                      f"the reference column gives `{reference}`'s LOSO fold UA on the same speakers):", "",
                  table(REDUCED_HEADER, reduced)]
    return "\n".join(parts)


def per_class_section(groups):
    """Per-class recall (batch predictions) of each EmoDB LOSO configuration whose runs stored it."""
    shown = [(g, recalls) for g in groups if g.corpus == CORPUS and g.cv == LOSO
             if (recalls := [m.per_class_recall for m in g.members if m.per_class_recall])]
    if not shown:
        return None
    classes = sorted({c for _, recalls in shown for r in recalls for c in r})
    rows = []
    for g, recalls in shown:
        cells = [f3(np.mean([r[c] for r in recalls if c in r])) if any(c in r for r in recalls) else ""
                 for c in classes]
        rows.append([g.system, g.label, f"{len(recalls)} of {len(g.members)}", *cells])
    return "\n".join([
        "## Per-class recall", "",
        "EmoDB, leave-one-speaker-out: the recall of each class over all test utterances (batch predictions), "
        "the mean over the runs that stored it (runs stored before `accuracy.py` kept it have none, and "
        "are not counted). UA is the mean of a row.", "",
        table(["system", "settings", "runs with recall", *classes], rows)])


def speaker_adaptation_section(runs):
    items = [r for r in runs if r["kind"] == "speaker-adaptation" and r["corpus"] == CORPUS and not r.get("superseded")]
    if not items:
        return None
    items.sort(key=lambda r: (list(SYSTEMS).index(r["system"]) if r["system"] in SYSTEMS else len(SYSTEMS),
                              r["cv"] != LOSO, r["cv"], r["id"]))
    rows = []
    for r in items:
        m = Measure(r, "speaker-adaptation", r["settings"], r["batch"]["ua"], r["batch"]["wa"], {})
        recorded = "" if r.get("settings_recorded", True) else "*"
        rows.append([r["system"], settings_label(r["system"], r["settings"]) + recorded,
                     f"`{r['cv']}`", *(f"{r[mode]['ua']:.3f}" for mode in ("batch", "enrolled", "alone")),
                     *(f"{r[mode]['wa']:.3f}" for mode in ("batch", "enrolled", "alone")),
                     duration(timing(m, "seconds")), code(reproduce(m))])
    header = ["system", "settings", "cv", "batch UA", "enrolled UA", "alone UA", "batch WA", "enrolled WA",
              "alone WA", "time", "command"]
    return "\n".join([
        "## Speaker adaptation", "",
        "EmoDB, one fit per fold for the three modes: *batch* predicts each test speaker's utterances "
        "together (the usual figure), *enrolled* predicts each utterance alone after enrolling the speaker "
        "on the other half of its utterances, *alone* predicts each utterance alone from a speaker never "
        "enrolled (the population fallback). One row per run.", "",
        table(header, rows)])


CROSS_CORPUS_PROTOCOL = ("normalisation", "limit")  # settings of a cross-corpus run that are not the recipe's


def cross_corpus_section(runs):
    """Train on one corpus, test on another (``cross_corpus.py``): the latest full run per system,
    recipe settings and normalisation, a row per direction; ``--limit`` smoke checks left out."""
    items = [r for r in runs if r["kind"] == "cross-corpus" and not r.get("superseded")
             and not (r.get("settings") or {}).get("limit")]
    if not items:
        return None
    latest = {}
    for r in sorted(items, key=lambda r: (r.get("date") or "", r["id"])):
        latest[(r["system"], cross_corpus_label(r), r["normalisation"])] = r
    order = list(SYSTEMS)
    keys = sorted(latest, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[0], k[1],
                                         k[2] != "none", k[2]))
    classes = sorted({c for r in latest.values() for d in r["directions"].values() for c in d["per_class_recall"]})
    rows = []
    for key in keys:
        r = latest[key]
        for direction, d in sorted(r["directions"].items()):
            recall = d["per_class_recall"]
            rows.append([r["system"], key[1], r["normalisation"], direction.replace("->", " → "), f3(d["ua"]),
                         f3(d["wa"]), *(f3(recall.get(c)) for c in classes), f"{d['n_train']} / {d['n_test']}",
                         code(r["command"])])
    return "\n".join([
        "## Across corpora", "",
        "Trained on all of one corpus, tested on all of the other, over the classes both have "
        "(`python benchmarks/cross_corpus.py`, see [cross-corpus.md](cross-corpus.md)). *domain*: the "
        "system's `domain_norm` on, each corpus z-scored with the statistics of its own unlabelled audio "
        "(a `-spknorm` system keeps its speakers' statistics first). Recall per class; the latest run per "
        "system, settings and normalisation.", "",
        table(["system", "settings", "normalisation", "train → test", "UA", "WA", *classes, "utterances train / test",
               "command"], rows)])


def cross_corpus_label(run):
    """The recipe settings of a cross-corpus run that differ from its system's current ones."""
    recipe = {k: v for k, v in run["settings"].items() if k not in CROSS_CORPUS_PROTOCOL}
    return settings_label(run["system"], recipe)


def features_section(runs):
    items = [r for r in runs if r["kind"] == "features" and r["corpus"] == CORPUS and not r.get("superseded")]
    full = [r for r in items if not (r.get("settings") or {}).get("limit")] or items
    if not full:
        return None
    run = max(full, key=lambda r: (r.get("date") or "", r["id"]))
    rows = []
    for row in run["rows"]:
        floor = "floor_seconds" in row
        rows.append([row["name"], f"{row['x_real_time']:.0f}", f"{row['peak_mb']:.0f}",
                     f"{row['floor_x_real_time']:.0f}" if floor else "", f"{row['vs_floor']:.2f}x" if floor else "",
                     f"{row['vs_floor_discard']:.2f}x" if floor else ""])
    machine = run.get("machine") or {}
    about = (f"All of EmoDB ({run['n_utterances']} utterances, {run['audio_seconds']:.0f} s of audio), one "
             f"process, {machine.get('threads', 1)} thread, audio decoded beforehand "
             f"(decode at 16 kHz {run['timings']['decode_seconds_16k']:.2f} s, decode and resample to 22.05 kHz "
             f"{run['timings']['decode_resample_seconds_22k']:.2f} s); a machine of {machine.get('cpu_count')} CPUs"
             + (f" ({machine['processor']})" if machine.get("processor") else "")
             + f". `{run['command']}`, run `{run['id']}`"
             + (f", the latest of {len(full)} such runs" if len(full) > 1 else "") + ".")
    return "\n".join([
        "## Feature extraction speed", "", about, "",
        table(["representation", "x real time", "peak MB", "floor x real time", "vs floor",
               "vs floor (spectra discarded)"], rows), "",
        "The floor is a bare `numpy.fft.rfft` over the same frames in the same run, keeping its spectra as an "
        "extractor keeps its output; the last column compares with the same FFT throwing each spectrum away "
        "at once."] + [f"\n{row['name']}: {row['vs_compare']:.1f}x the speed of openSMILE ComParE_2016 in the same run."
                       for row in run["rows"] if "vs_compare" in row])


def novelty_section(runs):
    items = [r for r in runs if r["kind"] == "novelty" and r["corpus"] == CORPUS]
    if not items:
        return None
    run = max(items, key=lambda r: (r.get("date") or "", r["id"]))
    flagged = sum(f["flagged"] for f in run["folds"])
    total = sum(f["n"] for f in run["folds"])
    folds = ", ".join(f"{f['speaker']}: {f['flagged']}/{f['n']}" for f in run["folds"] if f["flagged"])
    other = run["other"]
    rows = [[g["input"], f"{g['min_score']:.2f}", f"{g['flagged_in_folds']}/{len(run['folds'])}"] for g in run["garbage"]]
    return "\n".join([
        "## Novelty check", "",
        f"EmoDB leave-one-speaker-out: each fold's `NoveltyCheck`, fitted on the training speakers, flagged "
        f"{flagged} of the {total} held-out utterances ({folds or 'none'}) and {other['flagged']} of "
        f"{other['n']} {other['corpus'].upper()} utterances in any fold (largest score {other['max_score']:.2f}; "
        f"above 1 is flagged). Garbage, scored by every fold's check (the lowest score over the folds):", "",
        table(["input", "lowest score", "flagged in folds"], rows), "",
        f"`{run['command']}`, run `{run['id']}`."])


DIMENSION_LETTERS = (("arousal", "A"), ("dominance", "P"), ("valence", "V"))


def dimensional_section(runs):
    items = [r for r in runs if r["kind"].startswith("dimensional") and r["corpus"] == CORPUS and r.get("cv") == LOSO]
    if not items:
        return None
    parts = [
        "## Dimensional tasks", "",
        "Arousal (A), power/dominance (P) and valence (V) ratings binned into classes, leave-one-speaker-out: "
        "low (< 3) / mid (= 3) / high (> 3) with a model per dimension as Latif et al.'s Table 2 (macro F1), and "
        "five levels with one two-headed model as Wieser et al.'s Table 5 (UAR and WAR per head). EmoDB has "
        "no ratings: its targets are the *proxy* of `sklearn_ser.datasets.CATEGORY_RATINGS_PROXY`, a coarsening "
        "of the seven categories, not rated dimensions, and not the papers' tasks. The latest run per system "
        "and settings."]
    for kind in sorted({r["kind"] for r in items}):
        latest = {}
        for r in sorted((r for r in items if r["kind"] == kind), key=lambda r: (r.get("date") or "", r["id"])):
            label = settings_label(r["system"], r["settings"])
            if kind.endswith("-joint") and not r.get("joint", True):
                label += " (a model per dimension: its classifier takes no 2-D y)"
            latest[(r["system"], label)] = r
        shown = [(d, letter) for d, letter in DIMENSION_LETTERS
                 if any(d in r["dimensions"] for r in latest.values())]
        header = ["system", "settings", "targets", *(f"{letter} F1 / UAR / WAR" for _, letter in shown), "mean F1",
                  "time", "command"]
        rows = []
        for (system, label), r in latest.items():
            dims = r["dimensions"]
            cells = [f"{f3(dims[d]['f1'])} / {f3(dims[d]['ua'])} / {f3(dims[d]['wa'])}" if d in dims else ""
                     for d, _ in shown]
            mean = f3(r["mean_f1"]) if len(dims) > 1 else ""  # a mean of one dimension is no mean
            rows.append([system, label, r["targets"], *cells, mean, duration(r["timings"]["seconds"]),
                         code(r["command"])])
        levels = "five levels, one model for all dimensions" if kind.endswith("-five-joint") else (
            "five levels" if "-five" in kind else "low / mid / high") + (
            ", one model for all dimensions" if kind.endswith("-joint") and "-five" not in kind else "")
        parts += ["", f"{levels}:", "", table(header, rows)]
        pairs = dimension_pairs(list(latest.values()), [d for d, _ in shown])
        if pairs:
            parts += ["", "Each pair of those systems, fold by fold (the row's fold UAR minus the other's per "
                          "dimension; Wilcoxon p; bold where p < 0.05):", "", pairs]
    return "\n".join(parts)


def dimension_pairs(runs, dimensions):
    """A table of paired Wilcoxon tests on per-fold UAR, per dimension, for every pair of ``runs``."""
    def folds(run, d):
        dim = run["dimensions"].get(d)
        return None if dim is None else dict(zip(dim["fold_speakers"], dim["fold_ua"]))

    rows = []
    for i, a in enumerate(runs):
        for b in runs[i + 1:]:
            cells = []
            for d in dimensions:
                test = paired_test(folds(a, d), folds(b, d))
                bold = "**" if isinstance(test, Test) and test.verdict != "level" else ""
                cells.append(test if isinstance(test, str) else
                             f"{bold}{test.mean_difference:+.3f}{bold} ({test.pvalue:.3f})")
            rows.append([f"{a['system']} − {b['system']}", *cells])
    return table(["pair", *(f"{d} UAR" for d in dimensions)], rows) if rows else None


def long_inputs_section(runs):
    items = [r for r in runs if r["kind"] == "long-inputs"]
    if not items:
        return None
    latest = {}
    for r in sorted(items, key=lambda r: (r.get("date") or "", r["id"])):
        latest[r["system"]] = r
    rows = []
    for system, r in latest.items():
        for row in r["rows"]:
            rows.append([system, f"{row['minutes']:g}", f"{row['peak_rss_mb']:.0f}",
                         f"{r['model_loaded_peak_rss_mb']:.0f}", f"{row['predict_seconds']:.1f}"])
    commands = "; ".join(f"`{r['command']}`" for r in latest.values())
    return "\n".join([
        "## Long inputs", "",
        "One 16 kHz file of each length predicted by a model of the system (trained on the synthetic "
        "corpus), each in a fresh process: its peak resident memory beside a process that only loaded "
        "the model, and the prediction time.", "",
        table(["system", "minutes", "peak RSS MB", "model loaded, MB", "predict s"], rows), "", commands])


def scaling_section(runs):
    """Time and peak memory of an evaluation against corpus size and workers (``scaling.py``): per
    system, size and number of workers, the latest run's row, and the speed-up of 2 workers over 1."""
    latest = {}
    for r in sorted((r for r in runs if r["kind"] == "scaling"), key=lambda r: (r.get("date") or "", r["id"])):
        for row in r["rows"]:
            latest[r["system"], row["utterances"], row["workers"]] = (row, r["command"])
    if not latest:
        return None
    rows = []
    for (system, n, workers), (row, _) in sorted(latest.items()):
        one = latest.get((system, n, 1))
        speedup = f"{one[0]['seconds'] / row['seconds']:.2f}" if one and workers > 1 else ""
        rows.append([system, n, workers, f"{row['seconds']:.0f}", f"{row['extraction_seconds']:.0f}",
                     f"{row['seconds'] - row['extraction_seconds']:.0f}", speedup, row["peak_rss_mb"],
                     row["peak_process_mb"], row.get("peak_process_anon_mb", "")])
    commands = "; ".join(f"`{c}`" for c in sorted({c for _, c in latest.values()}))
    return "\n".join([
        "## Scaling", "",
        "An evaluation (5 speaker folds) of synthetic corpora of one-second WAV files on a Dask LocalCluster of "
        "1 or 2 worker processes of one thread, each with a fresh feature cache: wall time (features: filling "
        "the cache; folds: the rest), the speed-up of 2 workers over 1, and the peak resident memory of all "
        "processes together (the evaluating process, a new one per row since `process_per_row`, and its "
        "workers), of the largest one, and the largest one's "
        "anonymous memory (RSS less the pages mapped from files, such as the memory-mapped features a fold "
        "trains on, which the kernel drops and reads back when it needs room; blank: not recorded) "
        "([scaling.md](scaling.md)).", "",
        table(["system", "utterances", "workers", "seconds", "features s", "folds s", "speed-up", "peak RSS MB",
               "largest process MB", "its anonymous MB"], rows), "", commands])


def seed_pairs(group, other):
    """Fold UA pairs of the runs of ``group`` and ``other`` with the same seed and source (the same
    script, or the same member of a ``refit_members.py`` run), matched by test speaker, by source:
    {source: (seeds, group's fold UAs, other's fold UAs)}."""
    def by_seed(g):
        out = {}
        for m in g.members:
            out.setdefault((m.source, m.seed), []).append(m)
        return {k: v[0] for k, v in out.items() if len(v) == 1}  # two runs of one seed: no pairing

    mine, theirs = by_seed(group), by_seed(other)
    pairs = {}
    for source, seed in sorted(mine.keys() & theirs.keys(), key=lambda k: (k[0], str(k[1]))):
        a, b = mine[source, seed].folds, theirs[source, seed].folds
        if set(a) != set(b):
            continue
        seeds, ua_a, ua_b = pairs.setdefault(source, ([], [], []))
        seeds.append(seed)
        ua_a += [a[s] for s in sorted(a)]
        ua_b += [b[s] for s in sorted(a)]
    return pairs


def seed_pairs_section(groups):
    rows = []
    for g in groups:
        if g.corpus != CORPUS or g.cv != LOSO or g.current:
            continue
        current = find_group(groups, g.system)
        if current is None:
            continue
        for source, (seeds, now, then) in seed_pairs(current, g).items():
            test = paired_test(dict(enumerate(now)), dict(enumerate(then)))
            means = [np.mean([m.ua for m in grp.members if m.source == source and m.seed in seeds])
                     for grp in (current, g)]
            rows.append([g.system, g.label, "accuracy.py" if source == "accuracy" else f"({MARKS[source]})",
                         ", ".join(map(str, seeds)), f"{means[0]:.3f}", f"{means[1]:.3f}",
                         f"{np.mean(np.subtract(now, then)):+.3f}", len(now), str(test)])
    if not rows:
        return None
    return "\n".join([
        "## Paired seeds", "",
        "Each variant on EmoDB LOSO against its system at current settings, run for run: the runs of one seed and "
        "one source (the same script, or the same net of `refit_members.py` runs) paired, their folds matched "
        "by test speaker, the Wilcoxon test over all those fold pairs (as `benchmarks/compare_runs.py` does).", "",
        table(["system", "variant", "source", "seeds", "current: pooled UA", "variant: pooled UA",
               "current − variant (fold UA)", "fold pairs", "Wilcoxon"], rows)])


def pairwise_section(groups):
    systems = [s for s in SYSTEMS if (g := find_group(groups, s)) is not None and g.speaker_means() is not None]
    if len(systems) < 2:
        return None
    means = {s: find_group(groups, s).speaker_means() for s in systems}
    rows = []
    for i, a in enumerate(systems[1:], 1):
        cells = []
        for b in systems[:i]:
            test = paired_test(means[a], means[b])
            cells.append(test if isinstance(test, str) else
                         f"{'**' if test.verdict != 'level' else ''}{test.mean_difference:+.3f}"
                         f"{'**' if test.verdict != 'level' else ''} ({test.pvalue:.3f})")
        rows.append([a, *cells, *([""] * (len(systems) - 1 - i))])
    return "\n".join([
        "## Systems against each other", "",
        "EmoDB LOSO, each registered system at its current settings (seeds averaged per test speaker): the row's "
        "mean fold UA minus the column's, and the Wilcoxon p-value; bold where p < 0.05.", "",
        table(["", *systems[:-1]], rows)])


def every_run_section(groups):
    rows = []
    for g in groups:
        if g.corpus != CORPUS:
            continue
        reference = next((ref for title, _, ref in FAMILIES if title == family_of(g.system)), None)
        ref = find_group(groups, reference, g.cv) if reference else None
        ref_means = ref.speaker_means() if ref is not None else None
        for m in g.members:
            sp = speed_of(m)
            test = "" if ref is None or ref is g else str(paired_test(m.folds, ref_means))
            rows.append([f"`{m.run['id']}`", g.system, g.label, f"`{g.cv}`",
                         "" if m.seed is None else str(m.seed), MARKS.get(m.source, "")
                         + ("*" if not m.run.get("settings_recorded", True) else ""),
                         f3(m.ua), f3(m.alone_ua), f3(m.wa), fold_summary(m.folds), duration(timing(m, "seconds")),
                         "" if timing(m, "epoch_seconds") is None else f"{timing(m, 'epoch_seconds'):.1f}",
                         ms(timing(m, "predict_ms_per_utterance")), ms(sp.get("infer_ms")),
                         training_speed(sp), 
                         f"{reference}: {test}" if test else ""])
    return "\n".join([
        "## Every run", "",
        "Each run on EmoDB that is not superseded, under its file in `benchmarks/results/emodb/`. Time is the "
        "whole run's (for a member, that of the `refit_members.py` run it belongs to; for a speaker-adaptation "
        "run, with the enrolled and alone predictions). Training speed (`netspeed.py`): GFLOP per training "
        "sample (direct-convolution equivalent; LSTM kernels not counted) x samples per second = GFLOP/s, and "
        "its share of the matmul ceiling measured in the same run.", "",
        table(["run", "system", "settings", "cv", "seed", "", "pooled UA", "alone UA", "WA", "fold UA mean ± std", "time",
               "s/epoch", "predict/utt.", "net infer", "training speed", "vs reference (Wilcoxon)"], rows)])


LEGEND = """\
Pooled UA is the unweighted accuracy over all test utterances of the folds; where several runs share
a configuration (seeds) it is their mean with the range, never the best seed, and "runs" lists them
(`s3: 0.560` is seed 3's pooled UA). Fold UA mean ± std is over the test speakers, each speaker's UA
averaged over the runs. The Wilcoxon signed-rank test (two-sided) pairs those per-speaker UAs with
the reference's: better or worse at p < 0.05, level otherwise. Alone UA is the pooled UA when each
test utterance is predicted in a call of its own by the same fold models (what an application that
receives one file gets; a `-spknorm` system then uses its population fallback), the mean over the
runs that measured it; blank where no run did (stored before `accuracy.py` measured it). Marks:
(r) the refitted net of a `refit="average"` run (`refit_members.py`) alone, counted as
`refit=True`; (e) its early-stopped net alone, counted as `refit=False`; (s) the batch mode of a
`speaker_adaptation.py` run (its alone UA is that run's alone mode);
\\* settings not recorded by the run but taken from its key in the old shared results files (its
`legacy` block says how). LOSO time is wall-clock for the whole protocol, the mean over the runs
that timed the configuration alone; machines and thread counts differ between runs, see each run's
file. "predict/utt." is the whole pipeline's prediction time per test utterance inside `evaluate`;
"net infer" one sample (a volume, segment or clip) through the net alone (`netspeed.py`). A
command reruns a row's first run on today's recipes (`--set random_state=N` for the other seeds;
add `--threads` and `--n-jobs` to taste)."""


def build_page(runs):
    groups = group_measures(measures(runs))
    superseded = Counter(r["superseded"] for r in runs if r.get("superseded"))
    others = sorted({r["corpus"] for r in runs if r["kind"] != "cross-corpus"} - {CORPUS})
    parts = [
        "# Results",
        "",
        "<!-- Generated by `python benchmarks/report.py` from benchmarks/results/: do not edit by hand. -->",
        "Generated by `python benchmarks/report.py` from the runs stored in `benchmarks/results/`; do not edit "
        "it by hand (rerun the script; `--check` says whether this page is stale). EmoDB: 535 utterances, 10 "
        "speakers, 7 classes (chance UA 0.14); one language, ten actors, one studio. Some defaults were chosen "
        "on these same folds, which makes those systems' figures optimistic: "
        "[selection.md](selection.md) says which.",
        "",
        LEGEND,
    ]
    if superseded:
        parts += ["", f"{sum(superseded.values())} stored runs are superseded and left out of every table: "
                      + "; ".join(f"{n} {why}" for why, n in superseded.most_common()) + "."]
    if others:
        parts += ["", "Runs on other corpora, not tabulated here: " + ", ".join(
            f"{c} ({sum(r['corpus'] == c and r['kind'] != 'cross-corpus' for r in runs)})" for c in others) + "."]
    for title, _, reference in FAMILIES:
        section = family_section(groups, title, reference)
        if section:
            parts += ["", section]
    for section in (per_class_section(groups), seed_pairs_section(groups), pairwise_section(groups),
                    speaker_adaptation_section(runs), cross_corpus_section(runs),
                    features_section(runs), novelty_section(runs), dimensional_section(runs), long_inputs_section(runs),
                    scaling_section(runs), every_run_section(groups)):
        if section:
            parts += ["", section]
    return "\n".join(parts) + "\n"


def build_readme_block(runs):
    """One row per registered system: its EmoDB LOSO pooled UA at current settings and the command."""
    groups = [g for g in group_measures(measures(runs)) if g.corpus == CORPUS]
    rows = []
    for system in SYSTEMS:
        g = find_group(groups, system)
        note = ""
        if g is None:
            others = [o for o in groups if o.system == system]
            if not others:
                rows.append([system, "not measured", "", "", ""])
                continue
            g = nearest_group(others)
            where = "" if g.cv == LOSO else f"only on the folds of `--cv {g.cv}`"
            note = (f"*{where}*: " if g.current else
                    f"*not measured at its current settings*; with {g.label}{' ' + where if where else ''}: ")
        uas = [m.ua for m in g.members]
        figure, n = f"{np.mean(uas):.3f}", len(uas)
        rows.append([system, note + (f"**{figure}**" if not note else figure), alone_cell(g),
                     f"{n} ({min(uas):.3f}–{max(uas):.3f})" if n > 1 else "1", code(reproduce(g.members[0]))])
    return "\n".join([
        "EmoDB, leave-one-speaker-out, pooled UA at each registered system's current settings: the mean over "
        "its runs where several seeds ran (their range beside it), never the best seed; alone UA: each test "
        "utterance predicted alone (blank: not measured by its runs). Generated by "
        "`python benchmarks/report.py`; every run, variant and test in [docs/results.md](docs/results.md).",
        "",
        table(["system", "pooled UA", "alone UA", "runs", "command"], rows),
    ])


def with_block(readme, block):
    """``readme`` with the text between the markers replaced by ``block`` (None: no markers)."""
    if BEGIN not in readme and END not in readme:
        return None
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise SystemExit(f"README: expected one {BEGIN} before one {END}")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def outputs(runs, page=PAGE, readme=README):
    """{path: text it should hold}: the page, and the README if it has the markers."""
    out = {Path(page): build_page(runs)}
    readme = Path(readme)
    if readme.exists():
        text = with_block(readme.read_text(), build_readme_block(runs))
        if text is not None:
            out[readme] = text
    return out


def check(expected):
    """Paths whose content differs from ``expected`` (missing ones included)."""
    return [p for p, text in expected.items() if not p.exists() or p.read_text() != text]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a file is stale")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results root")
    parser.add_argument("--page", type=Path, default=PAGE)
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    expected = outputs(load_runs(root=args.results), args.page, args.readme)
    if args.check:
        stale = check(expected)
        for path in stale:
            old = path.read_text().splitlines() if path.exists() else []
            diff = list(difflib.unified_diff(old, expected[path].splitlines(), "stored", "generated", lineterm="", n=0))
            print(f"{_shown(path)} is stale: it differs from what `python benchmarks/report.py` writes "
                  f"({len(diff)} diff lines); first differences:\n" + "\n".join(diff[:12]), file=sys.stderr)
        if stale:
            raise SystemExit(1)
        print("up to date: " + ", ".join(_shown(p) for p in expected))
        return
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {_shown(path)}")


def _shown(path):
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()
