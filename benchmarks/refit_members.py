"""What ``refit="average"`` adds, from the same fits: per fold, the averaged posteriors, the refitted
net alone and the early-stopped net alone, so the three are paired on one machine and one seed.

Run: python benchmarks/refit_members.py --system kim-3d-cnn-dnn-spknorm --threads 1 [--set random_state=3]

Stores the three runs in the results JSON under ``name[refit=average,settings]``,
``name[refit=average,settings]@refitted`` and ``...@early-stopped``, in ``accuracy.py``'s layout
(``compare_runs.py`` compares them). Same-seed runs on another machine are not these fits: float
summation differs across CPUs, and the early stopping then picks other epochs.
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

from accuracy import (
    _save, add_results_arguments, add_run_arguments, check_replaceable, load_results, results_path,
    run_settings, start_run,
)

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
    overrides = {**parse_settings(args.set), "refit": "average"}
    name = f"{args.system}[{','.join(['refit=average', *args.set])}]"
    out = results_path(args)
    stored = load_results(out)
    settings = run_settings(args.system, overrides)
    for which in ("", *ALONE):  # before the first fold is fitted
        check_replaceable(stored, name + which, settings, args.overwrite)
    corpus = start_run(args)
    y = corpus["label"].to_numpy()
    start = time.perf_counter()
    report = evaluate(get_system(args.system, **overrides), corpus, y, cv="loso", return_estimators=True)
    truth = [y[test] for test in report.test_indices]
    # evaluate's own predictions (those of the averaged nets) in fold order, then each net alone
    fold_ends = np.cumsum([len(test) for test in report.test_indices])[:-1]
    preds = {"": np.split(report.y_pred, fold_ends), **member_predictions(report, corpus)}
    extra = dict(seconds=time.perf_counter() - start, fit_seconds=report.per_fold["fit_seconds"].tolist(),
                 cv="loso", n_utterances=len(corpus), system=args.system, settings=settings)
    for which, pred in preds.items():
        run = _run(truth, pred, report.per_fold["test_speakers"].tolist(), **extra)
        _save(out, {name + which: run}, name + which)  # merges into the file as it is now
        print(f"{name + which}: pooled UA {run['ua']:.3f}, fold UA " + " ".join(f"{ua:.3f}" for ua in run["fold_ua"]))


if __name__ == "__main__":
    main()
