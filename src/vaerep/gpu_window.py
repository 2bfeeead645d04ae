"""What a GPU window leaves when its run is stopped by the window's time limit: the studies the run finished (their
record is exported and merged into the committed one) and the studies a later window still has to run.

    python -m vaerep.gpu_window finished --run RUN_ROOT --scale full --studies a,b,c [-- CONFIG_WORDS...]
    python -m vaerep.gpu_window remaining [--root .] [--scale full]
    python -m vaerep.gpu_window pack --run RUN_ROOT --scale full --out resume.tar.gz
    python -m vaerep.gpu_window unpack --run RUN_ROOT --archive resume.tar.gz

``finished`` prints, comma-separated, the studies whose own DAG (``--config studies=[<study>]`` and the run's other
config words) has nothing left to do but the cross-study summary (scorecard, forensics table, front page, usage);
``remaining`` prints the studies of the config that the record does not hold yet (all of them without a record).
``pack`` archives the training runs the stop cut short (their ``checkpoint.pt`` and kept ``epoch_N.pt``: a run
folder without ``model.pt``), the most training time per byte first within ``resume.max_bytes`` (gpu.yaml), and ``unpack`` puts them into a later window's run folder, where each resumes from
its last finished epoch (vaerep.train) when its settings are the same (the same speed-ups: ``SPEEDUPS_FROM``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import record
from .config import REPO_ROOT
from .errors import PipelineError, run_command

CHECKPOINT = "checkpoint.pt"  # vaerep.train.CHECKPOINT (not imported: this module loads no torch)

# Rules every run has whatever its studies: they summarise the studies run, so a study is finished without them.
CROSS_STUDY = {"all", "scorecard", "forensics", "index_report", "usage"}
# The report rules: rendered afterwards on the CPU (no Jupyter on the GPU machine); the scorecard is not one of them.
REPORT_RULES = [r for r in record.REPORT_RULES if r != "scorecard"]


def pending(run_root: Path | str, scale: str, study: str, words: list[str] = ()) -> Counter:
    """The jobs per rule that a dry run of ``study`` alone in ``run_root`` would still run (reports left out)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--directory", str(run_root),
           "-n", "--quiet", "rules", "--cores", "1", "--rerun-incomplete", "--omit-from", *REPORT_RULES,
           "--config", f"scale={scale}", f"studies=[{study}]", "allow_long_run=true", "from_record=true", *words]
    done = subprocess.run(cmd, capture_output=True, text=True)
    out = done.stdout + done.stderr
    if done.returncode != 0:
        raise PipelineError(f"a dry run of {study} in {run_root} failed: {out[-2000:]}")
    return job_stats(out)


def job_stats(output: str) -> Counter:
    """The jobs per rule in the "Job stats" table of a snakemake dry run's output (empty: nothing to do)."""
    counts = Counter()
    for line in output.split("Job stats:", 1)[1].splitlines()[3:] if "Job stats:" in output else []:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


def finished(run_root: Path | str, scale: str, studies: list[str], words: list[str] = ()) -> list[str]:
    """The studies whose DAG in ``run_root`` has nothing left to run but the cross-study summary (a study whose
    dry run fails is not finished; the error goes to stderr)."""
    def left(study):
        try:
            return set(pending(run_root, scale, study, words)) - CROSS_STUDY
        except PipelineError as err:
            print(f"ERROR: {err}", file=sys.stderr)
            return {"(dry run failed)"}

    with ThreadPoolExecutor(max_workers=max(1, len(studies))) as pool:
        return [s for s, rules in zip(studies, pool.map(left, studies)) if not rules]


def remaining(root: Path | str = REPO_ROOT, scale: str = "full") -> list[str]:
    """The config's studies that the record under ``root`` does not hold."""
    from .plan import full_config

    held = {s for run in (record.read(root, scale) or {}).get("runs", []) for s in run["studies"]}
    return [s for s in full_config(scale)["studies"] if s not in held]


def in_progress(run_root: Path | str, scale: str) -> list[Path]:
    """The resume files of every training run under ``run_root``/results/<scale> that has not finished: its
    ``checkpoint.pt`` and kept ``epoch_N.pt`` snapshots (a finished run has written ``model.pt``)."""
    results = Path(run_root) / "results" / scale
    files = []
    for ckpt in sorted(results.rglob(CHECKPOINT)):
        if not (ckpt.parent / "model.pt").exists():
            files += [ckpt, *sorted(ckpt.parent.glob("epoch_*.pt"))]
    return files


