"""A damaged CSV or JSON that a rule reads stops with a message naming the file and what is wrong."""

import json
import types

import pandas as pd
import pytest

from vaerep.errors import PipelineError
from vaerep.readers import read_csv, read_json

HISTORY = "epoch,loss,rec,kl\n1,120.5,100.2,20.3\n2,110.1,91.0,19.1\n"


def test_a_good_csv_and_json_read_as_pandas_and_json_do(tmp_path):
    (tmp_path / "h.csv").write_text(HISTORY)
    (tmp_path / "m.json").write_text(json.dumps({"neg_elbo": 95.0}))
    pd.testing.assert_frame_equal(read_csv(tmp_path / "h.csv"), pd.read_csv(tmp_path / "h.csv"))
    assert read_json(tmp_path / "m.json") == {"neg_elbo": 95.0}


@pytest.mark.parametrize("content, what", [
    (HISTORY[:-12], r"is truncated: its last line has 2 of 4 fields"),   # cut mid-row by a kill
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", r"is not text"),
    ('epoch,loss\n1,"2\n', r"does not parse"),
    ("", r"is empty"),
    ("  \n", r"is empty"),
])
def test_a_damaged_csv_is_named(tmp_path, content, what):
    path = tmp_path / "runs" / "history.csv"
    path.parent.mkdir()
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    with pytest.raises(PipelineError, match=rf"CSV file {path} {what}"):
        read_csv(path)


@pytest.mark.parametrize("content, what", [
    ('{"neg_elbo": 95.0, "kl"', r"is not valid JSON \(line 1, column 24"),
    ("not json at all", r"is not valid JSON"),
    ("", r"is empty"),
])
def test_a_damaged_json_is_named(tmp_path, content, what):
    path = tmp_path / "eval.json"
    path.write_text(content)
    with pytest.raises(PipelineError, match=rf"JSON file {path} {what}"):
        read_json(path)
    with pytest.raises(PipelineError, match=rf"JSON file {tmp_path / 'nowhere.json'} does not exist"):
        read_json(tmp_path / "nowhere.json")


def test_a_rule_script_reading_a_truncated_csv_names_it(tmp_path, capsys):
    """The forensics table script, run as Snakemake runs it, on a study's rows cut by a kill."""
    import runpy

    from conftest import REPO

    rows = tmp_path / "smvae.csv"
    rows.write_text(HISTORY[:-12])
    smk = types.SimpleNamespace(input=[str(rows)], log=[], rule="forensics", threads=1, wildcards={},
                                output=types.SimpleNamespace(csv=str(tmp_path / "f.csv"), md=str(tmp_path / "f.md")),
                                params=types.SimpleNamespace(scale="smoke"))
    with pytest.raises(SystemExit):
        runpy.run_path(str(REPO / "workflow" / "scripts" / "forensics_table.py"), init_globals={"snakemake": smk})
    assert f"ERROR in rule forensics: CSV file {rows} is truncated" in capsys.readouterr().err
