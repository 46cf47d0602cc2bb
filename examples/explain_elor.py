"""What ELoR learned (Wieser et al. 2020, §4.2): train the raw-audio CNN with valence and arousal
heads on a few EmoDB speakers, then explain it on a held-out speaker: guided-backpropagation
saliency maps of both heads with their correlations, and, per head and level, the signal that
maximises the level's logit, written as a WAV and a PNG, summarised as the paper's Table 6.

Run: python examples/explain_elor.py [--data ../shared/data/emodb] [--out elor-explained]
     [--train-speakers 03 08 09 10] [--test-speaker 11] [--epochs 9]

EmoDB has no valence or arousal ratings: the heads learn the library's category proxy
(``sklearn_ser.datasets.CATEGORY_RATINGS_PROXY``), five levels each. About 7 minutes on 2 cores.
Without the EmoDB folder it runs on the library's synthetic corpus.
"""
import argparse
from pathlib import Path

import numpy as np

from sklearn_ser.datasets import five_levels, make_synthetic_corpus, read_emodb
from sklearn_ser.inspection import (
    activation_summary, envelope_correlation, maximize_activation, plot_saliency, saliency, saliency_correlation,
    write_activation,
)
from sklearn_ser.recipes import get_system

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "emodb"
HEADS = ("valence", "arousal")


def unpadded(windows, values=None):
    """An utterance's windows joined without the zero padding after its last sample (``values``,
    e.g. a saliency map of the windows, cut the same way)."""
    flat = np.asarray(windows).ravel()
    end = np.flatnonzero(flat).max() + 1
    return (flat if values is None else np.asarray(values).ravel())[:end]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("elor-explained"))
    parser.add_argument("--train-speakers", nargs="+", default=["03", "08", "09", "10"])
    parser.add_argument("--test-speaker", default="11")
    parser.add_argument("--epochs", type=int, default=9, help="the paper's 9")
    parser.add_argument("--steps", type=int, default=300, help="gradient-ascent steps per signal")
    args = parser.parse_args()

    if args.data.is_dir():
        corpus = read_emodb(args.data)
    else:
        print(f"{args.data} not found: using the synthetic corpus")
        corpus = make_synthetic_corpus(random_state=0)
        args.train_speakers, args.test_speaker = sorted(corpus["speaker"].unique())[:4], "spk07"
    Y = np.stack([five_levels(corpus, head, proxy=True) for head in HEADS], axis=1)
    train = corpus["speaker"].isin(args.train_speakers).to_numpy()
    test = (corpus["speaker"] == args.test_speaker).to_numpy()

    model = get_system("wieser-elor", max_epochs=args.epochs)
    model.fit(corpus[train], Y[train], net__groups=corpus["speaker"][train].to_numpy())
    predicted = model.predict(corpus[test])
    for h, head in enumerate(HEADS):
        print(f"{head}: held-out speaker {args.test_speaker}, accuracy {np.mean(predicted[:, h] == Y[test, h]):.2f} "
              f"over {test.sum()} utterances (proxy levels)")

    args.out.mkdir(parents=True, exist_ok=True)
    held_out = corpus[test].reset_index(drop=True)
    windows = model[:-1].transform(held_out)
    maps = {head: saliency(model, held_out, head=h) for h, head in enumerate(HEADS)}
    # over each utterance's own samples: the zero padding of its last window would dominate a correlation
    audio = [unpadded(w) for w in windows]
    trimmed = {head: [unpadded(w, s) for w, s in zip(windows, maps[head])] for head in HEADS}
    envelope = {head: np.nanmean([envelope_correlation(a, s) for a, s in zip(audio, trimmed[head])]) for head in HEADS}
    between = np.nanmean([saliency_correlation(a, b) for a, b in zip(trimmed["valence"], trimmed["arousal"])])
    print(f"envelope-saliency correlation, mean over the held-out utterances: valence {envelope['valence']:.2f}, "
          f"arousal {envelope['arousal']:.2f} (the paper: 0.50, 0.53); between the heads' maps {between:.2f} (0.96)")
    for head in HEADS:  # the first held-out utterance
        path = plot_saliency(audio[0], trimmed[head][0], args.out / f"saliency-{head}.png",
                             title=f"{head} head, held-out speaker {args.test_speaker}, {held_out['label'].iloc[0]}")
        print(f"wrote {path}")

    signals, names = [], []
    net = model[-1]
    for h, head in enumerate(HEADS):
        for level in net.classes_[h]:
            signal = maximize_activation(model, level, head=h, n_steps=args.steps, clip=(-1, 1))
            name = f"activation-{head}-{level}"
            write_activation(signal, args.out / f"{name}.wav", args.out / f"{name}.png",
                             title=f"maximises {head} level {level}")
            signals.append(signal)
            names.append(name)
    summary = activation_summary(signals)
    summary.insert(0, "signal", names)
    summary.to_csv(args.out / "activation-summary.csv", index=False)
    print(summary.round(2).to_string(index=False))
    print(f"wrote {len(signals)} WAV/PNG pairs and activation-summary.csv to {args.out}")


if __name__ == "__main__":
    main()
