"""What ``refit="average"`` adds, from the same fits: per fold, the averaged posteriors, the refitted
net alone and the early-stopped net alone, so the three are paired on one machine and one seed.

Run: python benchmarks/refit_members.py --system kim-3d-cnn-dnn-spknorm --threads 1 [--set random_state=3]
     [--corpus emodb] [--out benchmarks/results]

Stores three runs, each a new file in ``accuracy.py``'s layout (``_results.py``) with the settings
of the fitted system (``refit="average"``): the averaged posteriors, and the runs with
``"member": "refitted"`` and ``"member": "early-stopped"`` (``compare_runs.py`` compares them;
``report.py`` counts the refitted net as a run with ``refit=True``, the early-stopped one as
``refit=False``). Same-seed runs on another machine are not these fits: float summation differs
across CPUs, and the early stopping then picks other epochs.
"""
import argparse
import time
from contextlib import contextmanager

import numpy as np
from sklearn.pipeline import Pipeline

from sklearn_ser.audio import take_utterances
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection import evaluate
from sklearn_ser.model_selection.evaluate import _final_step
from sklearn_ser.recipes import get_system, parse_settings

from _results import command, write_run
from accuracy import add_results_arguments, add_run_arguments, run_record, run_settings, start_run

ALONE = ("@refitted", "@early-stopped")


@contextmanager
def member(net, which):
    """Within the block a ``refit="average"`` net predicts with one of its nets alone: ``which`` is
    ``"@refitted"`` or ``"@early-stopped"``."""
    if which not in ALONE:
        raise ValueError(f"which must be one of {ALONE}, got {which!r}")
    validated = net.__dict__.pop("validated_module_")
    refitted = net.module_
    if which == "@early-stopped":
        net.module_ = validated
    try:
        yield
    finally:
        net.module_ = refitted
        net.__dict__["validated_module_"] = validated


def member_predictions(report, X):
    """Per fold, the test predictions of the refitted net alone and of the early-stopped net alone
    (``ALONE``), from the fitted models of ``evaluate(..., return_estimators=True)`` on utterances X."""
    preds = {which: [] for which in ALONE}
    for model, test in zip(report.estimators, report.test_indices):
        net = _final_step(model)
        if "validated_module_" not in vars(net):
            raise SystemExit("the system's last step kept no early-stopped net; it must be a net (not a "
                             "meta-estimator such as the ELM's) fitted with a validation split")
        features = take_utterances(X, test)
        if isinstance(model, Pipeline):
            features = model[:-1].transform(features)
        for which in ALONE:
            with member(net, which):
                preds[which].append(net.predict(features))
    return preds


def _run(y_true_folds, pred_folds, speakers, **extra):
    truth, pred = np.concatenate(y_true_folds), np.concatenate(pred_folds)
    return dict(ua=unweighted_accuracy(truth, pred), wa=weighted_accuracy(truth, pred),
                fold_ua=[unweighted_accuracy(t, p) for t, p in zip(y_true_folds, pred_folds)],
                fold_wa=[weighted_accuracy(t, p) for t, p in zip(y_true_folds, pred_folds)],
                fold_speakers=speakers, **extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", required=True)
    add_run_arguments(parser)
    add_results_arguments(parser)
    args = parser.parse_args()
    given = {k: v for k, v in parse_settings(args.set).items() if k != "refit"}
    overrides = {"refit": "average", **given}
    settings = run_settings(args.system, overrides)  # refuses a bad --set before the first fit
    corpus = start_run(args)
    y = corpus["label"].to_numpy()
    start = time.perf_counter()
    report = evaluate(get_system(args.system, **overrides), corpus, y, cv="loso", return_estimators=True)
    truth = [y[test] for test in report.test_indices]
    # evaluate's own predictions (those of the averaged nets) in fold order, then each net alone
    fold_ends = np.cumsum([len(test) for test in report.test_indices])[:-1]
    preds = {"": np.split(report.y_pred, fold_ends), **member_predictions(report, corpus)}
    record = dict(run_record(args, "loso", overrides, corpus),
                  command=command("refit_members.py", args.system, corpus=args.corpus, overrides=given,
                                  systems_flag="--system"),
                  timings=dict(seconds=time.perf_counter() - start,
                               fit_seconds=report.per_fold["fit_seconds"].tolist()))
    for which, pred in preds.items():
        run = _run(truth, pred, report.per_fold["test_speakers"].tolist(), **record)
        if which:
            run["member"] = which[1:]
        path = write_run("accuracy", args.corpus, args.system, settings, run, root=args.out)
        print(f"{args.system}{which or ' (averaged)'}: pooled UA {run['ua']:.3f}, fold UA "
              + " ".join(f"{ua:.3f}" for ua in run["fold_ua"]) + f" -> {path}")


if __name__ == "__main__":
    main()
