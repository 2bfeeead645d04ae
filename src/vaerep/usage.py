"""Resource usage of a run: the per-job records that :func:`vaerep.scriptio.run` keeps beside each log,
gathered into one table per rule (wall time, CPU time, peak memory; results/<scale>/usage.{csv,md})."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from .errors import PipelineError
from .readers import read_json

JOB_COLUMNS = ["rule", "job", "threads", "wall_s", "cpu_s", "peak_rss_mib", "cuda_max_allocated_mib", "device",
               "finished", "path"]  # path: the job's usage record, as found under the roots given


def jobs(roots: list[str | Path]) -> pd.DataFrame:
    """One row per ``*.usage.json`` found under ``roots`` (folders that do not exist are skipped)."""
    rows = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.usage.json")) if Path(root).is_dir() else []:
            try:
                rec = read_json(path)
            except PipelineError as err:
                raise ValueError(f"unreadable usage record: {err}") from None
            job = ",".join(f"{k}={v}" for k, v in (rec.get("wildcards") or {}).items())
            rows.append({**{c: rec.get(c) for c in JOB_COLUMNS}, "job": job or "-", "path": path.as_posix()})
    return pd.DataFrame(rows, columns=JOB_COLUMNS)


def per_rule(frame: pd.DataFrame) -> pd.DataFrame:
    """Jobs, summed and longest wall time, summed CPU time, and the largest peak memory of each rule,
    longest total wall time first."""
    if frame.empty:
        return pd.DataFrame(columns=["rule", "jobs", "wall_total_s", "wall_max_s", "cpu_total_s",
                                     "peak_rss_max_mib", "cuda_max_allocated_mib", "device"])
    out = frame.groupby("rule").agg(jobs=("job", "size"), wall_total_s=("wall_s", "sum"),
                                    wall_max_s=("wall_s", "max"), cpu_total_s=("cpu_s", "sum"),
                                    peak_rss_max_mib=("peak_rss_mib", "max"),
                                    cuda_max_allocated_mib=("cuda_max_allocated_mib", "max"),
                                    device=("device", lambda d: ", ".join(sorted(set(map(str, d))))))
    return out.sort_values("wall_total_s", ascending=False).reset_index()


def to_markdown(table: pd.DataFrame, title: str) -> str:
    """The per-rule table as Markdown, with the totals on its last line."""
    cols = ["rule", "jobs", "wall_total_s", "wall_max_s", "cpu_total_s", "peak_rss_max_mib", "cuda_max_allocated_mib",
            "device"]

    def cell(v):
        if isinstance(v, float):
            return "–" if pd.isna(v) else f"{v:,.1f}"
        return str(v)

    lines = [f"# {title}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for r in table.to_dict("records")]
    if len(table):
        lines.append(f"| **all** | {int(table['jobs'].sum())} | {table['wall_total_s'].sum():,.1f} | "
                     f"{table['wall_max_s'].max():,.1f} | {table['cpu_total_s'].sum():,.1f} | "
                     f"{table['peak_rss_max_mib'].max():,.1f} | {cell(float(table['cuda_max_allocated_mib'].max()))} | |")
    return "\n".join(lines) + "\n"


def write(frame: pd.DataFrame, jobs_csv: str | Path, csv: str | Path, md: str | Path, scale: str) -> pd.DataFrame:
    """Write the jobs (``jobs_csv``) and the per-rule table (``csv``, ``md``); returns the per-rule table."""
    table = per_rule(frame)
    frame.to_csv(jobs_csv, index=False)
    table.to_csv(csv, index=False)
    Path(md).write_text(to_markdown(table, f"Resource usage per rule (scale `{scale}`)"))
    return table


def main(argv=None) -> int:
    """``python -m vaerep.usage SCALE``, in a run folder: its usage tables (results/<scale>/usage*), as rule
    ``usage`` writes them, without waiting for the reports."""
    scale = (argv if argv is not None else sys.argv[1:])[0]
    results = Path("results") / scale
    frame = jobs([results, "data/logs"])
    table = write(frame, results / "usage_jobs.csv", results / "usage.csv", results / "usage.md", scale)
    print(f"usage: {len(frame)} jobs of {len(table)} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
