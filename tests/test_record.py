"""The record of a `full` GPU run (vaerep.record): the committed record's scorecard is what the current scorecard
code gives on its tables; export, check, merge and rebuild exercised on a smoke run's record in a temp folder."""

import json
import shutil

import pandas as pd
import pytest

from conftest import REPO
from vaerep import record
from vaerep.errors import PipelineError


def test_committed_record_is_what_the_current_scorecard_code_gives():
    if record.read(REPO, "full") is None:
        pytest.skip("no `full` record is committed yet: the next GPU session makes it (docs/gpu.md)")
    assert record.check(REPO, "full") == []


def test_check_and_readme_without_a_record_say_so(tmp_path):
    for command in (record.check, record.readme_table):
        with pytest.raises(PipelineError, match="no record at"):
            command(tmp_path, "full")


def test_the_readme_shows_the_committed_records_verdict_counts():
    if record.read(REPO, "full") is None:
        pytest.skip("no `full` record is committed yet: the next GPU session makes it (docs/gpu.md)")
    assert record.readme_table(REPO, "full") in (REPO / "README.md").read_text()


@pytest.fixture(scope="module")
def smoke_record(smoke_run, tmp_path_factory):
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    dest = tmp_path_factory.mktemp("record")
    with pytest.raises(PipelineError, match="must come from a GPU run"):
        record.export(smoke_run.workdir, dest, "smoke")
    info = record.export(smoke_run.workdir, dest, "smoke", allow_cpu=True)
    return dest, info


def test_export_keeps_what_a_reader_needs_with_provenance(smoke_run, smoke_record):
    dest, info = smoke_record
    files = [p for p in dest.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.suffix in (".pt", ".npz", ".log", ".html", ".ipynb")]
    assert not [p for p in files if p.name.endswith(".usage.json")]
    for rel in ("results/smoke/scorecard.csv", "results/smoke/scorecard.md", "results/smoke/forensics.csv",
                "results/smoke/usage.md", "results/smoke/smvae/table_4_1.csv",
                "results/smoke/smvae/runs/standard/seed0/history.csv",
                "results/smoke/smvae/runs/standard/seed0/train_meta.json"):
        assert (dest / rel).is_file(), rel
    assert list((dest / "figures" / "smoke").rglob("*.png"))
    run = info["runs"][0]
    assert run["devices"] == ["cpu"] and run["torch"] and run["commits"] and run["wall_seconds"] > 0
    assert set(run["studies"]) == {"smvae", "dsprites_beta", "vqvae", "latent2d"}
    saved = json.loads((dest / "results" / "smoke" / record.PROVENANCE).read_text())
    assert saved["bytes"] <= record.settings()["record"]["max_bytes"] and len(saved["manifest"]) == saved["files"]


def test_check_passes_on_the_record_and_names_a_changed_verdict(smoke_record, tmp_path):
    dest, _ = smoke_record
    assert record.check(dest, "smoke") == []
    copy = tmp_path / "copy"
    shutil.copytree(dest, copy)
    card_path = copy / "results" / "smoke" / "scorecard.csv"
    card = pd.read_csv(card_path, keep_default_na=False)
    card.loc[0, "verdict"] = "replicates" if card.loc[0, "verdict"] != "replicates" else "differs"
    card.to_csv(card_path, index=False)
    problems = record.check(copy, "smoke")
    assert any(p.startswith("results/smoke/scorecard.csv: changed") for p in problems)
    assert any(p.startswith("scorecard row 0") and "verdict" in p for p in problems)


def test_the_readme_table_counts_the_records_scorecard(smoke_record):
    dest, info = smoke_record
    text = record.readme_table(dest, "smoke")
    card = pd.read_csv(dest / "results" / "smoke" / "scorecard.csv", keep_default_na=False)
    assert text.startswith("Verdicts of the `smoke` record (") and f"{len(card)} rows, 1 window, " in text
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert sorted(r[0].lstrip("| ") for r in rows) == sorted(set(card["study"]))
    assert sum(int(c.rstrip(" |")) for r in rows for c in r[2:]) == len(card)


def test_a_merged_group_is_rescored_over_every_study(smoke_run, smoke_record, tmp_path):
    dest, _ = smoke_record
    copy = tmp_path / "merged"
    shutil.copytree(dest, copy)
    info = record.export(smoke_run.workdir, copy, "smoke", allow_cpu=True, merge=True)
    assert len(info["runs"]) == 2 and record.check(copy, "smoke") == []


@pytest.mark.parametrize("rel, study", [
    ("smvae/table_4_1.csv", "smvae"), ("latent2d/runs/literal/history.csv", "latent2d"),
    ("forensics/smvae/runs/standard/seed0/history.csv", "smvae"), ("forensics/vqvae.md", "vqvae"),
    ("forensics/dsprites_beta_units_arithmetic.csv", "dsprites_beta"), ("scorecard.csv", None),
    ("forensics.csv", None), ("usage_jobs.csv", None), ("plan.json", None), ("forensics", None)])
def test_each_record_file_belongs_to_its_study_or_to_the_cross_study_summary(rel, study):
    assert record.study_of(rel) == study


