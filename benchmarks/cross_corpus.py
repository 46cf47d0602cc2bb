"""Cross-corpus figures: train on one corpus, test on another over the classes both have, in
both directions (EmoDB -> TESS and TESS -> EmoDB: angry, disgust, fear, happy, neutral, sad), with
and without per-domain normalisation from the unlabelled target audio.

Run: python benchmarks/cross_corpus.py --systems baseline baseline-spknorm
     [--normalisations none domain] [--limit N] [--threads N] [--set key=value ...]
     [--emodb ../shared/data/emodb] [--tess ../shared/data/tess] [--out benchmarks/results]

The corpora are joined by ``sklearn_ser.datasets.combine_corpora`` under the map of their shared
classes (``shared_label_map``): other classes are dropped, speakers are prefixed by their corpus,
and each utterance carries its ``corpus``, the domain of ``domain_norm=True``. Per direction a
system is fitted once on all of the source corpus (its speakers reach a net's early stopping) and
predicts all of the target corpus in one call. ``--normalisations domain`` turns on every
``domain_norm`` of the system's steps: the target is then z-scored with the statistics of its own
unlabelled audio, the source with its own at training (never labels). A system without such a
step (the nets) runs without it only, and says so. A ``-spknorm`` system keeps its speakers'
statistics first: there the domain's only serve utterances whose speaker has too few.

Per direction: UA, WA and the recall of each class. ``--limit N`` keeps at most N utterances per
speaker and class of each corpus: a smoke check, which report.py does not tabulate. Each system and
normalisation is a new file ``<out>/emodb-tess/cross-corpus--<system>--<hash>.json``
(``_results.py``), with its settings (the recipe's, the normalisation and the limit), command,
date, commit and machine; no run replaces another.
"""
import argparse
import time
from pathlib import Path

from sklearn.base import clone

from sklearn_ser.datasets import combine_corpora, load_corpus, shared_label_map
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection.evaluate import speaker_fit_params
from sklearn_ser.recipes import get_system, parse_settings

from _modes import per_class_recall
from _results import command, provenance, write_run
from accuracy import add_results_arguments, run_settings

HERE = Path(__file__).resolve().parent
CORPORA = ("emodb", "tess")
PAIR = "-".join(CORPORA)  # the results folder of these runs
DIRECTIONS = (("emodb", "tess"), ("tess", "emodb"))
NORMALISATIONS = ("none", "domain")


def read_pair(folders, limit=None):
    """The corpora of ``folders`` ({name: folder}) joined over their shared classes, with a
    ``corpus`` column; at most ``limit`` utterances per corpus, speaker and class if given."""
    corpora = {name: load_corpus(name, folder) for name, folder in folders.items()}
    data = combine_corpora(corpora, label_map=shared_label_map(corpora))
    return at_most(data, limit) if limit else data


def at_most(data, n):
    """The first ``n`` utterances of each corpus, speaker and class of ``data``."""
    return data.groupby(["corpus", "speaker", "label"], sort=False).head(n).reset_index(drop=True)


def with_domain_norm(model):
    """A copy of ``model`` with every ``domain_norm`` of its steps on; None if it has none."""
    names = [k for k in model.get_params(deep=True) if k == "domain_norm" or k.endswith("__domain_norm")]
    if not names:
        return None
    return clone(model).set_params(**{name: True for name in names})


def direction_scores(model, data, source, target):
    """Fit ``model`` on the ``source`` corpus of ``data``, predict its ``target`` corpus in one
    call: UA, WA, per-class recall, sizes and times."""
    train, test = data[data["corpus"] == source], data[data["corpus"] == target]
    start = time.perf_counter()
    fitted = clone(model).fit(train, train["label"], **speaker_fit_params(model, train["speaker"].to_numpy()))
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pred = fitted.predict(test)
    predict_seconds = time.perf_counter() - start
    y = test["label"].to_numpy()
    return dict(ua=unweighted_accuracy(y, pred), wa=weighted_accuracy(y, pred), per_class_recall=per_class_recall(y, pred),
                n_train=len(train), n_test=len(test), fit_seconds=fit_seconds, predict_seconds=predict_seconds)


def run(model, data):
    """{"source->target": scores} of ``model`` in both directions."""
    return {f"{source}->{target}": direction_scores(model, data, source, target) for source, target in DIRECTIONS}


def system_model(system, normalisation, overrides):
    """The model of ``system`` for a normalisation, or None where the system has no domain step."""
    model = get_system(system, **overrides)
    return model if normalisation == "none" else with_domain_norm(model)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", required=True)
    parser.add_argument("--normalisations", nargs="+", choices=NORMALISATIONS, default=list(NORMALISATIONS))
    parser.add_argument("--limit", type=int, help="at most N utterances per corpus, speaker and class (a smoke check)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, one per core)")
    parser.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE", help="recipe parameters")
    for name in CORPORA:
        parser.add_argument(f"--{name}", type=Path, default=HERE.parents[1] / "shared" / "data" / name,
                            help=f"the {name} folder (default: ../shared/data/{name})")
    add_results_arguments(parser)
    args = parser.parse_args()
    overrides = parse_settings(args.set)
    settings = {system: run_settings(system, overrides) for system in args.systems}  # refuses a bad --set now
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data = read_pair({name: getattr(args, name) for name in CORPORA}, args.limit)
    sizes = data.groupby("corpus").size().to_dict()
    classes = sorted(data["label"].unique())
    print(f"{', '.join(f'{c}: {n}' for c, n in sizes.items())} utterances of {len(classes)} shared classes "
          f"({', '.join(classes)})" + (f"; at most {args.limit} per speaker and class" if args.limit else ""), flush=True)
    results = []
    for system in args.systems:
        for normalisation in args.normalisations:
            model = system_model(system, normalisation, overrides)
            if model is None:
                print(f"{system}: no step with domain_norm; run without normalisation only", flush=True)
                continue
            start = time.perf_counter()
            directions = run(model, data)
            extra = ["--normalisations", normalisation] + (["--limit", str(args.limit)] if args.limit else [])
            payload = dict(overrides=overrides, settings_recorded=True, corpora=list(CORPORA), classes=classes,
                           normalisation=normalisation, limit=args.limit, n_utterances=sizes, directions=directions,
                           data={name: getattr(args, name).name for name in CORPORA},
                           timings={"seconds": time.perf_counter() - start},
                           command=command("cross_corpus.py", system, overrides=overrides, extra=extra),
                           **provenance(args.threads))
            path = write_run("cross-corpus", PAIR, system,
                             {**settings[system], "normalisation": normalisation, "limit": args.limit}, payload,
                             root=args.out)
            print(f"{system} ({normalisation}): wrote {path}", flush=True)
            results.append((system, normalisation, directions))
    print_table(results, classes)


def print_table(results, classes):
    header = f"{'system':28s} {'normalisation':13s} {'direction':12s} {'UA':>6s} {'WA':>6s} " + " ".join(
        f"{c[:7]:>7s}" for c in classes)
    print("\n" + header + "\n" + "-" * len(header))
    for system, normalisation, directions in results:
        for direction, d in directions.items():
            recall = " ".join(f"{d['per_class_recall'].get(c, float('nan')):7.3f}" for c in classes)
            print(f"{system:28s} {normalisation:13s} {direction:12s} {d['ua']:6.3f} {d['wa']:6.3f} {recall}")


if __name__ == "__main__":
    main()
