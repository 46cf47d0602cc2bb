"""Latif et al.'s Fig. 2 on a corpus here: pooled UA of the AE/VAE/CVAE systems against the latent
size, from stored accuracy runs, with a PNG.

Run: python benchmarks/latent_sweep.py [--sizes 32 64 128 256 512]
     [--systems latif-ae-lstm latif-vae-lstm latif-cvae-lstm] [--corpus emodb] [--cv loso]
     [--n-jobs 2] [--threads 1] [--plot-only] [--png docs/img/latif-latent-sweep.png]

Each (system, size) without a stored run at the system's current settings and ``latent_size=size``
is run by ``accuracy.py --systems S --set latent_size=size`` (one process after another, so each
run is its own stored file with its own command); ``--plot-only`` runs nothing and plots what is
stored. Several runs of one point (seeds) are averaged; the baseline's pooled UA is drawn for
reference when it is stored.
"""
import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

from _results import RESULTS, jsonable, load_runs
from sklearn_ser.recipes import system_settings

HERE = Path(__file__).resolve().parent
SYSTEMS = ("latif-ae-lstm", "latif-vae-lstm", "latif-cvae-lstm")
SIZES = (32, 64, 128, 256, 512)
PNG = HERE.parent / "docs" / "img" / "latif-latent-sweep.png"


def _configuration(settings):
    return {k: v for k, v in settings.items() if k not in ("n_jobs", "random_state")}


def stored_points(runs, system, size, cv):
    """The stored accuracy runs of ``system`` at its current settings with ``latent_size=size``."""
    wanted = _configuration(jsonable(system_settings(system, latent_size=size)))
    return [r for r in runs if r["system"] == system and r.get("cv") == cv
            and _configuration(r["settings"]) == wanted]


def run_missing(args):
    runs = load_runs(args.corpus, kind="accuracy", root=args.out)
    for system in args.systems:
        for size in args.sizes:
            if stored_points(runs, system, size, args.cv):
                continue
            cmd = [sys.executable, str(HERE / "accuracy.py"), "--systems", system, "--corpus", args.corpus,
                   "--cv", args.cv, "--n-jobs", str(args.n_jobs), "--out", str(args.out),
                   "--set", f"latent_size={size}"]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            print("$", " ".join(cmd[1:]), flush=True)
            subprocess.run(cmd, check=True, cwd=HERE)


def sweep_table(runs, systems, sizes, cv):
    """{system: [(size, mean pooled UA, pooled UAs of the runs)]} for the sizes with stored runs."""
    table = {}
    for system in systems:
        points = []
        for size in sizes:
            found = stored_points(runs, system, size, cv)
            if found:
                uas = [r["ua"] for r in found]
                points.append((size, float(np.mean(uas)), uas))
        table[system] = points
    return table


def plot_sweep(table, path, reference=None, title=None):
    """UA against latent size (log 2 axis), one line per system, every run as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for system, points in table.items():
        if not points:
            continue
        sizes = [p[0] for p in points]
        line, = ax.plot(sizes, [p[1] for p in points], marker="o", label=system)
        for size, _, uas in points:
            ax.scatter([size] * len(uas), uas, color=line.get_color(), s=10, alpha=0.5)
    if reference is not None:
        ax.axhline(reference[1], color="grey", linestyle="--", label=f"{reference[0]} ({reference[1]:.3f})")
    ax.set_xscale("log", base=2)
    every = sorted({p[0] for points in table.values() for p in points})
    ax.set_xticks(every, [str(s) for s in every])
    ax.set_xlabel("latent size")
    ax.set_ylabel("pooled UA")
    ax.set_title(title or "latent size sweep")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--corpus", default="emodb")
    parser.add_argument("--cv", default="loso")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plot-only", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results root")
    parser.add_argument("--png", type=Path, default=PNG)
    args = parser.parse_args()
    if not args.plot_only:
        run_missing(args)
    runs = load_runs(args.corpus, kind="accuracy", root=args.out)
    table = sweep_table(runs, args.systems, args.sizes, args.cv)
    baseline = [r["ua"] for r in runs if r["system"] == "baseline" and r.get("cv") == args.cv
                and _configuration(r["settings"]) == _configuration(jsonable(system_settings("baseline")))]
    reference = ("baseline", float(np.mean(baseline))) if baseline else None
    print(f"{'system':18s}" + "".join(f"{s:>8d}" for s in args.sizes))
    for system, points in table.items():
        by_size = {p[0]: p[1] for p in points}
        print(f"{system:18s}" + "".join(f"{by_size[s]:8.3f}" if s in by_size else f"{'-':>8s}"
                                         for s in args.sizes))
    path = plot_sweep(table, args.png, reference, title=f"{args.corpus} {args.cv}: pooled UA against latent size")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