def test_a_partial_export_keeps_each_studys_projection_from_the_run_that_exported_it(smoke_run, smoke_record,
                                                                                    tmp_path):
    """Merging D from a second run: the plan takes D's row from that run and keeps the others' from the first,
    and the projection is set again beside the measured times."""
    dest, _ = smoke_record
    copy, run = tmp_path / "merged", tmp_path / "run"
    shutil.copytree(dest, copy)
    shutil.copytree(smoke_run.workdir / "results" / "smoke", run / "results" / "smoke",
                    ignore=shutil.ignore_patterns("*.pt", "*.npz"))
    studies = ["smvae", "dsprites_beta", "vqvae", "latent2d"]
    for root, hours in ((copy, 1.0), (run, 10.0)):
        rows = [{"study": s, "runs": 1, "hours_here": hours * (i + 1), "seconds_here": 3600 * hours * (i + 1)}
                for i, s in enumerate(studies)]
        (root / "results" / "smoke" / "plan.json").write_text(json.dumps({"scale": "smoke", "device": str(hours),
                                                                          "studies": rows}))
    with pytest.raises(PipelineError, match="not among"):
        record.export(run, copy, "smoke", allow_cpu=True, merge=True, studies=["latent3d"])
    # a study's provenance counts its forensics runs too: every study's part adds up to the whole run's
    whole = record.provenance(run, "smoke")["training_runs"]
    parts = [record.provenance(run, "smoke", studies=[s])["training_runs"] for s in studies]
    assert sum(parts) == whole and record.provenance(run, "smoke", studies=studies)["training_runs"] == whole
    assert record.provenance(run, "smoke", studies=["smvae"])["training_runs"] > \
        record.provenance(run, "smoke", study="smvae")["training_runs"]  # the forensics runs of Study A
    info = record.export(run, copy, "smoke", allow_cpu=True, merge=True, studies=["latent2d"])
    assert info["runs"][-1]["studies"] == ["latent2d"] and record.check(copy, "smoke") == []
    plan = json.loads((copy / "results" / "smoke" / "plan.json").read_text())
    assert [(r["study"], r["hours_here"]) for r in plan["studies"]] == [("smvae", 1.0), ("dsprites_beta", 2.0),
                                                                       ("vqvae", 3.0), ("latent2d", 40.0)]
    assert "latent2d" in (copy / "results" / "smoke" / "plan_vs_measured.txt").read_text()


def test_export_refuses_a_record_over_the_size_limit(smoke_run, tmp_path, monkeypatch):
    small = record.settings()
    small["record"]["max_bytes"] = 1000
    monkeypatch.setattr(record, "settings", lambda: small)
    with pytest.raises(PipelineError, match="over record.max_bytes"):
        record.export(smoke_run.workdir, tmp_path, "smoke", allow_cpu=True)


def test_devices_adds_the_table_4_1_comparison_to_the_record_and_check_recomputes_it(smoke_run, smoke_record,
                                                                                     tmp_path, monkeypatch):
    dest, _ = smoke_record
    copy = tmp_path / "devices"
    shutil.copytree(dest, copy)
    with pytest.raises(PipelineError, match="needs the record's Study A from a GPU"):
        record.devices(smoke_run.workdir, copy, "smoke", cpu_scale="smoke")
    with pytest.raises(PipelineError, match="no `cpu` run of Study A"):
        record.devices(tmp_path / "nothing", copy, "smoke", allow_cpu=True)
    counts = record.devices(smoke_run.workdir, copy, "smoke", cpu_scale="smoke", allow_cpu=True)
    terms = record._device_settings("smoke")["terms"]
    table = pd.read_csv(copy / "results" / "smoke" / record.DEVICES_DIR / "table_4_1_devices.csv")
    assert counts["cells"] == len(table) == 7 * len(terms)  # one seed a side at smoke: nothing measured
    assert counts["not_measured"] == counts["cells"] and (table["diff"] == 0).all()
    manifest = json.loads((copy / "results" / "smoke" / record.PROVENANCE).read_text())["manifest"]
    for name in ("table_4_1_devices.csv", "table_4_1_devices.md", "table_4_1_cpu.csv", "cpu_provenance.json"):
        assert f"results/smoke/{record.DEVICES_DIR}/{name}" in manifest
    assert record.check(copy, "smoke") == []
    wider = {**record._device_settings("smoke"), "noise_k": 4.0}
    monkeypatch.setattr(record, "_device_settings", lambda scale: wider)
    assert any("table_4_1_devices.md" in p for p in record.check(copy, "smoke"))


def test_rebuild_renders_the_front_page_and_reports_from_the_record_without_training(smoke_run, smoke_record,
                                                                                    tmp_path):
    dest, _ = smoke_record
    copy = tmp_path / "rebuild"
    shutil.copytree(dest, copy)
    record.devices(smoke_run.workdir, copy, "smoke", cpu_scale="smoke", allow_cpu=True)
    (copy / "results" / "smoke" / "scorecard.csv").unlink()
    assert record.rebuild(copy, "smoke") == 0
    assert (copy / "results" / "smoke" / "index.html").is_file()
    for study in ("smvae", "dsprites_beta", "vqvae", "latent2d"):
        assert (copy / "results" / "smoke" / study / "report.html").is_file()
    assert "Table 4.1 on two devices" in (copy / "results" / "smoke" / "smvae" / "report.html").read_text()
    assert record.check(copy, "smoke") == []
    assert not list(copy.rglob("*.pt"))  # nothing was trained
