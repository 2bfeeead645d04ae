"""The forensics table: one row per tested hypothesis, as CSV and Markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# claim_id: the scorecard row the hypothesis is about (a claim ID), or every row under an ID prefix (vaerep.claim.covers);
# target: that row's claim in words; verdict: explains | partly | does not explain
# (vaerep.forensics.control). baseline: the control the hypothesis is judged against; measured: the hypothesis's
# value; move: how far it moves the number toward the thesis; noise: what the move must exceed.
COLUMNS = ["study", "source", "claim_id", "target", "thesis_value", "hypothesis", "experiment", "baseline", "measured", "move",
           "noise", "verdict", "reason"]
VERDICTS = ("explains", "partly", "does not explain")


def check(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly COLUMNS; a row with an unknown verdict raises ValueError naming it."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"forensics rows lack the columns {missing}")
    blank = frame["claim_id"].isna() | (frame["claim_id"].astype(str).str.strip() == "")
    if blank.any():
        raise ValueError(f"forensics rows without a claim_id (they would explain no scorecard row): "
                         f"{frame.loc[blank, 'hypothesis'].tolist()}")
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
    cols = ["source", "target", "thesis_value", "hypothesis", "baseline", "measured", "move", "noise", "verdict", "reason",
            "experiment"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in check(frame).to_dict("records"):
        lines.append("| " + " | ".join(_cell(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def counts(frame: pd.DataFrame) -> str:
    """"n explains, n partly, n does not explain"."""
    n = frame["verdict"].value_counts()
    return ", ".join(f"{n.get(v, 0)} {v}" for v in VERDICTS)


def tried(frame: pd.DataFrame) -> str:
    """How many hypotheses were tried per table (study and source), with their verdicts: an *explains* is one
    of that many tries."""
    lines = ["| study | source | hypotheses tried | verdicts |", "|---|---|---|---|"]
    for (study, source), part in check(frame).groupby(["study", "source"], sort=False):
        lines.append(f"| {_cell(study)} | {_cell(source)} | {len(part)} | {counts(part)} |")
    return "\n".join(lines) + "\n"


def snippet(title: str, frame: pd.DataFrame, figure: str | Path) -> str:
    """A "Why it differs" Markdown section for a study's report: the hypotheses tried per table, the table and
    its figure."""
    return (f"## {title}\n\n{len(frame)} hypotheses tested: {counts(check(frame))}.\n\n{tried(frame)}\n"
            f"{to_markdown(frame)}\n![{title}]({Path(figure).name})\n")


RULE = ("A hypothesis *explains* a thesis number only when the baseline misses it, the hypothesis moves it toward "
        "the thesis by more than the noise (`noise`: k × the between-seed spread, or the measured control named in "
        "the row) and the result lands; *partly*: a move beyond the noise that does not land; otherwise *does not "
        "explain* (docs/forensics.md).")


def write(parts: list[str | Path], csv: str | Path, md: str | Path, scale: str) -> pd.DataFrame:
    """Every study's forensics rows (``parts``: one CSV per study) as one table, ``csv`` and ``md``."""
    from ..readers import read_csv

    text = {c: str for c in ("baseline", "measured", "move", "noise")}  # "+0.97" stays a signed text cell
    frame = check(pd.concat([read_csv(p, dtype=text) for p in parts], ignore_index=True))
    frame.to_csv(csv, index=False)
    head = (f"# Why the numbers differ (scale {scale})\n\n{len(frame)} hypotheses tested: "
            f"{counts(frame)}.\n\n{RULE}\n\nHypotheses tried per table:\n\n{tried(frame)}\n")
    Path(md).write_text(head + to_markdown(frame))
    return frame
