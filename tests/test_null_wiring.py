"""The null controls as the smoke workflow wires them: every null model is its architecture at the seeded
initialisation, bit for bit; no null job trains; every scorecard null value is read from a file under null/."""

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from vaerep.initialisation import init_parameters
from vaerep.models.beta_vae import build_beta_vae
from vaerep.models.conv2d_vae import build_conv2d_vae
from vaerep.models.smvae import build_smvae
from vaerep.models.vae2d_mnist import build_vae2d
from vaerep.models.vqvae import build_vqvae

pytestmark = pytest.mark.e2e

BUILDERS = {"smvae": build_smvae, "dsprites_beta": build_beta_vae, "latent2d": build_conv2d_vae,
            "vae2d": build_vae2d, "vqvae": build_vqvae}


def null_runs(results: Path) -> list[Path]:
    """Every run folder of a null control (a train_meta.json under some <study>/null/)."""
    return sorted(p.parent for p in results.rglob("train_meta.json") if "null" in p.relative_to(results).parts)


def builder(run: Path, results: Path):
    parts = run.relative_to(results).parts
    return BUILDERS["vae2d" if "vae2d" in parts else parts[0]]


@pytest.fixture(scope="module")
def results(smoke_run):
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    return smoke_run.workdir / "results" / "smoke"


def test_every_study_has_null_runs(results):
    studies = {r.relative_to(results).parts[0] for r in null_runs(results)}
    assert studies == {"smvae", "dsprites_beta", "vqvae", "latent2d"}, studies


def test_no_null_job_trains(results):
    for run in null_runs(results):
        meta = json.loads((run / "train_meta.json").read_text())
        assert meta["settings"]["epochs"] == 0, run
        history = pd.read_csv(run / "history.csv")
        assert history["epoch"].tolist() == [0], run
        assert not list(run.glob("epoch_*.pt")), run


def test_every_null_model_is_its_seeded_initialisation_bit_for_bit(results):
    checked = 0
    for run in null_runs(results):
        meta = json.loads((run / "train_meta.json").read_text())
        blob = torch.load(run / "model.pt", map_location="cpu", weights_only=True)
        fresh = builder(run, results)(blob["spec"])
        init_parameters(fresh, int(meta["settings"]["seed"]))
        expected = fresh.state_dict()
        assert blob["model"].keys() == expected.keys(), run
        for name, value in blob["model"].items():
            assert torch.equal(value, expected[name]), f"{run}: {name} differs from the seeded initialisation"
        checked += 1
    assert checked >= 10


def test_the_initialisation_check_can_fail(results):
    """A trained model is not its seeded initialisation: the check above tells the two apart."""
    run = results / "smvae" / "runs" / "standard" / "seed0"
    meta = json.loads((run / "train_meta.json").read_text())
    blob = torch.load(run / "model.pt", map_location="cpu", weights_only=True)
    fresh = build_smvae(blob["spec"])
    init_parameters(fresh, int(meta["settings"]["seed"]))
    assert any(not torch.equal(v, fresh.state_dict()[k]) for k, v in blob["model"].items())


def test_every_scorecard_null_value_is_read_from_a_null_file(results):
    card = pd.read_csv(results / "scorecard.csv")
    with_null = card[card["null_verdict"].notna() & (card["null_verdict"] != "")]
    assert len(with_null) > 20
    null_claims = {}
    for path in results.rglob("claims.csv"):
        if "null" in path.relative_to(results).parts:
            frame = pd.read_csv(path)
            null_claims.setdefault(path.relative_to(results).parts[0], []).append(frame)
    # the forensics stage's per-seed C1 claims (H-C1-seed) are a hypothesis's evidence, not scorecard rows
    main_claims = [p for p in results.rglob("claims.csv")
                   if not {"null", "forensics"} & set(p.relative_to(results).parts)]
    assert main_claims and null_claims
    for path in main_claims:
        rel = path.relative_to(results)
        twin = results / rel.parts[0] / "null" / Path(*rel.parts[1:])
        assert twin.is_file(), f"{rel} has no null twin"
        main, null = pd.read_csv(path), pd.read_csv(twin)
        assert list(main["claim"]) == list(null["claim"]), rel
        # the null twin is a different evaluation, not a copy of the trained model's file
        assert not main.equals(null), f"{twin} equals the trained model's {rel}"
