"""The ``sklearn-ser`` command: list systems, evaluate one on a corpus, train and save, predict files."""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ._version import __version__

DATA_ENV = "SKLEARN_SER_DATA"
# choices of a run, not of the model: on while the CLI trains, back to their defaults in the saved file
RUN_OPTIONS = ("progress", "n_jobs", "memory")


class UsageError(Exception):
    """A mistake on the command line: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line (the usage itself is one --help away)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _corpus_path(corpus, data):
    """The folder (or manifest) of ``corpus``, or None for the generated one; a usage error for an
    unknown corpus or a missing path."""
    from .datasets import READERS

    known = ["synthetic", "csv", *READERS]
    if corpus not in known:
        raise UsageError(f"unknown corpus {corpus!r}; available: {', '.join(known)}")
    if corpus == "synthetic" or data is not None:
        return data
    root = os.environ.get(DATA_ENV)
    if root is None:
        raise UsageError(f"--data PATH is required for corpus {corpus!r} (or set {DATA_ENV})")
    return Path(root) / corpus


def _load_data(corpus, data, seed):
    from .datasets import load_corpus, make_synthetic_corpus

    if corpus == "synthetic":
        return make_synthetic_corpus(random_state=seed)
    return load_corpus(corpus, data)


def _estimators_in(obj, seen=None):
    """Every scikit-learn estimator in ``obj``: itself, those in its parameters and those in its
    fitted attributes (a fusion's fitted members are clones, not parameters), through lists,
    tuples and dicts."""
    from sklearn.base import BaseEstimator

    seen = set() if seen is None else seen
    if isinstance(obj, BaseEstimator):
        children = vars(obj).values()
    elif isinstance(obj, (list, tuple)):
        children = obj
    elif isinstance(obj, dict):
        children = obj.values()
    else:
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, BaseEstimator):
        yield obj
    for child in children:
        yield from _estimators_in(child, seen)


_DEFAULT = object()


def _set_everywhere(model, name, value=_DEFAULT):
    """Set parameter ``name`` on every estimator in ``model`` that takes it, to ``value`` or, by
    default, to that estimator's own default."""
    for estimator in _estimators_in(model):
        params = estimator.get_params(deep=False)
        new = _default(estimator, name) if value is _DEFAULT else value
        if name in params and params[name] != new:
            estimator.set_params(**{name: new})


def _default(estimator, name):
    parameter = inspect.signature(type(estimator)).parameters.get(name)
    return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def _reset_run_options(model):
    """Put the run's ``progress``, ``n_jobs`` and ``memory`` back to each estimator's default, so the
    code that loads the saved model gets neither progress bars, every core, nor the trainer's cache
    folder unasked."""
    for name in RUN_OPTIONS:
        _set_everywhere(model, name)


def _build(system, settings, n_jobs, progress, cache=None):
    """The model of ``system`` with the ``--set`` ``settings``: any estimator the recipe returns
    (a Pipeline, a fusion of Pipelines, ...)."""
    from .recipes import get_system, parse_settings

    try:
        model = get_system(system, **{"n_jobs": n_jobs, **parse_settings(settings)})
    except (TypeError, ValueError) as exc:  # unknown system, unknown or malformed setting
        raise UsageError(exc) from exc
    if progress:  # progress bars on every step that offers one
        _set_everywhere(model, "progress", True)
    if cache is not None:  # the feature steps only: a Pipeline's own memory caches fitted steps
        from .features.base import UtteranceTransformer

        for step in _estimators_in(model):
            if isinstance(step, UtteranceTransformer):
                step.set_params(memory=str(Path(cache).resolve()))  # a worker elsewhere has another cwd
    return model


def _prepare(args):
    """The model and the corpus of an evaluate or train run, every argument checked before the
    corpus is read."""
    data = _corpus_path(args.corpus, args.data)
    if getattr(args, "cv", None) is not None:
        from .model_selection.evaluate import make_cv

        try:
            make_cv(args.cv)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    model = _build(args.system, args.set, args.n_jobs, not args.quiet, getattr(args, "cache", None))
    corpus = _load_data(args.corpus, data, args.seed)
    return (model, corpus, *_target(corpus, args))


def _target(corpus, args):
    """The y of an evaluate or train run and what it is: the categories, or one dimension's
    low/mid/high classes from the corpus's ratings (from its categories only with --proxy-ratings)."""
    if args.target == "label":
        return corpus["label"].to_numpy(), "categories"
    from .datasets import low_mid_high, ratings_of

    try:
        ratings = ratings_of(corpus, proxy=args.proxy_ratings)
    except ValueError as exc:
        message = str(exc).replace("proxy=True", "--proxy-ratings")
        raise UsageError(f"{args.corpus}: {message}") from None
    name = f"{args.target} low/mid/high" + (" (a proxy from the categories, not ratings)"
                                            if ratings.attrs["proxy"] else "")
    return low_mid_high(ratings, args.target), name


def _write_atomically(path: Path, write):
    """Write through a temporary file in the same folder, so a failure leaves no half-written file."""
    _write_together({Path(path): write})


def _write_together(writers):
    """Write files that describe one run (the last one named is its record, e.g. report.json):
    all of them to temporary files in their folders first (a failure leaves nothing
    half-written), then the old record is removed before any file is replaced, so an interruption
    never leaves a new file beside an old record. Files get the user's umask (mkstemp's are 0600)."""
    temps = {}
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path, write in writers.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temps[path] = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
            os.close(fd)
            write(temps[path])
            os.chmod(temps[path], 0o666 & ~umask)
        record = list(writers)[-1]
        if len(writers) > 1 and record.exists():
            record.unlink()
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.remove(tmp)


def cmd_systems(args):
    from .recipes import SYSTEMS

    width = max(map(len, SYSTEMS))
    for name, system in SYSTEMS.items():
        print(f"{name:<{width}}  {system.description}")


def cmd_evaluate(args):
    from .model_selection import evaluate

    pipe, corpus, y, target = _prepare(args)
    print(f"{args.system} on {args.corpus}: {len(corpus)} utterances, "
          f"{corpus['speaker'].nunique()} speakers, {len(np.unique(y))} classes of {target}, cv={args.cv}")
    start = time.perf_counter()
    report = evaluate(pipe, corpus, y, cv=args.cv, n_jobs=args.n_jobs,
                      progress=not args.quiet, random_state=args.seed)
    seconds = time.perf_counter() - start
    report.info.update(system=args.system, corpus=args.corpus, target=target,
                       seconds=round(seconds, 1))
    print(report.summary())
    print(f"per class:\n{report.per_class.round(3).to_string()}")
    print(f"time: {seconds:.1f} s")
    out = Path(args.out or f"ser-report/{args.system}-{args.corpus}")
    title = f"{args.system} on {args.corpus}: UA {report.ua:.3f}, WA {report.wa:.3f}"
    _write_together({out / "confusion.png": lambda p: report.plot_confusion(p, title=title),
                     out / "report.json": report.to_json})
    print(f"wrote {out / 'report.json'} and {out / 'confusion.png'}")


def _save_model(model, path, fmt):
    """Write ``model`` to ``path`` in the safe format (default) or with joblib."""
    if fmt == "joblib":
        import joblib

        _write_atomically(Path(path), lambda p: joblib.dump(model, p))
        return
    from .persistence import save

    _write_atomically(Path(path), lambda p: save(model, p))


def cmd_train(args):
    from .model_selection.evaluate import speaker_fit_params

    model, corpus, y, target = _prepare(args)
    model.fit(corpus, y, **speaker_fit_params(model, corpus["speaker"].to_numpy()))
    _reset_run_options(model)
    _save_model(model, args.model, args.format)
    print(f"trained {args.system} on {len(corpus)} utterances of {args.corpus} "
          f"({target}); saved {args.model}")


def _predict_input(args):
    """The utterances ``predict`` hands the model: the files, as a DataFrame with ``audio`` and
    ``speaker`` columns when their speaker is known (steps that normalise per speaker read it)."""
    import pandas as pd

    from .datasets import read_manifest

    if args.manifest is not None:
        if args.files:
            raise UsageError("give audio files or --manifest, not both")
        return read_manifest(args.manifest, required=("speaker",))[["audio", "speaker"]]
    if not args.files:
        raise UsageError("no audio files to predict: give files or --manifest CSV")
    files = [str(f) for f in args.files]
    return files if args.speaker is None else pd.DataFrame({"audio": files, "speaker": args.speaker})


def _load_model(path, trust_pickle=False):
    """The model in ``path``: a sklearn-ser archive (no code from the file runs), or a joblib
    pickle only with ``--trust-pickle``."""
    from .exceptions import ModelFormatError
    from .persistence import is_model_archive, load

    if path.is_dir():
        raise UsageError(f"{path} is a directory, not a model file")
    if not path.is_file():
        raise UsageError(f"no model file {path}")
    if is_model_archive(path):
        try:
            return load(path)
        except ModelFormatError as exc:
            raise UsageError(str(exc)) from None
    if not trust_pickle:
        raise UsageError(f"{path} is not a sklearn-ser model archive; if it is a joblib/pickle file "
                         f"you trust, pass --trust-pickle (loading a pickle runs whatever code it holds)")
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling garbage fails in many ways (IndexError, UnpicklingError...)
        raise UsageError(f"{path} could not be loaded as a joblib/pickle file "
                         f"({type(exc).__name__}: {exc})") from None


def _enroll(model, args):
    """Enrol the speaker of ``--enroll`` files (``--speaker``) or the speakers of ``--enroll-manifest``."""
    import pandas as pd

    from .datasets import read_manifest
    from .features import enroll

    if args.enroll_manifest is not None:
        X = read_manifest(args.enroll_manifest, required=("speaker",))[["audio", "speaker"]]
    elif args.enroll:
        if args.speaker is None:
            raise UsageError("--enroll needs --speaker: the speaker whose files they are "
                             "(with a --manifest, enrol through --enroll-manifest)")
        X = pd.DataFrame({"audio": [str(f) for f in args.enroll], "speaker": args.speaker})
    else:
        return model
    try:
        return enroll(model, X)
    except ValueError as exc:  # a model without per-speaker steps, or speakers missing
        raise UsageError(str(exc)) from None


def cmd_enroll(args):
    if not args.enroll and args.enroll_manifest is None:
        raise UsageError("nothing to enrol: give --speaker S --enroll FILE ... or --enroll-manifest CSV")
    model = _enroll(_load_model(args.model, args.trust_pickle), args)
    _save_model(model, args.out, args.format)
    speakers = repr(args.speaker) if args.enroll else f"the speakers of {args.enroll_manifest}"
    print(f"enrolled {speakers} in {args.model}; saved {args.out}")


def cmd_predict(args):
    X = _predict_input(args)
    if (args.enroll or args.enroll_manifest is not None) and not hasattr(X, "columns"):
        raise UsageError("enrolment is used only for files whose speaker is known: give --speaker or a --manifest")
    model = _enroll(_load_model(args.model, args.trust_pickle), args)
    _set_everywhere(model, "on_outlier", args.on_outlier)
    files = [str(f) for f in (X["audio"] if hasattr(X, "columns") else X)]
    probabilities, flagged = _predict_flagging_outliers(model, X)
    outlier = [f in flagged for f in files]
    # a multi-output model (a head per target): a label and probabilities per target, in y's column order
    heads = isinstance(model.classes_, list)
    classes, probabilities = (model.classes_, probabilities) if heads else ([model.classes_], [probabilities])
    labels = [c[np.argmax(p, axis=1)] for c, p in zip(classes, probabilities)]
    if args.json:
        rows = []
        for i, (f, out) in enumerate(zip(files, outlier)):
            label = [str(lab[i]) for lab in labels]
            proba = [dict(zip(map(str, c), map(float, p[i]))) for c, p in zip(classes, probabilities)]
            rows.append({"file": f, "label": label if heads else label[0], "outlier": out,
                         "proba": proba if heads else proba[0]})
        print(json.dumps(rows, indent=2))
        return
    names = [f"{h}:{c}" if heads else str(c) for h, cs in enumerate(classes) for c in cs]
    print("file\tlabel\toutlier\t" + "\t".join(names))
    for i, (f, out) in enumerate(zip(files, outlier)):
        print(f"{f}\t{'/'.join(str(lab[i]) for lab in labels)}\t{'yes' if out else 'no'}\t"
              + "\t".join(f"{v:.3f}" for p in probabilities for v in p[i]))
    if flagged:
        print(f"{len(flagged)} file(s) far outside the training data (outlier = yes): their labels are not "
              "to be trusted", file=sys.stderr)


def _predict_flagging_outliers(model, X):
    """The class probabilities, and the names of the utterances the model's novelty checks flagged
    (their warnings are taken in, the others pass on)."""
    import warnings

    from .exceptions import OutlierWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        probabilities = model.predict_proba(X)
    flagged = set()
    for w in caught:
        if issubclass(w.category, OutlierWarning):
            flagged.update(w.message.utterances)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return probabilities, flagged


def build_parser():
    parser = _Parser(prog="sklearn-ser", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("systems", help="list the available systems").set_defaults(func=cmd_systems)

    def data_options(p):
        p.add_argument("system", help="a name from `sklearn-ser systems`")
        p.add_argument("--corpus", default="synthetic",
                       help="synthetic (default, generated), emodb, tess, ravdess, cremad, iemocap, csv")
        p.add_argument("--data", type=Path, help=f"corpus folder (or manifest for csv); default ${DATA_ENV}/<corpus>")
        p.add_argument("--n-jobs", type=int, default=-1,
                       help="parallel jobs (default: all cores, or all the cluster's worker threads)")
        p.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the parallel work on a Dask cluster (e.g. tcp://10.0.0.5:8786; "
                            "needs the dask extra): features per utterance, folds")
        p.add_argument("--cache", type=Path, metavar="DIR",
                       help="cache each utterance's features in DIR (on storage every Dask worker sees): "
                            "later runs and other systems with the same features read them from there, "
                            "and a fold trains on features in a memory-mapped file ($SKLEARN_SER_TMPDIR), "
                            "not in memory")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument("--target", default="label", choices=("label", "arousal", "valence", "dominance"),
                       help="what to classify: the categories (default), or one dimension's ratings "
                            "binned low (< 3) / mid (= 3) / high (> 3), e.g. IEMOCAP's")
        p.add_argument("--proxy-ratings", action="store_true",
                       help="with a dimension --target on a corpus without ratings: derive them from "
                            "its categories (a documented proxy, not a rated task)")
        # "extend": a repeated --set adds to the earlier ones
        p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                       help="recipe settings, e.g. C=10 max_epochs=5 'kernel=[2,2,32]' "
                            "(values read as JSON when they parse)")

    ev = sub.add_parser("evaluate", help="speaker-independent cross-validation with a UA/WA report")
    data_options(ev)
    ev.add_argument("--cv", default="loso",
                    help="loso (default), loso:S1,S2 (only the folds testing those speakers) or kfold:N (speaker folds)")
    ev.add_argument("--out", type=Path, help="report folder (default ser-report/<system>-<corpus>)")
    ev.set_defaults(func=cmd_evaluate)

    def format_option(p):
        p.add_argument("--format", choices=("safe", "joblib"), default="safe",
                       help="safe (default): an archive that runs no code when loaded; joblib: a pickle")

    def trust_option(p):
        p.add_argument("--trust-pickle", action="store_true",
                       help="load a joblib/pickle model file; only for files you trust, since loading "
                            "a pickle runs any code it holds")

    tr = sub.add_parser("train", help="fit a system on a whole corpus and save it")
    data_options(tr)
    tr.add_argument("--model", type=Path, required=True, help="output model file (e.g. ser.model)")
    format_option(tr)
    tr.set_defaults(func=cmd_train)

    def enrol_options(p):
        enrol = p.add_mutually_exclusive_group()
        enrol.add_argument("--enroll", nargs="+", type=Path, metavar="FILE",
                           help="unlabelled files of the --speaker to normalise with (10 or more as a rule)")
        enrol.add_argument("--enroll-manifest", type=Path, metavar="CSV",
                           help="CSV with columns audio and speaker: enrol each of its speakers")

    pr = sub.add_parser("predict", help="label and class probabilities of audio files")
    pr.add_argument("model", type=Path)
    pr.add_argument("files", nargs="*", type=Path)
    speakers = pr.add_mutually_exclusive_group()
    speakers.add_argument("--speaker", help="the speaker of all the files")
    speakers.add_argument("--manifest", type=Path,
                          help="CSV with columns audio (paths, relative to the CSV allowed) and speaker, "
                               "instead of files")
    pr.add_argument("--json", action="store_true", help="JSON instead of a table")
    pr.add_argument("--on-outlier", choices=("warn", "raise", "ignore"), default="warn",
                    help="files far outside the training data: flag them (default), refuse them, or neither")
    enrol_options(pr)
    trust_option(pr)
    pr.set_defaults(func=cmd_predict)

    en = sub.add_parser("enroll", help="store speakers' statistics in a saved model, for per-speaker "
                                       "normalisation of their utterances however few are predicted at once")
    en.add_argument("model", type=Path)
    en.add_argument("--speaker", help="the speaker of the --enroll files")
    en.add_argument("--out", type=Path, required=True, help="output model file (may be the model itself)")
    enrol_options(en)
    format_option(en)
    trust_option(en)
    en.set_defaults(func=cmd_enroll)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from ._dask import SchedulerError, dask_backend
    from .datasets import CorpusLayoutError
    from .exceptions import InvalidUtteranceError, OutlierUtteranceError

    try:
        with dask_backend(getattr(args, "scheduler", None)):
            args.func(args)
    except (UsageError, InvalidUtteranceError, CorpusLayoutError, OutlierUtteranceError, SchedulerError) as exc:
        print(f"sklearn-ser: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
