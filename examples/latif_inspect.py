"""Inside Latif et al.'s autoencoders: train the AE, VAE and CVAE on all but two speakers, then
draw a held-out utterance's log-mel beside each one's reconstruction, and a t-SNE of the held-out
utterances' averaged latent codes per autoencoder, coloured by emotion.

Run: python examples/latif_inspect.py [--data ../shared/data/emodb] [--out latif-inspect]
     [--epochs 40] [--held-out 03 08]

Writes <out>/latif-reconstruction.png and <out>/latif-tsne-{ae,vae,cvae}.png (about 3 minutes on
EmoDB on 2 cores). Without the EmoDB folder it runs on the library's synthetic corpus.
"""
import argparse
from pathlib import Path

import numpy as np

from sklearn_ser.datasets import make_synthetic_corpus, read_emodb
from sklearn_ser.estimators import AEEncoder, CVAEEncoder, VAEEncoder
from sklearn_ser.features import LatifLogMelSegments
from sklearn_ser.inspection import plot_embedding, plot_reconstruction

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "emodb"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("latif-inspect"))
    parser.add_argument("--epochs", type=int, default=40, help="encoder epochs (the registered systems' 40)")
    parser.add_argument("--held-out", nargs="+", help="test speakers (default: the last two)")
    args = parser.parse_args()

    if args.data.is_dir():
        corpus, name = read_emodb(args.data), "EmoDB"
    else:
        corpus, name = make_synthetic_corpus(random_state=0), "synthetic corpus"
        print(f"{args.data} not found: using the {name}")
    speakers = sorted(corpus["speaker"].unique())
    held_out = args.held_out or speakers[-2:]
    test = corpus["speaker"].isin(held_out).to_numpy()
    segments = LatifLogMelSegments(n_jobs=-1).fit_transform(corpus)
    train_X, train_y = segments[~test], corpus["label"].to_numpy()[~test]

    shared = dict(max_epochs=args.epochs, random_state=0)
    encoders = {
        "AE": AEEncoder(**shared),
        "VAE": VAEEncoder(**shared),
        "CVAE": CVAEEncoder(**shared),  # labels in fit only; the held-out codes are label-free
    }
    for label, encoder in encoders.items():
        encoder.fit(train_X, train_y)
        print(f"{label}: {encoder.n_epochs_} epochs, training reconstruction error "
              f"{encoder.reconstruction_curve_[-1]:.3f} per standardised value")

    args.out.mkdir(parents=True, exist_ok=True)
    test_positions = np.flatnonzero(test)
    one = test_positions[0]
    path = plot_reconstruction(encoders, segments[one], args.out / "latif-reconstruction.png",
                               title=f"{name}, held-out speaker {corpus['speaker'].iloc[one]}, "
                                     f"{corpus['label'].iloc[one]}: log-mel (dB) and its reconstructions")
    print(f"wrote {path}")
    labels = corpus["label"].to_numpy()[test]
    for label, encoder in encoders.items():
        codes = encoder.transform(segments[test])
        averaged = np.stack([c.mean(axis=0) for c in codes])  # one vector per utterance
        path = plot_embedding(averaged, labels, args.out / f"latif-tsne-{label.lower()}.png",
                              title=f"{label} codes averaged per utterance, speakers {', '.join(held_out)} (held out)")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
