"""Feature-extraction speed on a corpus (default: all of EmoDB), one process, one thread.

For each representation: x-real-time (audio seconds / extraction seconds), peak memory of the
extraction (tracemalloc), and, in the same run, the floor: a bare ``numpy.fft.rfft`` over the same
frames (no window, no mel, no log), its spectra kept as an extractor keeps its output. The floor
that throws each spectrum away at once is about 2x faster again (no fresh memory to fault in); it
is reported as ``floor_discard`` in the JSON. Also librosa's own 64-band log-mel and, when the extra is
installed, openSMILE ComParE_2016 functionals, for reference, and how many times faster than
openSMILE the library's native broad functionals (``BroadFunctionals``) are in the same run.
Audio is decoded and resampled once, before timing (reported separately), so the table measures
feature extraction only.

Run: python benchmarks/features.py [--data ../shared/data/emodb] [--repeat 3] [--limit N] [--out benchmarks/results]

Each run is a new file ``<out>/emodb/features--<hash>.json`` (``_results.py``; the hash covers
``--repeat`` and ``--limit``), with the machine, date and commit; no run replaces another.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = "1"  # one thread, set before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_ser.audio import load_utterances  # noqa: E402
from sklearn_ser.datasets import read_emodb  # noqa: E402
from sklearn_ser.features import (  # noqa: E402
    BroadFunctionals, KimSpectrogramVolumes, LatifLogMelSegments, LLDContextFrames, LLDFunctionals,
    RawSubsequences,
    WieserMFCCWindows, WieserRawWindows, ZhangMelClips, ZhangMelSegments, ZhangRawSegments,
)
from sklearn_ser.features.lld import compile_numba_kernels  # noqa: E402
from sklearn_ser.features.spectral import frame_signal  # noqa: E402

from _results import RESULTS, command, provenance, write_run  # noqa: E402

HERE = Path(__file__).resolve().parent

BROAD = "Broad functionals (native)"
COMPARE = "openSMILE ComParE_2016 (reference)"

# name, transformer, kind, floor framing (win_length, hop_length, n_fft) or None, sample rate
CASES = [
    ("Kim log-spectrogram volumes", KimSpectrogramVolumes(gain_norm="speaker"), "spectral", (512, 320, 512), 16000),
    ("Latif log-mel segments", LatifLogMelSegments(), "spectral", (400, 160, 512), 16000),
    ("Zhang mel segments (+deltas)", ZhangMelSegments(), "spectral", (400, 160, 512), 16000),
    ("Zhang mel clips (3D)", ZhangMelClips(), "spectral", (400, 160, 512), 16000),
    ("Wieser MFCC windows", WieserMFCCWindows(), "spectral", (400, 160, 1024), 16000),
    ("Trigeorgis raw subsequences", RawSubsequences(gain_norm="speaker"), "raw", None, 16000),
    ("Zhang raw segments (22.05 kHz)", ZhangRawSegments(), "raw", None, 22050),
    ("Wieser raw windows", WieserRawWindows(), "raw", None, 16000),
    ("LLD context frames (yin pitch)", LLDContextFrames(), "lld", None, 16000),
    ("LLD functionals (baseline)", LLDFunctionals(), "lld", None, 16000),
    (BROAD, BroadFunctionals(), "lld", None, 16000),
]


def timed(func, repeat):
    """Best wall time of ``repeat`` runs and the tracemalloc peak of the first, in MB."""
    tracemalloc.start()
    start = time.perf_counter()
    func()
    best = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    for _ in range(repeat - 1):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best, peak


def floor_seconds(waves, framing, repeat, duration_s=None, sr=16000):
    """A bare numpy rfft over the frames the representation analyses (Kim's: the first 2 s):
    (spectra kept, spectra discarded)."""
    win, hop, n_fft = framing
    if duration_s:
        waves = [librosa.util.fix_length(w, size=int(duration_s * sr)) for w in waves]
    frames = [np.array(frame_signal(w, win, hop)) for w in waves]  # framing is not timed

    def keep():
        return [np.fft.rfft(f, n=n_fft, axis=1) for f in frames]

    def discard():
        for f in frames:
            np.fft.rfft(f, n=n_fft, axis=1)

    return timed(keep, repeat)[0], timed(discard, repeat)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[1] / "shared" / "data" / "emodb")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results root (default: benchmarks/results)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N utterances (a quick look)")
    args = parser.parse_args()

    corpus = read_emodb(args.data)
    if args.limit:
        corpus = corpus.iloc[: args.limit]
    audio = {}
    for sr in (16000, 22050):
        start = time.perf_counter()
        waves, _ = load_utterances(corpus, sr=sr)
        audio[sr] = (waves, time.perf_counter() - start)
    seconds = sum(len(w) for w in audio[16000][0]) / 16000
    print(f"{len(corpus)} utterances, {seconds:.0f} s of audio; decode at 16 kHz "
          f"{audio[16000][1]:.2f} s, decode + resample to 22.05 kHz {audio[22050][1]:.2f} s\n")
    compile_numba_kernels()

    rows = []
    header = f"{'representation':34s} {'x real time':>12s} {'peak MB':>8s} {'floor xRT':>10s} {'vs floor':>9s}"
    print(header + "\n" + "-" * len(header))
    for name, transformer, kind, framing, sr in CASES:
        waves = audio[sr][0]
        X = corpus.assign(audio=waves) if "gain_norm" in transformer.get_params() else waves
        best, peak = timed(lambda: transformer.fit_transform(X), args.repeat)
        row = dict(name=name, kind=kind, seconds=best, x_real_time=seconds / best, peak_mb=peak)
        if framing:
            duration = getattr(transformer, "duration_s", None)
            floor, floor_discard = floor_seconds(waves, framing, args.repeat, duration)
            row.update(floor_seconds=floor, floor_x_real_time=seconds / floor, vs_floor=best / floor,
                       floor_discard_seconds=floor_discard, vs_floor_discard=best / floor_discard)
        rows.append(row)
        floor_txt = f"{row['floor_x_real_time']:10.0f} {row['vs_floor']:8.2f}x" if framing else f"{'':10s} {'':9s}"
        print(f"{name:34s} {row['x_real_time']:12.0f} {peak:8.1f} {floor_txt}")

    waves = audio[16000][0]

    def librosa_logmel():
        for w in waves:
            librosa.power_to_db(librosa.feature.melspectrogram(
                y=w, sr=16000, n_fft=512, win_length=400, hop_length=160, window="hamming",
                n_mels=64, fmin=20, fmax=8000))

    best, peak = timed(librosa_logmel, args.repeat)
    rows.append(dict(name="librosa 64-band log-mel (reference)", kind="reference", seconds=best,
                     x_real_time=seconds / best, peak_mb=peak))
    print(f"{'librosa 64-band log-mel (ref.)':34s} {seconds / best:12.0f} {peak:8.1f}")
    try:
        from sklearn_ser.features import OpenSmileFunctionals

        smile = OpenSmileFunctionals("ComParE_2016")
        best, peak = timed(lambda: smile.fit_transform(waves), 1)
        rows.append(dict(name=COMPARE, kind="reference", seconds=best, x_real_time=seconds / best, peak_mb=peak))
        print(f"{'openSMILE ComParE_2016 (ref.)':34s} {seconds / best:12.0f} {peak:8.1f}")
        broad = next((r for r in rows if r["name"] == BROAD), None)
        if broad is not None:
            broad["vs_compare"] = best / broad["seconds"]
            print(f"\nbroad functionals: {broad['vs_compare']:.1f}x openSMILE ComParE_2016's speed in this run")
    except ImportError:
        print("openSMILE not installed: pip install 'sklearn-ser[opensmile]' for its reference row")

    settings = {"limit": args.limit, "repeat": args.repeat}
    overrides = {k: v for k, v in settings.items() if v != parser.get_default(k)}
    extra = [f"--{k}={v}" for k, v in overrides.items()]
    path = write_run("features", "emodb", None, settings, dict(
        overrides=overrides, settings_recorded=True,
        cv=None, data=args.data.name, n_utterances=len(corpus), audio_seconds=seconds, rows=rows,
        timings=dict(decode_seconds_16k=audio[16000][1], decode_resample_seconds_22k=audio[22050][1]),
        command=command("features.py", extra=extra), **provenance(threads=1),
    ), root=args.out)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
