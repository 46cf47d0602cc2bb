"""Peak memory and time of predicting one long file: 1-minute, 10-minute and 1-hour inputs.

For each system: a model trained on the synthetic corpus (toy training: memory at prediction does
not depend on what the net learned) is saved in the safe format; then, for each duration, a fresh
process loads it and predicts one 16 kHz WAV of that length (synthetic speech-like audio
concatenated), and reports its peak RSS (``VmHWM``) beside that of a process that only loaded
the model. One process per measurement, so no run inherits another's peak.

Run: python benchmarks/long_inputs.py [--systems baseline kim-3d-cnn-dnn] [--minutes 1 10 60] [--out benchmarks/results]

Each run is a new file ``<out>/synthetic/long-inputs--<system>--<hash>.json`` (``_results.py``).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

import sklearn_ser
from sklearn_ser.datasets import make_synthetic_corpus
from sklearn_ser.model_selection.evaluate import speaker_fit_params
from sklearn_ser.recipes import get_system, system_settings

from _results import command, provenance, write_run

TOY = {"kim-3d-cnn-dnn": {"max_epochs": 1}}
# Runs in a fresh interpreter: loads the model, predicts the file if one is given, prints peak RSS.
CHILD = """
import json, sys, time
import sklearn_ser
model = sklearn_ser.load(sys.argv[1])
start = time.perf_counter()
if len(sys.argv) > 2:
    proba = model.predict_proba([sys.argv[2]])
seconds = time.perf_counter() - start
# VmHWM: this process image's own peak (ru_maxrss would carry the parent's, from before exec)
peak_kb = int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])
print(json.dumps({"peak_rss_mb": peak_kb / 1024, "seconds": seconds}))
"""


def long_waveform(minutes, sr=16000):
    """Speech-like audio of ``minutes`` minutes: the synthetic corpus's utterances end to end."""
    corpus = make_synthetic_corpus(n_speakers=4, n_per_class=4, random_state=0)
    one_pass = np.concatenate(list(corpus["audio"]))
    n = int(minutes * 60 * sr)
    return np.resize(one_pass, n).astype(np.float32)


def child(model, wav=None):
    args = [sys.executable, "-c", CHILD, str(model)] + ([str(wav)] if wav else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", default=["baseline", "kim-3d-cnn-dnn"])
    parser.add_argument("--minutes", nargs="+", type=float, default=[1, 10, 60])
    parser.add_argument("--out", type=Path, help="results root (default: benchmarks/results)")
    args = parser.parse_args()
    corpus = make_synthetic_corpus(n_speakers=4, n_per_class=4, random_state=0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wavs = {}
        for minutes in args.minutes:
            wavs[minutes] = tmp / f"{minutes:g}min.wav"
            sf.write(wavs[minutes], long_waveform(minutes), 16000, subtype="PCM_16")
        for system in args.systems:
            overrides = TOY.get(system, {})
            model = get_system(system, **overrides)
            model.fit(corpus, corpus["label"], **speaker_fit_params(model, corpus["speaker"].to_numpy()))
            path = tmp / f"{system}.model"
            sklearn_ser.save(model, path)
            loaded = child(path)
            rows = []
            print(f"{system}: model loaded, peak RSS {loaded['peak_rss_mb']:.0f} MB")
            for minutes, wav in wavs.items():
                start = time.perf_counter()
                measured = child(path, wav)
                rows.append(dict(minutes=minutes, peak_rss_mb=round(measured["peak_rss_mb"], 1),
                                 predict_seconds=round(measured["seconds"], 2),
                                 process_seconds=round(time.perf_counter() - start, 2)))
                print(f"  {minutes:>5g} min: peak RSS {measured['peak_rss_mb']:7.0f} MB, "
                      f"predict {measured['seconds']:6.1f} s")
            settings = {"system": system_settings(system, **overrides), "minutes": args.minutes}
            out = write_run("long-inputs", "synthetic", system, settings, dict(
                overrides=overrides, settings_recorded=True, cv=None, rows=rows,
                model_loaded_peak_rss_mb=round(loaded["peak_rss_mb"], 1),
                command=command("long_inputs.py", system, extra=["--minutes", *map("{:g}".format, args.minutes)]),
                **provenance(),
            ), root=args.out)
            print(f"  wrote {out}")


if __name__ == "__main__":
    main()
