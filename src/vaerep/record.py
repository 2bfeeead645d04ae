"""The committed record of a `full` GPU run: what a reader needs from ``results/<scale>`` and
``figures/<scale>`` (no checkpoints), with a provenance file, and the commands that use it.

    python -m vaerep.record export --run RUN_ROOT [--to .] [--scale full] [--wall-seconds S]
    python -m vaerep.record check [--root .] [--scale full]      # the current scorecard code gives the record's
    python -m vaerep.record rebuild [--root .] [--scale full]    # scorecard, front page, reports; no training
    python -m vaerep.record devices --cpu-run CPU_ROOT           # the record's Table 4.1 beside a `cpu` run's
    python -m vaerep.record readme [--root .] [--scale full]     # its verdict counts per study, for the README

``export`` refuses a run whose training did not run on CUDA (``--allow-cpu``: tests only) and one whose files
exceed ``record.max_bytes`` (workflow/config/gpu.yaml). The provenance file ``results/<scale>/record.json``
names the device, torch version, commit, date and wall time of the run, and every file with its SHA-256.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from .config import CONFIG_DIR, REPO_ROOT
from .errors import PipelineError, run_command
from .provenance import write_json
from .studies import STUDIES

PROVENANCE = "record.json"
DEVICES_DIR = "smvae/devices"  # under results/<scale>: Study A's Table 4.1 beside a `cpu` run's (``devices``)


def settings() -> dict:
    """workflow/config/gpu.yaml."""
    return yaml.safe_load((CONFIG_DIR / "gpu.yaml").read_text())


def study_of(rel: str) -> str | None:
    """The study a path under results/<scale> or figures/<scale> belongs to (``<study>/...``,
    ``forensics/<study>/...``, ``forensics/<study>.csv``, ``forensics/<study>_*``), or None for a cross-study file
    (scorecard, forensics table, usage, plan)."""
    parts = rel.split("/")
    name = parts[1] if parts[0] == "forensics" and len(parts) > 1 else parts[0]
    return next((s for s in STUDIES if name == s or name.startswith((f"{s}.", f"{s}_"))), None)


def record_files(root: Path, scale: str, cfg: dict, studies: list[str] | None = None) -> list[Path]:
    """The files of a run under ``root`` (results/<scale>, figures/<scale>) that belong in its record; with
    ``studies``, only those studies' files and the cross-study ones."""
    files = []
    for top in (root / "results" / scale, root / "figures" / scale):
        for path in sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []:
            rel = path.relative_to(top).as_posix()
            if path.name == PROVENANCE and top.parent.name == "results":
                continue
            if studies is not None and study_of(rel) not in (None, *studies):
                continue
            if any(fnmatch.fnmatch(path.name, pat) for pat in cfg["include"]) and \
                    not any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(path.name, pat) for pat in cfg["exclude"]):
                files.append(path)
    return files


