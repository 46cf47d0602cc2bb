"""One-off: split the shared results files (accuracy-emodb.json, accuracy-emodb-reduced.json,
speaker-adaptation-emodb.json, features.json) into one file per run under results/emodb/.

Run once from the repository root: python benchmarks/migrate_results.py

What a legacy entry did not record is taken from git: the commit that last changed the entry is
its date; a run that never recorded its settings gets those its key named at that commit (the
recipe registry of that commit, the key's overrides applied), marked ``settings_recorded: false``.
Recipe settings added since with a default that builds what the code built before (baseline's
``C=1.0``, Kim's ``frequency_warp=None``, the fusions' ``member_params=None``) are filled in and
listed in ``legacy.settings_added_since``. Runs of networks stored before the batch-shuffle and
loss-clamp fix (keys ending ``@unshuffled``, and net runs committed before 4979eea) are kept and
marked ``superseded``. ``@refitted`` / ``@early-stopped`` entries become runs with ``member``.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from _results import command, jsonable, write_run  # noqa: E402
from sklearn_ser.recipes import parse_settings, system_settings  # noqa: E402

FIX = "4979eea"
SUPERSEDED = "measured before the batch-shuffle and loss-clamp fix (commit 4979eea)"
# settings the recipes gained after some runs, with the default that builds what the code built before
NEUTRAL_SINCE = {"C": 1.0, "frequency_warp": None, "member_params": None}
EMODB_SPEAKERS = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
TIMINGS = ("seconds", "fit_seconds", "precompute_seconds", "predict_ms_per_utterance", "epoch_seconds",
           "peak_mb_python", "peak_rss_mb")
FILES = ("accuracy-emodb.json", "accuracy-emodb-reduced.json", "speaker-adaptation-emodb.json", "features.json")

INFER = r"""
import inspect, json, sys
from sklearn_ser import recipes
out = []
for system, overrides in json.loads(sys.stdin.read()):
    s = recipes.SYSTEMS[system]
    parameters = inspect.signature(s.factory).parameters
    defaults = {n: p.default for n, p in parameters.items() if p.default is not inspect.Parameter.empty}
    out.append(json.loads(json.dumps({**defaults, **dict(s.kwargs), **overrides}, default=repr)))
print(json.dumps(out))
"""


def git(*args):
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout


def storing_commits(name):
    """{key: (commit, date)}: the last commit that changed each entry of results/<name>."""
    path = f"benchmarks/results/{name}"
    stored, previous = {}, {}
    for line in git("log", "--reverse", "--format=%H %aI", "--", path).split("\n"):
        if not line:
            continue
        commit, date = line.split()
        try:
            data = json.loads(git("show", f"{commit}:{path}"))
        except subprocess.CalledProcessError:  # deleted in this commit
            data = {}
        if name == "features.json":
            data = {"features": data}
        for key, value in data.items():
            if previous.get(key) != value:
                stored[key] = (commit, date)
        previous = data
    return stored


def split_top(text):
    """Split at the commas outside brackets: 'a=[1,2],b=3' -> ['a=[1,2]', 'b=3']."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current] if current else parts


def parse_key(key, cv=None):
    """(system, overrides in the key's order, suffix) of a legacy key ``system[k=v,...]@suffix``;
    speaker_adaptation.py appended ``cv=<cv>`` to the overrides when the cv was not plain LOSO."""
    system, inner, suffix = re.fullmatch(r"([^\[@]+)(?:\[(.*)\])?(@[\w-]+)?", key).groups()
    inner = inner or ""
    if cv is not None:
        inner = re.sub(r",?cv=" + re.escape(cv) + "$", "", inner)
    return system, parse_settings(split_top(inner)), suffix


def settings_then(entries):
    """Settings each (system, overrides, commit) named at its commit, from that commit's recipes."""
    by_commit = {}
    for i, (system, overrides, commit) in enumerate(entries):
        by_commit.setdefault(commit, []).append((i, system, overrides))
    result = [None] * len(entries)
    with tempfile.TemporaryDirectory() as tmp:
        for commit, items in by_commit.items():
            src = Path(tmp) / commit
            src.mkdir()
            subprocess.run(f"git -C {REPO} archive {commit} sklearn_ser | tar -x -C {src}", shell=True, check=True)
            out = subprocess.run([sys.executable, "-c", INFER], input=json.dumps([(s, o) for _, s, o in items]),
                                 capture_output=True, text=True, check=True, cwd=src,
                                 env={**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}).stdout
            for (i, _, _), settings in zip(items, json.loads(out)):
                result[i] = settings
    return result


def complete(system, overrides, settings, notes):
    """Fill the settings the recipe gained since the run with their behaviour-preserving default."""
    today = jsonable(system_settings(system, **overrides))
    added = {k: today[k] for k in today.keys() - settings.keys()}
    for k, v in added.items():
        if k not in NEUTRAL_SINCE or NEUTRAL_SINCE[k] != v:
            raise SystemExit(f"{system}: setting {k}={v!r} added since the run; no known neutral default")
    if added:
        notes["settings_added_since"] = dict(sorted(added.items()))
    return {**settings, **added}


def reproducing_overrides(system, settings, drop=()):
    """The --set values that build ``settings`` from today's defaults of ``system``."""
    defaults = jsonable(system_settings(system))
    return {k: v for k, v in sorted(settings.items()) if k not in drop and defaults.get(k, object()) != v}


