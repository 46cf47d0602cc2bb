"""What a deployed per-speaker-normalised system gets: UA when the test speaker's utterances are
predicted together (the usual LOSO figure), after enrolling the speaker on a disjoint half of its
utterances, and with each utterance predicted alone (the population fallback).

Run: python benchmarks/speaker_adaptation.py --systems baseline-spknorm [--corpus emodb]
     [--cv loso | loso:03,08,14] [--threads N] [--set key=value ...] [--out benchmarks/results]

One fit per fold serves the three modes. Enrolment: the test speaker's utterances are split in two
halves at random (seeded); the model enrolled on one half predicts each utterance of the other one
at a time, then the other way round, so every utterance is predicted once from statistics that did
not see it. Each system's run is a new file ``<out>/<corpus>/speaker-adaptation--<system>--<hash>.json``
(``_results.py``), with its settings, command, date, commit and machine; no run replaces another.
"""
import argparse
import time

import numpy as np

from sklearn_ser import enroll
from sklearn_ser.audio import take_utterances
from sklearn_ser.model_selection import evaluate
from sklearn_ser.recipes import get_system, parse_settings

from _modes import alone_predictions, mode_scores, one_at_a_time
from _results import command, write_run
from accuracy import add_results_arguments, add_run_arguments, run_record, run_settings, start_run

MODES = ("batch", "enrolled", "alone")


def enrolled_halves(model, X, seed=0):
    """Each utterance of one speaker's X predicted alone by the model enrolled on the other half."""
    order = np.random.default_rng(seed).permutation(len(X))
    halves = (order[: len(X) // 2], order[len(X) // 2:])
    pred = np.empty(len(X), dtype=object)
    for enrol, test in (halves, halves[::-1]):
        enroll(model, take_utterances(X, np.sort(enrol)).drop(columns="label", errors="ignore"))
        pred[test] = one_at_a_time(model, take_utterances(X, test))
    return pred


def run(system, corpus, cv, overrides):
    y = corpus["label"].to_numpy()
    start = time.perf_counter()
    report = evaluate(get_system(system, **overrides), corpus, y, cv=cv, return_estimators=True)
    pred = {mode: np.empty(len(y), dtype=object) for mode in MODES}
    tested = np.concatenate(report.test_indices)
    pred["batch"][tested] = report.y_pred  # evaluate predicted each test speaker in one call
    pred["alone"] = alone_predictions(report, corpus)
    for model, test in zip(report.estimators, report.test_indices):
        pred["enrolled"][test] = enrolled_halves(model, take_utterances(corpus, test))
    result = {"timings": {"seconds": time.perf_counter() - start}, "cv": cv, "n_utterances": len(tested)}
    for mode in MODES:
        result[mode] = mode_scores(y, pred[mode], report.test_indices)
    result["fold_speakers"] = report.per_fold["test_speakers"].tolist()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", default=["baseline-spknorm"])
    parser.add_argument("--cv", default="loso")
    add_run_arguments(parser)
    add_results_arguments(parser)
    args = parser.parse_args()
    overrides = parse_settings(args.set)
    settings = {system: run_settings(system, overrides) for system in args.systems}  # refuses a bad --set now
    corpus = start_run(args)
    results = {}
    for system in args.systems:
        results[system] = run(system, corpus, args.cv, overrides)
        record = run_record(args, args.cv, overrides, corpus)
        record["n_utterances"] = results[system].pop("n_utterances")  # those tested
        record["command"] = command("speaker_adaptation.py", system, corpus=args.corpus, cv=args.cv,
                                    overrides=overrides)
        path = write_run("speaker-adaptation", args.corpus, system, settings[system],
                         {**record, **results[system]}, root=args.out)
        print(f"{system}: wrote {path}", flush=True)
    print(f"\n{'system':40s} " + " ".join(f"{m + ' UA':>12s}" for m in MODES))
    for system, r in results.items():
        print(f"{system:40s} " + " ".join(f"{r[m]['ua']:12.3f}" for m in MODES))


if __name__ == "__main__":
    main()