def provenance(root: Path, scale: str, wall_seconds: float | None = None, study: str | None = None,
               studies: list[str] | None = None) -> dict:
    """Device, torch version, commit, dates and wall time of the run under ``root`` (or of one ``study`` of it,
    its own folder; or of some ``studies``, their forensics runs included), from its train_meta.json files and its
    usage table."""
    results = root / "results" / scale
    runs = results / study if study else results
    metas = sorted(runs.rglob("train_meta.json"))
    if studies is not None:
        metas = [p for p in metas if study_of(p.relative_to(results).as_posix()) in studies]
    envs = [json.loads(p.read_text()).get("environment", {}) for p in metas]
    if not envs:
        raise PipelineError(f"{runs} holds no train_meta.json{f' of {studies}' if studies else ''}: not a finished "
                            "run folder")

    def values(key):
        return sorted({str(e.get(key)) for e in envs if e.get(key) is not None})

    if wall_seconds is None and study is None and studies is None:  # the usage table times the whole run
        usage = results / "usage_jobs.csv"
        if usage.is_file():
            jobs = pd.read_csv(usage)
            end = pd.to_datetime(jobs["finished"], utc=True)
            start = end - pd.to_timedelta(jobs["wall_s"], unit="s")
            wall_seconds = float((end.max() - start.min()).total_seconds())
    return {"scale": scale, "devices": values("device"), "device_names": values("device_name"),
            "torch": values("torch"), "python": values("python"), "commits": values("git_commit"),
            "hosts": values("hostname"), "first_run_utc": min(values("time_utc"), default=None),
            "last_run_utc": max(values("time_utc"), default=None), "training_runs": len(envs),
            "wall_seconds": wall_seconds, "exported_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(run_root: Path | str, dest_root: Path | str = REPO_ROOT, scale: str = "full", *,
           wall_seconds: float | None = None, allow_cpu: bool = False, merge: bool = False,
           studies: list[str] | None = None) -> dict:
    """Copy the record of the run under ``run_root`` to ``dest_root``/results|figures/<scale> (replacing any
    record there, or with ``merge`` adding to it: a study group's run) and write its provenance file; returns the
    provenance. ``studies`` exports only those studies of the run (the ones a run stopped by its time limit
    finished). A merged or partial record's forensics table, usage table and scorecard are made again over every
    study it holds."""
    cfg = settings()["record"]
    run_root, dest_root = Path(run_root).resolve(), Path(dest_root).resolve()
    if studies is not None:
        unknown = sorted(set(studies) - set(STUDIES))
        if unknown or not studies:
            raise PipelineError(f"export --studies {','.join(studies)}: {unknown or 'none'} not among {list(STUDIES)}")
    info = provenance(run_root, scale, wall_seconds, studies=studies)
    off = [d for d in info["devices"] if not d.startswith(cfg["device"])]
    if off and not allow_cpu:
        raise PipelineError(f"the run under {run_root} trained on {off}, not on {cfg['device']}: a record must "
                            "come from a GPU run (--allow-cpu is for tests)")
    files = record_files(run_root, scale, cfg, studies)
    size = sum(p.stat().st_size for p in files)
    if size > cfg["max_bytes"]:
        largest = ", ".join(f"{p.relative_to(run_root)} {p.stat().st_size:,}"
                            for p in sorted(files, key=lambda p: -p.stat().st_size)[:5])
        raise PipelineError(f"the record would hold {size:,} bytes, over record.max_bytes = {cfg['max_bytes']:,} "
                            f"(largest: {largest})")
    earlier = (read(dest_root, scale) or {}).get("runs", []) if merge else []
    before = _run_summaries(dest_root / "results" / scale) if earlier else {}
    if run_root != dest_root:
        if not merge:
            for top in ("results", "figures"):
                shutil.rmtree(dest_root / top / scale, ignore_errors=True)
        for path in files:
            rel = path.relative_to(run_root)
            (dest_root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest_root / rel)
    run = {k: v for k, v in info.items() if k != "scale"}
    results = run_root / "results" / scale
    run["studies"] = sorted({p.relative_to(results).parts[0] for p in files if results in p.parents}
                            & set(STUDIES))
    record = {"scale": scale, "runs": earlier + [run]}
    if earlier or studies is not None:
        _summarise(dest_root, scale, record, before)
    return _seal(dest_root, scale, record, cfg)


def _run_summaries(results: Path) -> dict:
    """A record's per-run summaries that a merge combines: its jobs (usage_jobs.csv) and its plan (plan.json)."""
    jobs, plan = results / "usage_jobs.csv", results / "plan.json"
    return {"jobs": pd.read_csv(jobs) if jobs.is_file() else None,
            "plan": json.loads(plan.read_text()) if plan.is_file() else None}


def _summarise(root: Path, scale: str, record: dict, before: dict) -> None:
    """Make the cross-study files of a record put together from several runs again, over every study it holds:
    the forensics table (from each study's forensics rows), the usage table (each run's jobs of the studies it
    exported, and of the data and summary rules), the plan (each study's projection from the run that exported it)
    beside the measured times, and the scorecard (which reads the forensics table)."""
    from . import usage
    from .forensics import table as ftable
    from .plan import compare, full_config
    from .scorecard_run import write

    results = root / "results" / scale
    held = {s for run in record["runs"] for s in run["studies"]}
    parts = [results / "forensics" / f"{s}.csv" for s in full_config(scale)["studies"] if s in held]
    parts = [p for p in parts if p.is_file()]
    for name in ("forensics.csv", "forensics.md"):
        (results / name).unlink(missing_ok=True)
    if parts:
        ftable.write(parts, results / "forensics.csv", results / "forensics.md", scale)
    now = _run_summaries(results)
    exported = set(record["runs"][-1]["studies"])
    if now["jobs"] is not None and "path" in now["jobs"]:  # this run's jobs of the studies it exported, and the rest
        prefix = f"results/{scale}/"
        keep = [not p.startswith(prefix) or study_of(p[len(prefix):]) in (None, *exported)
                for p in now["jobs"]["path"].astype(str)]
        now["jobs"] = now["jobs"][keep]
    jobs = [j for j in (before.get("jobs"), now["jobs"]) if j is not None]
    if jobs:
        usage.write(pd.concat(jobs, ignore_index=True).drop_duplicates(), results / "usage_jobs.csv",
                    results / "usage.csv", results / "usage.md", scale)
    plans = [p for p in (before.get("plan"), now["plan"]) if p]
    if plans:
        rows = {r["study"]: r for r in plans[0]["studies"]}
        rows.update({r["study"]: r for r in plans[-1]["studies"] if r["study"] in exported or r["study"] not in held})
        order = full_config(scale)["studies"]
        write_json(results / "plan.json", {**plans[-1], "studies": sorted(rows.values(),
                                                                          key=lambda r: order.index(r["study"]))})
        (results / "plan_vs_measured.txt").write_text(compare(results) + "\n")
    write(rescore(root, scale, record), results, scale)


