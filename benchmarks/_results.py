"""Where benchmark runs are stored: one immutable JSON file per run.

Layout: ``benchmarks/results/<corpus>/<name>--<hash>.json``, where ``<name>`` is the system for an
accuracy run and ``<kind>--<system>`` (or just ``<kind>`` when there is no system) for the other
kinds, and ``<hash>`` is the first 8 hex digits of the SHA-256 of what defines the measurement: the
kind, corpus, system, every recipe setting, the cv protocol and, for the member runs of
``refit_members.py``, which net predicted. Threads, machine and date are not part of it. A second
run with the same identity gets ``-2``, ``-3``, ... after the hash: a file is created with the
exclusive mode ``"x"``, so no run ever replaces another, however many run at once.

    write_run(kind, corpus, system, settings, payload, root=None) -> path of the new file
    load_runs(corpus=None, kind=None, root=None) -> the stored runs, sorted by file

Every run records, beside its figures: ``kind``, ``system``, ``overrides`` (as given), ``settings``
(all of them, defaults included), ``cv``, ``corpus``, ``command`` (the command line that reproduces
it), ``date``, ``commit`` (the code that ran it) and ``machine`` (cpu count, processor, threads), and
never an absolute path (one in the settings or payload is stored as its last component).
"""
import datetime
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SCHEMA = 1
# the payload fields that belong to a run's identity beside kind, corpus, system and settings
IDENTITY_FIELDS = ("cv", "member")


def jsonable(value):
    """``value`` as JSON stores it (tuples as lists, other objects by repr)."""
    return json.loads(json.dumps(value, default=repr))


def run_hash(kind, corpus, system, settings, payload):
    """8 hex digits of the SHA-256 of what a run measured."""
    identity = dict(kind=kind, corpus=corpus, system=system, settings=jsonable(settings),
                    **{field: payload.get(field) for field in IDENTITY_FIELDS})
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]


def file_stem(kind, system):
    if kind == "accuracy":
        return system
    return f"{kind}--{system}" if system else kind


def write_run(kind, corpus, system, settings, payload, root=None):
    """Store one run as a new file under ``root/<corpus>/`` (``root`` default: benchmarks/results)
    and return its path. Never replaces a file: an identical run gets the next free ``-N``."""
    settings, payload = strip_paths(jsonable(settings)), strip_paths(jsonable(payload))
    record = {"schema": SCHEMA, "kind": kind, "corpus": corpus, "system": system, "settings": settings}
    if record.keys() & payload.keys():
        raise ValueError(f"the payload may not set {sorted(record.keys() & payload.keys())}")
    record.update(payload)
    folder = Path(root or RESULTS) / corpus
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{file_stem(kind, system)}--{run_hash(kind, corpus, system, settings, payload)}"
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    for n in range(1, 10_000):
        path = folder / (f"{base}.json" if n == 1 else f"{base}-{n}.json")
        try:
            with open(path, "x") as f:  # exclusive: fails if another run took the name
                f.write(text)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"no free file name for {base} in {folder}")


def load_runs(corpus=None, kind=None, root=None):
    """The stored runs (dicts as written, plus ``id``: the file name without ``.json``, and
    ``file``: the path relative to ``root``), sorted by corpus and name, a name's first run before its
    ``-2``; only ``corpus`` and ``kind`` if given."""
    root = Path(root or RESULTS)
    runs = []
    for path in sorted(root.glob(f"{corpus or '*'}/*.json"), key=_order):
        run = json.loads(path.read_text())
        if kind is not None and run.get("kind") != kind:
            continue
        run["id"] = path.stem
        run["file"] = path.relative_to(root).as_posix()
        runs.append(run)
    return runs


def _order(path):
    base, _, n = path.stem.rpartition("-")
    if not (n.isdigit() and base.endswith(tuple("0123456789abcdef")) and "--" in base):
        base, n = path.stem, "1"
    return path.parent.name, base, int(n)


def strip_paths(value):
    """``value`` with every absolute path replaced by its last component (a checkpoint given as
    ``/home/me/alexnet.pth`` is stored as ``alexnet.pth``): a stored run names files, never a
    folder of the machine it ran on."""
    if isinstance(value, dict):
        return {k: strip_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_paths(v) for v in value]
    if isinstance(value, str) and (value.startswith("/") or value[1:3] in (":\\", ":/")):
        return Path(value).name or value
    return value


# ---- what a run records beside its figures


def set_arguments(overrides):
    """``--set`` arguments that give ``overrides`` back through ``parse_settings``."""
    items = []
    for key, value in overrides.items():
        if isinstance(value, str):
            try:
                json.loads(value)
                text = json.dumps(value)  # "true", "3": parse_settings would read them as JSON
            except json.JSONDecodeError:
                text = value
        else:
            text = json.dumps(value, separators=(",", ":"))
        items.append(f"{key}={text}")
    return items


def command(script, system=None, corpus="emodb", cv=None, overrides=None, systems_flag="--systems",
            extra=()):
    """The command line that runs ``script`` again for one system with these settings."""
    parts = ["python", f"benchmarks/{script}"]
    if system is not None:
        parts += [systems_flag, system]
    if corpus != "emodb":
        parts += ["--corpus", corpus]
    if cv is not None and cv != "loso":
        parts += ["--cv", cv]
    parts += list(extra)
    sets = set_arguments(strip_paths(jsonable(overrides or {})))
    if sets:
        parts += ["--set", *sets]
    return " ".join(shlex.quote(p) for p in parts)


def provenance(threads=None):
    """``date``, ``commit`` (with ``dirty`` when the working tree had uncommitted changes to
    tracked files) and ``machine`` of a run made now."""
    commit = dirty = None
    try:
        commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    if threads is None and "torch" in sys.modules:
        threads = sys.modules["torch"].get_num_threads()
    return dict(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        commit=commit, dirty=dirty,
        machine=dict(cpu_count=os.cpu_count(), machine=platform.machine(), processor=processor(),
                     threads=threads),
    )


def processor():
    """The CPU's model name (``platform.processor()`` is empty on many Linux systems)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()
