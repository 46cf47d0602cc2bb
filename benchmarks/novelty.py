"""How often the novelty check flags real speech, and whether it flags garbage.

Leave-one-speaker-out on a corpus (default EmoDB): per fold, a NoveltyCheck fitted on the training
speakers scores the held-out speaker's utterances (false alarms), a sample of another corpus
(default TESS: another language, actors and recording set-up) and a set of garbage inputs (white
noise, quiet noise, a tone, a DC offset, clipped and over-amplified speech, and quiet speech, which
should pass). Scores are distance over threshold: above 1 is flagged.

Run: python benchmarks/novelty.py [--corpus emodb] [--other tess] [--n-other 300] [--out benchmarks/results]

Each run is a new file ``<out>/<corpus>/novelty--<hash>.json`` (``_results.py``).
"""
import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_ser.audio import read_audio
from sklearn_ser.datasets import load_corpus
from sklearn_ser.novelty import NoveltyCheck

from _results import command, provenance, write_run

HERE = Path(__file__).resolve().parent
SR = 16000


def garbage(speech, rng):
    n = 3 * SR
    return {
        "white noise": 0.1 * rng.standard_normal(n),
        "quiet white noise": 1e-3 * rng.standard_normal(n),
        "440 Hz tone": 0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / SR),
        "DC offset": 0.3 + 1e-4 * rng.standard_normal(n),
        "speech clipped (x50)": np.clip(speech * 50, -1, 1),
        "speech over-amplified (x30)": speech * 30,
        "quiet speech (x0.01, should pass)": speech * 0.01,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="emodb")
    parser.add_argument("--other", default="tess")
    parser.add_argument("--n-other", type=int, default=300)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, help="results root (default: benchmarks/results)")
    args = parser.parse_args()
    data = HERE.parents[1] / "shared" / "data"
    corpus = load_corpus(args.corpus, data / args.corpus)
    other = load_corpus(args.other, data / args.other).sample(args.n_other, random_state=0)
    speech = read_audio(corpus["audio"].iloc[0])
    inputs = {k: v.astype(np.float32) for k, v in garbage(speech, np.random.default_rng(0)).items()}
    folds, garbage_scores, other_scores = [], [], []
    warnings.simplefilter("ignore")
    for speaker in sorted(corpus["speaker"].unique()):
        train, test = corpus[corpus["speaker"] != speaker], corpus[corpus["speaker"] == speaker]
        check = NoveltyCheck(n_jobs=args.n_jobs).fit(train)
        held = -check.score_samples(test)
        folds.append(dict(speaker=str(speaker), n=len(test), flagged=int((held > 1).sum()),
                          max_score=round(float(held.max()), 3)))
        garbage_scores.append(-check.score_samples(list(inputs.values())))
        other_scores.append(-check.score_samples(other))
        print(f"held out {speaker}: {folds[-1]['flagged']}/{len(test)} flagged, max score {held.max():.2f}")
    garbage_scores, other_scores = np.array(garbage_scores), np.array(other_scores)
    rows = [dict(input=name, min_score=round(float(garbage_scores[:, i].min()), 3),
                 flagged_in_folds=int((garbage_scores[:, i] > 1).sum()))
            for i, name in enumerate(inputs)]
    print(pd.DataFrame(rows).to_string(index=False))
    flagged_other = int((other_scores > 1).sum())
    print(f"{args.other}: {flagged_other} of {other_scores.size} scores above 1 "
          f"({args.n_other} utterances x {len(folds)} folds), max {other_scores.max():.2f}")
    settings = {"other": args.other, "n_other": args.n_other}
    overrides = {k: v for k, v in settings.items() if v != parser.get_default(k)}
    path = write_run("novelty", args.corpus, None, settings, dict(
        overrides=overrides, settings_recorded=True, cv="loso", folds=folds, garbage=rows,
        other=dict(corpus=args.other, n=args.n_other, flagged=flagged_other,
                   max_score=round(float(other_scores.max()), 3)),
        command=command("novelty.py", extra=[f"--{k.replace('_', '-')}={v}" for k, v in overrides.items()]),
        **provenance(),
    ), root=args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
