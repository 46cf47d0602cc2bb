"""The ``sklearn-ser`` command: list systems, evaluate one on a corpus, train and save, predict files."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA_ENV = "SKLEARN_SER_DATA"


def _load_data(corpus, data, seed):
    from .datasets import load_corpus, make_synthetic_corpus

    if corpus == "synthetic":
        return make_synthetic_corpus(random_state=seed)
    if data is None:
        root = os.environ.get(DATA_ENV)
        if root is None:
            raise SystemExit(f"--data PATH is required for corpus {corpus!r} (or set {DATA_ENV})")
        data = Path(root) / corpus
    return load_corpus(corpus, data)


def _build(system, n_jobs, progress):
    from .recipes import get_system

    pipe = get_system(system, n_jobs=n_jobs)
    if progress:  # progress bars on every step that offers one
        pipe.set_params(**{f"{name}__progress": True for name, step in pipe.steps
                           if "progress" in step.get_params(deep=False)})
    return pipe


def _write_atomically(path: Path, write):
    """Write through a temporary file in the same folder, so a failure leaves no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cmd_systems(args):
    from .recipes import SYSTEMS

    width = max(map(len, SYSTEMS))
    for name, system in SYSTEMS.items():
        print(f"{name:<{width}}  {system.description}")


def cmd_evaluate(args):
    from .model_selection import evaluate

    corpus = _load_data(args.corpus, args.data, args.seed)
    pipe = _build(args.system, args.n_jobs, not args.quiet)
    print(f"{args.system} on {args.corpus}: {len(corpus)} utterances, "
          f"{corpus['speaker'].nunique()} speakers, {corpus['label'].nunique()} classes, cv={args.cv}")
    start = time.perf_counter()
    report = evaluate(pipe, corpus, corpus["label"], cv=args.cv, n_jobs=args.n_jobs,
                      progress=not args.quiet, random_state=args.seed)
    seconds = time.perf_counter() - start
    report.info.update(system=args.system, corpus=args.corpus, seconds=round(seconds, 1))
    print(report.summary())
    print(f"per class:\n{report.per_class.round(3).to_string()}")
    print(f"time: {seconds:.1f} s")
    out = Path(args.out or f"ser-report/{args.system}-{args.corpus}")
    _write_atomically(out / "report.json", report.to_json)
    _write_atomically(out / "confusion.png", lambda p: report.plot_confusion(
        p, title=f"{args.system} on {args.corpus}: UA {report.ua:.3f}, WA {report.wa:.3f}"))
    print(f"wrote {out / 'report.json'} and {out / 'confusion.png'}")


def cmd_train(args):
    import joblib

    from .model_selection.evaluate import speaker_fit_params

    corpus = _load_data(args.corpus, args.data, args.seed)
    pipe = _build(args.system, args.n_jobs, not args.quiet)
    pipe.fit(corpus, corpus["label"], **speaker_fit_params(pipe, corpus["speaker"].to_numpy()))
    _write_atomically(Path(args.model), lambda p: joblib.dump(pipe, p))
    print(f"trained {args.system} on {len(corpus)} utterances of {args.corpus}; saved {args.model}")


def cmd_predict(args):
    import joblib

    pipe = joblib.load(args.model)
    files = [str(f) for f in args.files]
    probabilities = pipe.predict_proba(files)
    classes = pipe.classes_
    labels = classes[np.argmax(probabilities, axis=1)]
    if args.json:
        print(json.dumps([{"file": f, "label": str(lab), "proba": dict(zip(map(str, classes), map(float, p)))}
                          for f, lab, p in zip(files, labels, probabilities)], indent=2))
        return
    header = "file\tlabel\t" + "\t".join(map(str, classes))
    print(header)
    for f, lab, p in zip(files, labels, probabilities):
        print(f"{f}\t{lab}\t" + "\t".join(f"{v:.3f}" for v in p))


def build_parser():
    parser = argparse.ArgumentParser(prog="sklearn-ser", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("systems", help="list the available systems").set_defaults(func=cmd_systems)

    def data_options(p):
        p.add_argument("system", help="a name from `sklearn-ser systems`")
        p.add_argument("--corpus", default="synthetic",
                       help="synthetic (default, generated), emodb, tess, ravdess, cremad, iemocap, csv")
        p.add_argument("--data", type=Path, help=f"corpus folder (or manifest for csv); default ${DATA_ENV}/<corpus>")
        p.add_argument("--n-jobs", type=int, default=-1, help="parallel jobs (default: all cores)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--quiet", action="store_true", help="no progress bars")

    ev = sub.add_parser("evaluate", help="speaker-independent cross-validation with a UA/WA report")
    data_options(ev)
    ev.add_argument("--cv", default="loso",
                    help="loso (default), loso:S1,S2 (only the folds testing those speakers) or kfold:N (speaker folds)")
    ev.add_argument("--out", type=Path, help="report folder (default ser-report/<system>-<corpus>)")
    ev.set_defaults(func=cmd_evaluate)

    tr = sub.add_parser("train", help="fit a system on a whole corpus and save it with joblib")
    data_options(tr)
    tr.add_argument("--model", type=Path, required=True, help="output .joblib file")
    tr.set_defaults(func=cmd_train)

    pr = sub.add_parser("predict", help="label and class probabilities of audio files")
    pr.add_argument("model", type=Path)
    pr.add_argument("files", nargs="+", type=Path)
    pr.add_argument("--json", action="store_true", help="JSON instead of a table")
    pr.set_defaults(func=cmd_predict)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from .exceptions import InvalidUtteranceError
    from .datasets import CorpusLayoutError

    try:
        args.func(args)
    except (InvalidUtteranceError, CorpusLayoutError) as exc:
        print(f"sklearn-ser: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
