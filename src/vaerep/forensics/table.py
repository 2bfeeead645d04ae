"""The forensics table (issue 11): one row per tested hypothesis, as CSV and Markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# target: the scorecard claim (a substring of it) the row explains; verdict: explains | partly | does not explain.
COLUMNS = ["study", "source", "target", "thesis_value", "hypothesis", "experiment", "measured", "verdict", "reason"]
VERDICTS = ("explains", "partly", "does not explain")


def check(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly COLUMNS; a row with an unknown verdict raises ValueError naming it."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"forensics rows lack the columns {missing}")
    bad = sorted(set(frame["verdict"]) - set(VERDICTS))
    if bad:
        raise ValueError(f"unknown forensics verdict(s) {bad}: choose from {VERDICTS}")
    return frame[COLUMNS]


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def to_markdown(frame: pd.DataFrame) -> str:
    """One Markdown table row per hypothesis."""
    cols = ["source", "target", "thesis_value", "hypothesis", "measured", "verdict", "reason", "experiment"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in check(frame).to_dict("records"):
        lines.append("| " + " | ".join(_cell(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def snippet(title: str, frame: pd.DataFrame, figure: str | Path) -> str:
    """A "Why it differs" Markdown section for a study's report: the table and its figure."""
    counts = check(frame)["verdict"].value_counts()
    summary = ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
    return (f"## {title}\n\n{len(frame)} hypotheses tested: {summary}.\n\n{to_markdown(frame)}\n"
            f"![{title}]({Path(figure).name})\n")