def _seal(root: Path, scale: str, record: dict, cfg: dict) -> dict:
    """Write the provenance file: the runs, and every record file with its size and SHA-256."""
    files = record_files(root, scale, cfg)
    size = sum(p.stat().st_size for p in files)
    if size > cfg["max_bytes"]:
        raise PipelineError(f"the record holds {size:,} bytes, over record.max_bytes = {cfg['max_bytes']:,}")
    record.update({"files": len(files), "bytes": size,
                   "manifest": {p.relative_to(root).as_posix(): _sha256(p) for p in files}})
    write_json(root / "results" / scale / PROVENANCE, record)
    return record


def read(root: Path | str = REPO_ROOT, scale: str = "full") -> dict | None:
    """The record's provenance, or None when no record is committed."""
    path = Path(root) / "results" / scale / PROVENANCE
    return json.loads(path.read_text()) if path.is_file() else None


def rescore(root: Path | str = REPO_ROOT, scale: str = "full", info: dict | None = None) -> pd.DataFrame:
    """The scorecard that the current code and config give on the record's tables."""
    from .plan import full_config
    from .scorecard_run import build, discover

    results = Path(root) / "results" / scale
    info = info or read(root, scale)
    if info is None:
        raise PipelineError(f"no record at {results / PROVENANCE}")
    config = full_config(scale)
    held = {s for run in info["runs"] for s in run["studies"]}
    studies = [s for s in config["studies"] if s in held]
    found = discover(results, studies)
    sections = {s: config[s] for s in studies}
    main = config["latent2d"]["main_variant"] if "latent2d" in studies else None
    return build(results, scale, studies, config["scorecard"], sections, main, **found)


def check(root: Path | str = REPO_ROOT, scale: str = "full") -> list[str]:
    """Differences between the record's files and its manifest, and between its scorecard and the one the
    current code gives on its tables (empty: the record stands)."""
    root = Path(root)
    info = read(root, scale)
    if info is None:
        raise PipelineError(f"no record at {root / 'results' / scale / PROVENANCE}")
    problems = [f"{rel}: changed since export" for rel, digest in info["manifest"].items()
                if not (root / rel).is_file() or _sha256(root / rel) != digest]
    recorded = pd.read_csv(root / "results" / scale / "scorecard.csv", keep_default_na=False)
    fresh = rescore(root, scale)
    tmp = root / "results" / scale / ".scorecard.check.csv"
    fresh.to_csv(tmp, index=False)
    fresh = pd.read_csv(tmp, keep_default_na=False)
    tmp.unlink()
    if list(fresh.columns) != list(recorded.columns) or len(fresh) != len(recorded):
        problems.append(f"scorecard: the current code gives {len(fresh)} rows x {list(fresh.columns)}, the record "
                        f"{len(recorded)} x {list(recorded.columns)}")
    else:
        diff = (fresh.astype(str) != recorded.astype(str)).any(axis=1)
        for i in diff[diff].index[:20]:
            cols = [c for c in fresh.columns if str(fresh.at[i, c]) != str(recorded.at[i, c])]
            problems.append(f"scorecard row {i} ({recorded.at[i, 'claim']}): "
                            + "; ".join(f"{c} {recorded.at[i, c]!r} -> {fresh.at[i, c]!r}" for c in cols))
    out = root / "results" / scale / DEVICES_DIR
    if (out / "table_4_1_devices.csv").is_file():
        _, markdown = device_comparison(root, scale)
        if markdown != (out / "table_4_1_devices.md").read_text():
            problems.append(f"{DEVICES_DIR}/table_4_1_devices.md: the current code and config compare the devices "
                            "otherwise (python -m vaerep.record devices)")
    return problems


