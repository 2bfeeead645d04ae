"""The time plan as a gate: a run projected beyond the plan's stop_hours stops before training with the plan
and the two ways forward, says so before any timing starts, and a dry run shows the same projection.
Samples/s are injected (VAEREP_PLAN_SAMPLES_PER_S) so that no test times a model for a minute."""

import os
import re

import pytest
import torch
from conftest import run_snakemake as smk

from vaerep import plan

CPU = torch.device("cpu")
SLOW = "50"  # samples/s: `full` then projects weeks, far beyond stop_hours


@pytest.fixture
def slow(monkeypatch):
    monkeypatch.setenv(plan.RATE_ENV, SLOW)
    monkeypatch.setenv("VAEREP_DEVICE", "cpu")


def test_full_on_a_slow_machine_stops_with_the_plan_and_both_ways_forward(tmp_path, slow, capsys):
    config = plan.full_config("full")
    assert plan.gate(config, tmp_path) is False
    out = capsys.readouterr().out
    assert "Time plan for scale=full" in out
    assert "--config scale=cpu" in out and "--config allow_long_run=true" in out
    assert (tmp_path / "plan.json").is_file()


def test_allow_long_run_goes_ahead_and_a_dry_run_never_stops(tmp_path, slow, capsys):
    config = plan.full_config("full", {"allow_long_run": True})
    assert plan.gate(config, tmp_path) is True
    assert "allow_long_run" in capsys.readouterr().out  # the plan is still shown, with the opt-in named
    assert plan.gate(plan.full_config("full"), tmp_path, dry_run=True) is True
    out = capsys.readouterr().out
    assert "Time plan for scale=full" in out and "a real run would stop here" in out


def test_only_the_studies_with_training_left_count(tmp_path, monkeypatch, capsys):
    """At 1,000 samples/s `full` projects about 54 h (stop) but Study C alone 1.6 h: a run whose only pending
    training is Study C's goes ahead and shows C's row alone."""
    monkeypatch.setenv(plan.RATE_ENV, "1000")
    monkeypatch.setenv("VAEREP_DEVICE", "cpu")
    config = plan.full_config("full")
    assert plan.gate(config, tmp_path) is False
    capsys.readouterr()
    assert plan.gate(config, tmp_path, studies={"vqvae"}) is True
    out = capsys.readouterr().out
    assert "vqvae" in out and "smvae" not in out and "latent2d" not in out
    assert plan.gate(config, tmp_path, studies={"vqvae", "smvae"}) is False  # A's 28 h alone is beyond 24 h


def test_a_line_is_printed_before_any_timing_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(plan.RATE_ENV, raising=False)
    printed_before = []

    def fake_measure(job, device, timed_steps, threads=None):
        printed_before.append(capsys.readouterr().out)
        return 1e12

    monkeypatch.setattr(plan, "measure", fake_measure)
    assert plan.gate(plan.full_config("full"), tmp_path, device=CPU) is True  # fast: under every limit
    assert printed_before and "timing a few training steps to project the run time" in printed_before[0]


def test_the_saved_projection_is_reused_for_the_same_settings(tmp_path, monkeypatch, slow, capsys):
    config = plan.full_config("full")
    plan.gate(config, tmp_path, dry_run=True)
    again = lambda *a: pytest.fail("projected again although the plan was saved")  # noqa: E731
    monkeypatch.setattr(plan, "make_plan", again)
    assert plan.gate(config, tmp_path) is False
    assert "reusing the projection" in capsys.readouterr().out
    changed = plan.full_config("full", {"smvae": {"train": {"epochs": 21}}})
    with pytest.raises(pytest.fail.Exception):
        plan.gate(changed, tmp_path)


def test_cpu_scale_is_not_stopped_by_the_same_machine():
    settings = plan.load_settings()
    assert settings["stop_hours"] > settings["warn_hours"]
    rows = [{"study": "smvae", "hours_here": settings["stop_hours"] / 2}]
    assert not plan.stops(rows, {"scale": "cpu"}, settings)
    assert plan.stops([dict(rows[0], hours_here=settings["stop_hours"] * 2)], {"scale": "full"}, settings)


def test_snakemake_full_stops_before_any_job_and_the_dry_run_shows_the_projection(tmp_path):
    env = {**os.environ, plan.RATE_ENV: SLOW, "VAEREP_DEVICE": "cpu"}
    dry = smk(["-n"], tmp_path, env=env, timeout=600)
    assert dry.returncode == 0, dry.stderr[-3000:]
    both = dry.stdout + dry.stderr
    assert "Time plan for scale=full" in both and "a real run would stop here" in both
    assert both.index("time plan: projecting the run time") < both.index("Time plan for scale=full")
    assert re.search(r"^smvae_train\w*\s+\d+$", dry.stdout, re.M)  # the job table is still listed
    real = smk(["--cores", "1"], tmp_path, env=env, timeout=600)
    both = real.stdout + real.stderr
    assert real.returncode != 0
    assert "--config scale=cpu" in both and "--config allow_long_run=true" in both
    assert both.index("reusing the projection") < both.index("Time plan for scale=full")  # the dry run's
    assert not (tmp_path / "data").exists() and not list((tmp_path / "results").rglob("*.pt"))