def units(files: list[Path]) -> dict[Path, list[Path]]:
    """Resume files grouped into what must travel together: a run folder, or every ``seed<N>`` folder of one parent
    (Study A's seed-batched members resume only together)."""
    groups: dict[Path, list[Path]] = {}
    for path in files:
        folder = path.parent
        key = folder.parent if folder.name.startswith("seed") and folder.name[4:].isdigit() else folder
        groups.setdefault(key, []).append(path)
    return groups


def invested_seconds(folders: set[Path]) -> float:
    """The training time the runs in ``folders`` have put in so far (their history.csv ``seconds``)."""
    import csv

    total = 0.0
    for folder in folders:
        history = folder / "history.csv"
        if history.is_file():
            with open(history, newline="") as fh:
                total += sum(float(row.get("seconds") or 0) for row in csv.DictReader(fh))
    return total


def pack(run_root: Path | str, scale: str, archive: Path | str, max_bytes: int | None = None,
         log=lambda s: None) -> list[str]:
    """Archive the unfinished training runs' resume files (paths relative to ``run_root``): whole units (see
    :func:`units`), the most training time per byte first, in at most ``max_bytes`` (gpu.yaml ``resume.max_bytes``
    by default); none: no archive. A unit left out is named through ``log``."""
    run_root = Path(run_root)
    if max_bytes is None:
        max_bytes = record.settings()["resume"]["max_bytes"]
    chosen, used = [], 0
    ranked = sorted(units(in_progress(run_root, scale)).items(), key=lambda kv: -invested_seconds(
        {p.parent for p in kv[1]}) / max(1, sum(p.stat().st_size for p in kv[1])))
    for key, files in ranked:
        size = sum(p.stat().st_size for p in files)
        if used + size > max_bytes:
            log(f"resume: {key.relative_to(run_root)} left out ({size:,} bytes; {used:,} of {max_bytes:,} used)")
            continue
        chosen += files
        used += size
    names = [p.relative_to(run_root).as_posix() for p in chosen]
    if names:
        with tarfile.open(archive, "w:gz") as tar:
            for name in names:
                tar.add(run_root / name, arcname=name)
    return names


def unpack(run_root: Path | str, archive: Path | str) -> list[str]:
    """Put a packed window's resume files into ``run_root``; a member outside results/ or not a resume file is
    refused (the archive comes from another machine)."""
    try:
        tar = tarfile.open(archive)
    except (OSError, tarfile.TarError) as err:
        raise PipelineError(f"cannot read the resume archive {archive}: {err}") from None
    with tar:
        members = tar.getmembers()
        for m in members:
            name = Path(m.name)
            if not m.isfile() or name.is_absolute() or ".." in name.parts or name.parts[0] != "results" or not (
                    name.name == CHECKPOINT or (name.name.startswith("epoch_") and name.suffix == ".pt")):
                raise PipelineError(f"{archive}: {m.name} is not a training run's resume file")
        try:
            tar.extractall(run_root, members=members, filter="data")
        except TypeError:  # a Python without extraction filters; every member was checked above
            tar.extractall(run_root, members=members)
    return [m.name for m in members]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    fin = sub.add_parser("finished", help="the studies a stopped run finished")
    fin.add_argument("--run", type=Path, required=True, help="the run's working directory")
    fin.add_argument("--studies", required=True, help="the run's studies, comma-separated")
    fin.add_argument("words", nargs="*", help="the run's other --config words (after --)")
    rem = sub.add_parser("remaining", help="the studies the record does not hold yet")
    rem.add_argument("--root", type=Path, default=REPO_ROOT)
    pk = sub.add_parser("pack", help="archive the training runs the stop cut short")
    pk.add_argument("--run", type=Path, required=True)
    pk.add_argument("--out", type=Path, required=True)
    up = sub.add_parser("unpack", help="put an archive of cut-short training runs into a run folder")
    up.add_argument("--run", type=Path, required=True)
    up.add_argument("--archive", type=Path, required=True)
    for p in (fin, rem, pk):
        p.add_argument("--scale", default="full")
    args = ap.parse_args(argv)
    if args.command == "finished":
        print(",".join(finished(args.run, args.scale, args.studies.split(","), args.words)))
    elif args.command == "remaining":
        print(",".join(remaining(args.root, args.scale)))
    elif args.command == "pack":
        names = pack(args.run, args.scale, args.out, log=print)
        print(f"resume: {len(names)} file(s) of {sum(n.endswith(CHECKPOINT) for n in names)} cut-short training "
              f"run(s) packed" + (f" into {args.out}" if names else ""))
    else:
        names = unpack(args.run, args.archive)
        print(f"resume: {len(names)} file(s) restored into {args.run}: " + ", ".join(names))
    return 0


if __name__ == "__main__":
    run_command(main)