def devices(cpu_root: Path | str, root: Path | str = REPO_ROOT, scale: str = "full", cpu_scale: str = "cpu", *,
            allow_cpu: bool = False) -> dict:
    """Set the record's Table 4.1 (GPU) beside the one a `cpu` run under ``cpu_root`` made, cell by cell, and add
    the comparison to the record: ``results/<scale>/smvae/devices/`` holds the CPU table, its provenance and the
    comparison (CSV and Markdown). Returns the comparison's counts."""
    from .smvae import device_agreement as agreement

    root, cpu_root = Path(root), Path(cpu_root)
    info = read(root, scale)
    if info is None:
        raise PipelineError(f"no record at {root / 'results' / scale / PROVENANCE}: export a GPU run first")
    gpu_table = root / "results" / scale / "smvae" / "table_4_1.csv"
    cpu_table = cpu_root / "results" / cpu_scale / "smvae" / "table_4_1.csv"
    for path, what in ((gpu_table, "the record holds no Study A"), (cpu_table, f"no `{cpu_scale}` run of Study A")):
        if not path.is_file():
            raise PipelineError(f"{path} is missing: {what} Table 4.1")
    cpu_info = provenance(cpu_root, cpu_scale, study="smvae")
    gpu_devices = sorted({d for run in info["runs"] if "smvae" in run["studies"] for d in run["devices"]})
    on_gpu = gpu_devices and all(d.startswith(settings()["record"]["device"]) for d in gpu_devices)
    if not allow_cpu and (not on_gpu or any(d != "cpu" for d in cpu_info["devices"])):
        raise PipelineError(f"a device comparison needs the record's Study A from a GPU (it ran on {gpu_devices}) "
                            f"and the runs under {cpu_table.parent} from the CPU (they ran on {cpu_info['devices']})")
    out = root / "results" / scale / DEVICES_DIR
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cpu_table, out / "table_4_1_cpu.csv")
    write_json(out / "cpu_provenance.json", {**cpu_info, "scale": cpu_scale})
    table, markdown = device_comparison(root, scale)
    table.to_csv(out / "table_4_1_devices.csv", index=False)
    (out / "table_4_1_devices.md").write_text(markdown)
    _seal(root, scale, info, settings()["record"])
    return agreement.summary(table, _device_settings(scale)["noise_k"])


def _device_settings(scale: str) -> dict:
    from .reports import settings_at

    return settings_at(scale, "smvae")["device_agreement"]


def device_comparison(root: Path | str = REPO_ROOT, scale: str = "full") -> tuple[pd.DataFrame, str]:
    """The comparison (table and Markdown) that the current code and config make from the record's Table 4.1
    and the CPU table stored beside it."""
    from .smvae import device_agreement as agreement

    root, cfg = Path(root), _device_settings(scale)
    out = root / "results" / scale / DEVICES_DIR
    gpu = pd.read_csv(root / "results" / scale / "smvae" / "table_4_1.csv")
    cpu = pd.read_csv(out / "table_4_1_cpu.csv")
    table = agreement.compare(gpu, cpu, cfg["terms"], cfg["noise_k"])
    cpu_info = json.loads((out / "cpu_provenance.json").read_text())
    cpu_names = ", ".join(cpu_info["device_names"]) or "the CPU"
    gpu_names = ", ".join(sorted({n for run in (read(root, scale) or {}).get("runs", []) if "smvae" in run["studies"]
                                  for n in run["device_names"]})) or "the GPU"
    markdown = agreement.to_markdown(table, cfg["noise_k"], f"`{scale}` on {gpu_names}",
                                   f"`{cpu_info['scale']}` on {cpu_names}")
    return table, markdown


def readme_table(root: Path | str = REPO_ROOT, scale: str = "full") -> str:
    """The record's verdict counts per study, with the run it came from, as the README shows them."""
    from .scorecard import counts_markdown

    info = read(root, scale)
    if info is None:
        raise PipelineError(f"no record at {Path(root) / 'results' / scale / PROVENANCE}")
    card = pd.read_csv(Path(root) / "results" / scale / "scorecard.csv", keep_default_na=False)
    runs = info["runs"]
    names = ", ".join(sorted({n for run in runs for n in run["device_names"]}))
    commits = ", ".join(sorted({c[:7] + ("-dirty" if c.endswith("-dirty") else "") for run in runs
                                for c in run["commits"]}))
    dates = sorted(run["last_run_utc"][:10] for run in runs if run.get("last_run_utc"))
    wall = sum(run["wall_seconds"] or 0 for run in runs)
    return (f"Verdicts of the `{scale}` record ({names}, {dates[-1] if dates else 'undated'}, commit {commits}, "
            f"{len(card)} rows, {len(runs)} window{'s' * (len(runs) != 1)}, {wall / 60:.1f} min of run wall time):\n\n"
            + counts_markdown(card))


