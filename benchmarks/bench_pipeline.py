"""Wall time of the whole pipeline, per study and in total: runs ``snakemake --cores N --config scale=S
studies=[<study>]`` once per study, one after another, in the current working directory, and prints a
table (also written to ``results/<scale>/walltime.csv``). Outputs already up to date cost nothing, so
run it on a clean ``results/<scale>`` for a full measure (``--forceall`` forces every job).

    python benchmarks/bench_pipeline.py --scale smoke --cores 2
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUDIES = ["smvae", "dsprites_beta", "vqvae", "latent2d"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="smoke", choices=["smoke", "cpu", "full"])
    ap.add_argument("--cores", default="all")
    ap.add_argument("--studies", nargs="+", default=STUDIES)
    ap.add_argument("--forceall", action="store_true", help="rerun every job even if its outputs exist")
    ap.add_argument("--final", action="store_true",
                    help="afterwards run the whole workflow once more (cross-study rules: scorecard, index)")
    args = ap.parse_args()
    rows = []
    # each study alone (the cross-study rules left out), then the scorecard and front page over all of them;
    # walltime.csv is written before that last step, so the front page shows the per-study times
    for study in args.studies:
        if not run_step(study, ["--config", f"scale={args.scale}", f"studies=[{study}]", "--omit-from", "scorecard"],
                        rows, args):
            return 1
    write_table(rows, args)
    if args.final and not run_step("cross-study (scorecard, index)", ["--config", f"scale={args.scale}"], rows, args):
        return 1
    total = sum(r["seconds"] for r in rows)
    print(f"{'total':32s} {total / 60:7.2f} min  (scale {args.scale}, --cores {args.cores}, "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()})")
    print(f"wrote {write_table(rows, args)}")
    return 0


def run_step(name: str, extra: list[str], rows: list[dict], args) -> bool:
    """Run one snakemake invocation, time it, append its row; False (with the error's tail) if it failed."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", str(args.cores),
           *extra] + (["--forceall"] if args.forceall else [])
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-4000:])
        print(f"{name}: FAILED after {seconds:.0f} s", file=sys.stderr)
        return False
    rows.append({"study": name, "seconds": round(seconds, 1)})
    print(f"{name:32s} {seconds / 60:7.2f} min", flush=True)
    return True


def write_table(rows: list[dict], args) -> Path:
    """results/<scale>/walltime.csv: one row per step measured so far, and their total."""
    out = Path("results") / args.scale / "walltime.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    total = {"study": "total", "seconds": round(sum(r["seconds"] for r in rows), 1)}
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, ["study", "seconds", "cores", "cpus"])
        writer.writeheader()
        for r in rows + [total]:
            writer.writerow({**r, "cores": args.cores, "cpus": os.cpu_count()})
    return out


if __name__ == "__main__":
    raise SystemExit(main())
