"""End to end: the whole workflow at smoke scale in a fresh working directory; every declared output
must exist and every table must hold finite numbers. Also: config errors stop the run with a message."""

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_snakemake as smk

from vaerep import scorecard as sc
from vaerep.captions import caption_of_file


def finite_csv(path: Path):
    frame = pd.read_csv(path)
    if "forensics" in path.parts and path.stem in ("vqvae", "latent2d") and frame.empty:
        return  # no row of that study differs: nothing to explain
    assert len(frame) > 0, f"{path} is empty"
    numbers = frame.select_dtypes("number")
    # columns that are NaN by design: thesis values a variant lacks, std over one seed, c-metrics of a model without c
    allowed_nan = [c for c in numbers if c.startswith(("thesis_", "diff_")) or c.endswith("_std")
                   or c in ("contrast_r2_c", "c_spearman")
                   or ("null" in path.parts and c == "samples_per_s")  # a null control trains nothing: no speed
                   or c == "cuda_max_allocated_mib"]  # usage tables: no CUDA memory on a CPU-only machine
    assert not numbers.map(math.isinf).any().any(), f"infinite numbers in {path}"
    # every numeric column holds finite numbers; a column may leave rows empty (NaN) where a metric
    # does not apply to that row (e.g. a correlation defined for one operation only)
    empty = [c for c in numbers if c not in allowed_nan and not numbers[c].map(math.isfinite).any()]
    assert not empty, f"columns without a finite number in {path}: {empty}"
    core = [c for c in numbers if c not in allowed_nan and numbers[c].notna().all()]
    mixed = path.name == "scorecard.csv"  # numbers and claims in one table: checked by check_scorecard
    assert numbers.empty or mixed or len(core) > 0, f"no fully populated numeric column in {path}"


def check_scorecard(path: Path, studies):
    """Every study has rows; numbers carry a finite replicated value or a reason; verdicts are known."""
    card = pd.read_csv(path)
    assert set(card["verdict"]) <= {"replicates", "differs", "not comparable", sc.NOT_INFORMATIVE, sc.AT_CHANCE}
    # every row carries its null control's verdict (or why it has none); A and D have null controls for all
    assert card["null_verdict"].notna().all() and set(card["scale"]) <= {"thesis", "reduced"}
    assert not ((card["verdict"] == "replicates") & (card["null_verdict"] == "replicates")).any()
    ad = card[card["study"].isin(["A smvae", "D latent2d"])]
    assert not ad["null_verdict"].str.startswith(sc.NO_NULL).any(), ad[ad["null_verdict"].str.startswith(sc.NO_NULL)]
    assert {s.split()[1] for s in card["study"]} == set(studies)
    nums = card[card["thesis_value"] != "claim"]
    assert len(nums) >= 40  # Table 4.1 (15), Tables 2.3/2.4 (26), parameter counts (2), Study D losses (3)
    compared = nums[nums["verdict"] != "not comparable"]
    assert (pd.to_numeric(compared["replicated_value"]) - pd.to_numeric(compared["thesis_value"])
            - compared["difference"]).abs().max() < 1e-6
    assert nums.loc[nums["verdict"] == "not comparable", "reason"].notna().all()
    # smoke runs are reduced scale: their losses are not compared with the thesis's, the reason says why
    assert nums["reason"].fillna("").str.contains("reduced scale `smoke`").sum() >= 20
    assert (card["thesis_value"] == "claim").sum() >= 20
    # rows with a tested hypothesis name it and point at the forensics table; the rest stay empty
    expl = card["explanation"].fillna("")
    assert expl[expl != ""].str.match(r"H-[A-D]").all() and expl[expl != ""].str.endswith("(forensics.md)").all()
    assert {"A smvae", "B dsprites_beta"} <= set(card.loc[expl != "", "study"])
    # every Study A, C and D row that differs has its forensics row (scale / threshold / real difference)
    cd = card[card["study"].isin(["A smvae", "C vqvae", "D latent2d"]) & (card["verdict"] == "differs")]
    assert len(cd) > 0 and (expl[cd.index] != "").all(), cd[expl[cd.index] == ""]
    assert expl[cd.index].str.contains(r"\((?:scale artefact|threshold choice|real difference)").all()


