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
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sklearn_ser.audio import take_utterances
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection.evaluate import _stateless_prefix, make_cv, speaker_fit_params
from sklearn_ser.model_selection.splitters import check_speaker_disjoint
from sklearn_ser.recipes import get_system

from accuracy import _parse_setting, _save, add_run_arguments, start_run

HERE = Path(__file__).resolve().parent
MEMBERS = ("", "@refitted", "@early-stopped")


@contextmanager
def member(net, which):
    """Within the block ``net`` predicts with both nets (""), the refitted one or the early-stopped one."""
    validated = net.__dict__.pop("validated_module_")
    refitted = net.module_
    if which == "@early-stopped":
        net.module_ = validated
    elif which == "":
        net.__dict__["validated_module_"] = validated
    try:
        yield
    finally:
        net.module_ = refitted
        net.__dict__["validated_module_"] = validated


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", required=True)
    parser.add_argument("--out", type=Path)
    add_run_arguments(parser)
    args = parser.parse_args()
    corpus = start_run(args)
    overrides = {**dict(_parse_setting(item) for item in args.set), "refit": "average"}
    pipe = get_system(args.system, **overrides)
    name = f"{args.system}[{','.join(['refit=average', *args.set])}]"
    y, groups = corpus["label"].to_numpy(), corpus["speaker"].to_numpy()
    n_pre = _stateless_prefix(pipe)
    X = Pipeline(pipe.steps[:n_pre]).transform(corpus)
    model = Pipeline(pipe.steps[n_pre:])
    folds = {which: dict(fold_ua=[], fold_wa=[], fold_speakers=[], pred=[]) for which in MEMBERS}
    truth, fit_seconds, start = [], [], time.perf_counter()
    for train, test in make_cv("loso").split(X, y, groups):
        check_speaker_disjoint(groups, train, test)
        fit_start = time.perf_counter()
        fitted = clone(model).fit(take_utterances(X, train), y[train], **speaker_fit_params(model, groups[train]))
        fit_seconds.append(time.perf_counter() - fit_start)
        if "validated_module_" not in vars(fitted.steps[-1][1]):
            raise SystemExit(f"{args.system}: its last step kept no early-stopped net; it must be a net "
                             "(not a meta-estimator such as the ELM's) fitted with a validation split")
        truth.append(y[test])
        for which in MEMBERS:
            with member(fitted.steps[-1][1], which):
                pred = fitted.predict(take_utterances(X, test))
            f = folds[which]
            f["pred"].append(pred)
            f["fold_ua"].append(unweighted_accuracy(y[test], pred))
            f["fold_wa"].append(weighted_accuracy(y[test], pred))
            f["fold_speakers"].append(",".join(np.unique(groups[test])))
        print(f"speaker {folds['']['fold_speakers'][-1]}: UA " + ", ".join(
            f"{which or 'average'} {folds[which]['fold_ua'][-1]:.3f}" for which in MEMBERS), flush=True)
    out = args.out or HERE / "results" / f"accuracy-{args.corpus}.json"
    truth = np.concatenate(truth)
    for which in MEMBERS:
        f, pred = folds[which], np.concatenate(folds[which].pop("pred"))
        run = dict(ua=unweighted_accuracy(truth, pred), wa=weighted_accuracy(truth, pred), **f,
                   seconds=time.perf_counter() - start, fit_seconds=fit_seconds, cv="loso",
                   n_utterances=len(corpus))
        _save(out, {name + which: run}, name + which)  # merges into the file as it is now
        print(f"{name + which}: pooled UA {run['ua']:.3f}")


if __name__ == "__main__":
    main()
