"""Reading the CSV and JSON files the rules pass on: a missing, empty, truncated or garbled file stops the
job with a PipelineError that names the file and what is wrong with it (not a parser traceback)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from .errors import PipelineError

_ADVICE = "delete it (and rerun the rule that wrote it)"


def _text(path: Path | str, kind: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{kind} file {path} does not exist")
    try:
        text = path.read_text()
    except UnicodeDecodeError as err:
        raise PipelineError(f"{kind} file {path} is not text (byte {err.start}): {_ADVICE}") from None
    if not text.strip():
        raise PipelineError(f"{kind} file {path} is empty: {_ADVICE}")
    return text


def read_csv(path: Path | str, **kwargs) -> pd.DataFrame:
    """``pd.read_csv(path)``, refusing a file that is missing, empty, not text, does not parse, or whose last
    line was cut off (fewer fields than the header and no final newline, as a killed writer leaves it)."""
    text = _text(path, "CSV")
    try:
        frame = pd.read_csv(io.StringIO(text), **kwargs)
    except (pd.errors.ParserError, ValueError) as err:
        raise PipelineError(f"CSV file {path} does not parse ({' '.join(str(err).split())}): {_ADVICE}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not text.endswith("\n") and len(rows) > 1 and len(rows[-1]) < len(rows[0]):
        raise PipelineError(f"CSV file {path} is truncated: its last line has {len(rows[-1])} of "
                            f"{len(rows[0])} fields: {_ADVICE}")
    return frame


def read_json(path: Path | str):
    """``json.load`` of ``path``, refusing a file that is missing, empty, not text or not valid JSON."""
    text = _text(path, "JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PipelineError(f"JSON file {path} is not valid JSON (line {err.lineno}, column {err.colno}: "
                            f"{err.msg}): {_ADVICE}") from None