def check_forensics(path: Path):
    """Every hypothesis row of every study carries its baseline, the move and the noise it was judged against."""
    table = pd.read_csv(path, dtype=str).fillna("")
    assert {"A smvae", "B dsprites_beta", "C vqvae", "D latent2d"} <= {s for s in table["study"]}
    for col in ("baseline", "move", "noise", "verdict"):
        assert (table[col].str.strip() != "").all(), table.loc[table[col].str.strip() == "", ["study", "hypothesis"]]
    assert set(table["verdict"]) <= {"explains", "partly", "does not explain"}


@pytest.mark.e2e
def test_smoke_workflow_produces_every_output(smoke_run):
    # the run itself is the session fixture `smoke_run` (tests/conftest.py), shared with the SLURM test
    run, tmp_path, mnist_dir = smoke_run.run, smoke_run.workdir, smoke_run.mnist_dir
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    summary = smk(["--summary", "--config", "scale=smoke"], tmp_path, mnist_dir)
    assert summary.returncode == 0, summary.stderr[-3000:]
    outputs = [line.split("\t")[0] for line in summary.stdout.splitlines()[1:] if "\t" in line]
    assert len(outputs) > 20
    missing = [o for o in outputs if not (tmp_path / o).exists()]
    assert not missing, f"declared outputs missing: {missing}"
    for out in outputs:
        path = tmp_path / out
        assert path.stat().st_size > 0, f"{out} is empty"
        if path.suffix == ".csv":
            finite_csv(path)
        if path.suffix == ".ipynb":
            assert '"output_type": "error"' not in path.read_text(), f"{out} has a failed cell"
    check_scorecard(tmp_path / "results/smoke/scorecard.csv", ["smvae", "dsprites_beta", "vqvae", "latent2d"])
    check_forensics(tmp_path / "results/smoke/forensics.csv")
    index = (tmp_path / "results/smoke/index.html").read_text()
    for study in ["smvae", "dsprites_beta", "vqvae", "latent2d"]:
        assert f'href="{study}/report.html"' in index
    # every figure has a caption (workflow/report/captions.yaml), shared by the notebooks and --report
    figures = [Path(o) for o in outputs if o.endswith(".png")]
    uncaptioned = [str(f) for f in figures if not caption_of_file(f)]
    assert not uncaptioned, f"figures without a caption in workflow/report/captions.yaml: {uncaptioned}"
    # the rules that build outputs ran, and a second run has nothing to do
    again = smk(["-n", "--cores", "2", "--config", "scale=smoke"], tmp_path, mnist_dir)
    assert "Nothing to be done" in again.stdout + again.stderr
    # each report's notebook source is an input of its rule, so editing notebooks/<name>.py re-renders it
    summary = smk(["--detailed-summary", "--config", "scale=smoke"], tmp_path, mnist_dir)
    inputs_of = {line.split("\t")[0]: line.split("\t")[4] for line in summary.stdout.splitlines() if "\t" in line}
    for report_html, source in [("smvae/report.html", "smvae"), ("dsprites_beta/report.html", "dsprites_beta"),
                                ("vqvae/report.html", "vqvae_manipulation"), ("latent2d/report.html", "latent2d"),
                                ("index.html", "index")]:
        assert f"notebooks/{source}.py" in inputs_of[f"results/smoke/{report_html}"], report_html
    # a self-contained HTML report with every figure and the scorecard
    report = smk(["--config", "scale=smoke", "--report", "report.html"], tmp_path, mnist_dir, timeout=600)
    assert report.returncode == 0, report.stderr[-3000:]
    html = (tmp_path / "report.html").read_text()
    assert "scorecard.csv" in html and "index.html" in html
    missing_in_report = [f.name for f in figures if f.name not in html]
    assert not missing_in_report, f"figures missing from the --report HTML: {missing_in_report}"


@pytest.mark.parametrize("override, message", [
    ("scale=huge", "'huge' is not one of"),
    ("epochz=3", "'epochz' was unexpected"),
    ("smvae={train: {epochs: many}}", "'many' is not of type 'integer'"),
])
def test_bad_config_stops_with_a_message(tmp_path, override, message):
    run = smk(["-n", "--config", override], tmp_path)
    assert run.returncode != 0
    assert message in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


def test_missing_mnist_folder_is_named(tmp_path):
    run = smk(["--cores", "1", "--config", "scale=smoke", f"data={{mnist_dir: {tmp_path}/nowhere, root: data}}",
               "--", "data/mnist.pt"], tmp_path)
    assert run.returncode != 0
    assert f"MNIST folder '{tmp_path}/nowhere' (from config key data.mnist_dir) does not exist" in run.stderr