REPORT_RULES = ["scorecard", "index_report", "smvae_report", "dsprites_beta_report", "vqvae_report",
                "latent2d_report"]


def rebuild(root: Path | str = REPO_ROOT, scale: str = "full", cores: int = 2, extra: list[str] = ()) -> int:
    """Rebuild the scorecard, the front page and the study reports from the record with snakemake, training
    nothing (only the report rules may run; every other output is taken as the record holds it)."""
    info = read(root, scale)
    if info is None:
        raise PipelineError(f"no record at {Path(root) / 'results' / scale / PROVENANCE}")
    from .plan import full_config

    held = {s for run in info["runs"] for s in run["studies"]}
    studies = [s for s in full_config(scale)["studies"] if s in held]
    targets = [f"results/{scale}/{name}" for name in ("scorecard.csv", "index.html")]
    targets += [f"results/{scale}/{s}/report.html" for s in studies]
    cmd = [sys.executable, "-m", "snakemake", *targets, "-s", str(REPO_ROOT / "Snakefile"), "--directory", str(root),
           "--cores", str(cores), *extra, "--config", f"scale={scale}", f"studies=[{','.join(studies)}]",
           "from_record=true",
           "--allowed-rules", *REPORT_RULES, "--forcerun", *REPORT_RULES]
    print(" ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="copy a run's record here with its provenance")
    ex.add_argument("--run", type=Path, required=True, help="the run's working directory (holds results/<scale>)")
    ex.add_argument("--to", type=Path, default=REPO_ROOT)
    ex.add_argument("--wall-seconds", type=float, default=None, help="the run's wall time (else from its usage table)")
    ex.add_argument("--allow-cpu", action="store_true", help="export a run not made on CUDA (tests only)")
    ex.add_argument("--merge", action="store_true", help="add a study group's run to the record (rescored)")
    ex.add_argument("--studies", default=None, help="export only these studies of the run (comma-separated)")
    dv = sub.add_parser("devices", help="set the record's Table 4.1 beside a `cpu` run's, cell by cell")
    dv.add_argument("--cpu-run", type=Path, required=True, help="the `cpu` run's working directory")
    dv.add_argument("--cpu-scale", default="cpu")
    dv.add_argument("--allow-cpu", action="store_true", help="compare a record not made on CUDA (tests only)")
    for name in ("check", "rebuild"):
        sub.add_parser(name)
    sub.add_parser("readme", help="print the record's verdict counts per study, as the README shows them")
    for p in (sub.choices[name] for name in ("check", "rebuild", "devices", "readme")):
        p.add_argument("--root", type=Path, default=REPO_ROOT, help="the repository holding the record")
    rb = sub.choices["rebuild"]
    rb.add_argument("--cores", type=int, default=2)
    for p in sub.choices.values():
        p.add_argument("--scale", default="full")
    args = ap.parse_args(argv)
    if args.command == "export":
        info = export(args.run, args.to, args.scale, wall_seconds=args.wall_seconds, allow_cpu=args.allow_cpu,
                      merge=args.merge, studies=args.studies.split(",") if args.studies else None)
        run = info["runs"][-1]
        print(f"record: {info['files']} files, {info['bytes']:,} bytes; this run: {run['studies']} on "
              f"{run['device_names']}, torch {run['torch']}, commit {run['commits']}, wall {run['wall_seconds']} s "
              f"-> {args.to}/results/{args.scale}")
        return 0
    if args.command == "check":
        problems = check(args.root, args.scale)
        print("\n".join(problems) if problems else "the record stands: its scorecard is what the current code gives")
        return 1 if problems else 0
    if args.command == "devices":
        counts = devices(args.cpu_run, args.root, args.scale, args.cpu_scale, allow_cpu=args.allow_cpu)
        chance = "none judged" if counts["agrees"] + counts["differs"] == 0 else \
            f"chance alone: about {counts['chance_differs']:.1f}"
        print(f"Table 4.1 on both devices: {counts['agrees']} of {counts['cells']} cells agree, {counts['differs']} "
              f"differ ({chance}), {counts['not_measured']} not measured -> {args.root}/results/{args.scale}/"
              f"{DEVICES_DIR}")
        return 0
    if args.command == "readme":
        print(readme_table(args.root, args.scale), end="")
        return 0
    return rebuild(args.root, args.scale, args.cores)


if __name__ == "__main__":
    run_command(main)
