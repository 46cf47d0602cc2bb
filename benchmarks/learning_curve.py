"""One held-out speaker's training run of a network system, epoch by epoch: training loss,
validation loss (speakers split off the training side), then the UA of the restored net on its own
training utterances and on the held-out speaker. A net whose training UA stays low underfits; one
with a high training UA and a low held-out UA overfits or does not transfer across speakers.

Run: python benchmarks/learning_curve.py --system kim-3d-cnn-dnn --speaker 03 [--corpus emodb]
     [--data ../shared/data/emodb] [--threads 1] [--set key=value ...]
"""
import argparse
import time

import numpy as np

from sklearn_ser.audio import take_utterances
from sklearn_ser.metrics import unweighted_accuracy
from sklearn_ser.model_selection.evaluate import _training_history, speaker_fit_params
from sklearn_ser.recipes import get_system, parse_settings

from accuracy import add_run_arguments, start_run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", required=True)
    parser.add_argument("--speaker", required=True, help="the held-out test speaker")
    add_run_arguments(parser)
    args = parser.parse_args()
    corpus = start_run(args)
    speakers = corpus["speaker"].astype(str).to_numpy()
    if args.speaker not in set(speakers):
        raise SystemExit(f"no speaker {args.speaker!r} in {args.corpus}: {sorted(set(speakers))}")
    y = corpus["label"].to_numpy()
    train, test = np.flatnonzero(speakers != args.speaker), np.flatnonzero(speakers == args.speaker)
    model = get_system(args.system, **parse_settings(args.set))
    start = time.perf_counter()
    model.fit(take_utterances(corpus, train), y[train], **speaker_fit_params(model, speakers[train]))
    seconds = time.perf_counter() - start
    history = _training_history(model)
    if history is None:
        raise SystemExit(f"{args.system} does not end in a network: no epochs to show")

    print(f"{'epoch':>5s} {'train loss':>10s} {'valid loss':>10s}  best (restored at the end)")
    for row in history:
        print(f"{row['epoch']:5d} {row['train_loss']:10.3f} {row.get('valid_loss', np.nan):10.3f}  "
              f"{'*' if row.get('valid_loss_best') else ''}")
    for name, rows in [("training utterances", train), (f"held-out speaker {args.speaker}", test)]:
        ua = unweighted_accuracy(y[rows], model.predict(take_utterances(corpus, rows)))
        print(f"UA on {name}: {ua:.3f}")
    print(f"{len(history)} epochs in {seconds:.0f} s")


if __name__ == "__main__":
    main()
