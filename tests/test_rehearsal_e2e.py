"""The full-size rehearsal end to end: every rule of the `full` scale runs at full sizes with its
training cut to a few steps. It takes longer than CI allows on 2 cores (see docs/performance.md, "Full-size rehearsal"), so it
is opt-in: `python -m pytest -m rehearsal` (deselected by default)."""

import re

import pandas as pd
import pytest
from conftest import require_mnist
from conftest import run_snakemake as smk


def rules_of(dry_run_stdout: str) -> set[str]:
    """The rules a dry run's job table lists."""
    table = dry_run_stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1] for m in re.finditer(r"^(\w+)\s+\d+\s*$", table, re.MULTILINE)}


@pytest.mark.rehearsal
def test_rehearsal_runs_every_rule_of_full_and_records_its_usage(tmp_path):
    mnist = require_mnist()
    planned = smk(["-n", "--config", "scale=full"], tmp_path, mnist)
    assert planned.returncode == 0, planned.stderr[-3000:]
    run = smk(["--cores", "all", "--config", "scale=rehearsal"], tmp_path, mnist, timeout=3 * 3600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    used = pd.read_csv(tmp_path / "results/rehearsal/usage.csv")
    # every rule of the full scale ran (the checkpoint's downstream rules appear only after it ran: compare
    # against the full DAG minus the target rule `all` and the usage table itself)
    assert rules_of(planned.stdout) - {"all", "usage"} <= set(used["rule"]), \
        rules_of(planned.stdout) - set(used["rule"])
    assert (used["peak_rss_mib"] > 0).all() and (used["wall_total_s"] > 0).all()
    card = pd.read_csv(tmp_path / "results/rehearsal/scorecard.csv")
    assert set(card["verdict"]) == {"not comparable"} and set(card["scale"]) == {"rehearsal"}
