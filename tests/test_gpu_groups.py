"""The study groups of workflow/config/gpu.yaml split `full`: each group's DAG is complete on its own (a dry run
in an empty folder needs nothing from another group), and between them the groups run every job of the whole
`full` DAG exactly once, except the rules every run has (data, the cross-study summary), which each repeats."""

from collections import Counter

import pytest
import yaml

from conftest import REPO, run_snakemake
from vaerep import gpu_window

GROUPS = yaml.safe_load((REPO / "workflow" / "config" / "gpu.yaml").read_text())["groups"]
# Rules a run of any subset of studies has: MNIST, the cross-study summary and the forensics table of the studies run.
EVERY_RUN = {"mnist", "forensics", "scorecard", "index_report", "usage", "all"}


def job_counts(workdir, studies=None) -> Counter:
    config = ["scale=full"] + ([f"studies=[{','.join(studies)}]"] if studies else [])
    run = run_snakemake(["-n", "--quiet", "rules", "--config", *config], workdir, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    counts = gpu_window.job_stats(run.stdout + run.stderr)
    assert counts, "the dry run printed no job stats"
    return counts


@pytest.fixture(scope="module")
def dags(tmp_path_factory):
    whole = job_counts(tmp_path_factory.mktemp("whole"))
    return whole, [job_counts(tmp_path_factory.mktemp(f"group{i}"), g) for i, g in enumerate(GROUPS, 1)]


def test_groups_list_every_study_once():
    config = yaml.safe_load((REPO / "workflow" / "config" / "config.yaml").read_text())
    studies = [s for g in GROUPS for s in g]
    assert sorted(studies) == sorted(config["studies"]) and len(set(studies)) == len(studies)


def test_groups_cover_the_full_dag_exactly_once(dags):
    whole, groups = dags
    assert sum(whole.values()) > 150  # the `full` DAG (186 jobs before the checkpoint adds C4's)
    shared = {rule for rule in whole if sum(1 for g in groups if rule in g) > 1}
    assert shared <= EVERY_RUN, shared - EVERY_RUN
    for rule, n in whole.items():
        if rule not in EVERY_RUN:
            assert sum(g[rule] for g in groups) == n, rule
    for g in groups:
        assert set(g) - EVERY_RUN and set(g) <= set(whole)