def is_before_fix(commit):
    return subprocess.run(["git", "-C", str(REPO), "merge-base", "--is-ancestor", FIX, commit]).returncode != 0


def main():
    results = HERE / "results"
    legacy = []
    for name in FILES[:3]:
        data = json.loads((results / name).read_text())
        stored = storing_commits(name)
        kind = "speaker-adaptation" if name.startswith("speaker") else "accuracy"
        for key, entry in data.items():
            system, overrides, suffix = parse_key(key, entry["cv"] if kind == "speaker-adaptation" else None)
            legacy.append(dict(name=name, key=key, entry=entry, kind=kind, system=system, overrides=overrides,
                               suffix=suffix, commit=stored[key][0], date=stored[key][1]))
    then = settings_then([(r["system"], r["overrides"], r["commit"]) for r in legacy])
    members = {r["key"].rpartition("@")[0] for r in legacy if r["suffix"] in ("@refitted", "@early-stopped")}
    # older runs take the plain names (an @unshuffled entry was renamed in the commit of its rerun)
    order = lambda pair: (pair[0]["date"], pair[0]["suffix"] != "@unshuffled", pair[0]["name"], pair[0]["key"])  # noqa: E731
    for r, inferred in sorted(zip(legacy, then), key=order):
        entry, system = r["entry"], r["system"]
        notes = {"file": r["name"], "key": r["key"], "stored_in_commit": r["commit"],
                 "date": "of the commit that stored the run (the run recorded none)"}
        recorded = "settings" in entry
        if recorded and entry["settings"] != inferred:
            raise SystemExit(f"{r['key']}: recorded settings differ from those its key named at {r['commit']}")
        settings = complete(system, r["overrides"], entry.get("settings", inferred), notes)
        member = r["suffix"][1:] if r["suffix"] in ("@refitted", "@early-stopped") else None
        net = not system.startswith("baseline")
        superseded = r["suffix"] == "@unshuffled" or (net and is_before_fix(r["commit"]))
        payload = dict(overrides=r["overrides"], settings_recorded=recorded, cv=entry["cv"], data="emodb",
                       n_utterances=entry.get("n_utterances"), date=r["date"], commit=None, dirty=None, machine=None)
        if member:
            payload["member"] = member
        if superseded:
            payload["superseded"] = SUPERSEDED
        speakers = entry.get("fold_speakers")
        folds = entry["batch"]["fold_ua"] if r["kind"] == "speaker-adaptation" else entry["fold_ua"]
        if speakers is None:
            if entry["cv"] != "loso" or len(folds) != len(EMODB_SPEAKERS):
                raise SystemExit(f"{r['key']}: no test speakers and not a 10-fold LOSO")
            speakers = EMODB_SPEAKERS
            notes["fold_speakers"] = ("not recorded; LeaveOneSpeakerOut (sklearn's LeaveOneGroupOut) tests the "
                                      "speakers in sorted order")
        payload["fold_speakers"] = speakers
        if r["kind"] == "speaker-adaptation":
            payload.update({mode: entry[mode] for mode in ("batch", "enrolled", "alone")})
            payload["timings"] = {"seconds": entry["seconds"]}
            script, flag, drop, cv = "speaker_adaptation.py", "--systems", (), entry["cv"]
        else:
            payload.update(ua=entry["ua"], wa=entry["wa"], fold_ua=entry["fold_ua"], fold_wa=entry["fold_wa"])
            payload["timings"] = {k: entry[k] for k in TIMINGS if k in entry}
            for k in ("epochs", "speed", "fold_fusion_weights"):
                if k in entry:
                    payload[k] = entry[k]
            if "vs_reference" in entry:
                notes["vs_reference"] = entry["vs_reference"]
            from_members = r["key"].rpartition("@")[0] in members or r["key"] in members
            script, flag, drop, cv = (("refit_members.py", "--system", ("refit",), None) if from_members
                                      else ("accuracy.py", "--systems", (), entry["cv"]))
        payload["command"] = command(script, system, cv=cv, systems_flag=flag,
                                     overrides=reproducing_overrides(system, settings, drop))
        notes["command"] = "reconstructed: the settings above on today's recipes"
        payload["legacy"] = notes
        path = write_run(r["kind"], "emodb", system, settings, payload, root=results)
        print(f"{r['name']}: {r['key']} -> {path.relative_to(REPO)}")

    features = json.loads((results / "features.json").read_text())
    commit, date = storing_commits("features.json")["features"]
    if Path(features["corpus"]).name != "emodb":
        raise SystemExit("features.json: not an EmoDB run")
    payload = dict(
        overrides={}, settings_recorded=False, cv=None, data="emodb", n_utterances=features["n_utterances"],
        audio_seconds=features["audio_seconds"], rows=features["rows"], date=date, commit=None, dirty=None,
        machine=dict(cpu_count=features["cpu_count"], machine=features["machine"],
                     processor=features["processor"], threads=features["threads"]),
        timings={k: features[k] for k in ("decode_seconds_16k", "decode_resample_seconds_22k")},
        command="python benchmarks/features.py",
        legacy={"file": "features.json", "stored_in_commit": commit,
                "date": "of the commit that stored the run (the run recorded none)",
                "notes": "all 535 utterances (no --limit); --repeat not recorded (default 3); the data "
                         "folder was recorded as an absolute path, stored here by name"},
    )
    path = write_run("features", "emodb", None, {"limit": None}, payload, root=results)
    print(f"features.json -> {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
