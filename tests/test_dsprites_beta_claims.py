"""Study B claims and MIG chance level: the chance band, eta^2 in closed form, every threshold just
inside and just outside, and every claim on the beta-VAE at its initialisation (the null control)."""

import pandas as pd
import pytest
import torch
import yaml

from vaerep.config import CONFIG_DIR
from vaerep.data import dsprites
from vaerep.dsprites_beta import evaluate as ev
from vaerep.dsprites_beta.claims import check_claims, eta_squared, pca_separation
from vaerep.dsprites_beta.mig import at_chance, chance_band, chance_level
from vaerep.initialisation import init_parameters
from vaerep.models.beta_vae import build_beta_vae
from vaerep.scorecard import AT_CHANCE, dsprites_rows

B = yaml.safe_load((CONFIG_DIR / "dsprites_beta.yaml").read_text())["dsprites_beta"]
THR = B["claims"]
FACTORS = list(ev.MIG_FACTORS)


def test_chance_level_is_positive_seeded_and_shrinks_with_n():
    _, cls = dsprites.latents(torch.randperm(dsprites.N_IMAGES, generator=torch.Generator().manual_seed(0))[:4000])
    f = torch.from_numpy(cls)[:, list(ev.MIG_FACTORS.values())]
    small, big = chance_level(f[:500], 8, FACTORS, 20, 5, 0), chance_level(f, 8, FACTORS, 20, 5, 0)
    assert small == chance_level(f[:500], 8, FACTORS, 20, 5, 0)  # same seed, same numbers
    assert small["mean"] > 0 and small["std"] > 0 and set(small["per_factor"]) == set(FACTORS)
    assert big["mean"] < small["mean"] / 2  # the plug-in bias falls roughly as 1/N


@pytest.mark.parametrize("eps, expected", [(-1e-9, True), (1e-9, False)])
def test_at_chance_band_edge(eps, expected):
    mean, std, k = 0.005, 0.002, THR["at_chance_k"]
    assert chance_band(mean, std, k) == pytest.approx(mean + k * std)
    assert at_chance(mean + k * std + eps, mean, std, k) is expected


def test_eta_squared_closed_form():
    labels = torch.tensor([0, 0, 1, 1])
    assert eta_squared(torch.tensor([[0.0, 0], [0, 0], [2, 2], [2, 2]]), labels) == pytest.approx(1.0)
    assert eta_squared(torch.tensor([[0.0, 0], [2, 0], [0, 0], [2, 0]]), labels) == pytest.approx(0.0)
    # x = 0, 2, 1, 3: group means 1 and 2, grand mean 1.5 -> between 4 x 0.25 = 1, total 5
    assert eta_squared(torch.tensor([[0.0], [2.0], [1.0], [3.0]]), labels) == pytest.approx(0.2)


def _t24(mig=(0.010, 0.020, 0.030), gains=None, std=0.002):
    """Table 2.4 with chance columns: ``gains`` per factor spread linearly over the three betas."""
    gains = gains or {"shape": 0.0, "scale": 0.0, "orientation": 0.02, "posX": 0.02, "posY": 0.02}
    rows = []
    for i, (beta, m) in enumerate(zip((1.0, 5.0, 10.0), mig)):
        row = {"beta": beta, "mig": m, "chance_mig": 0.005, "chance_mig_std": std}
        for f in FACTORS:
            row.update({f: 0.01 + gains[f] * i / 2, f"chance_{f}": 0.005, f"chance_{f}_std": std})
        rows.append(row)
    return pd.DataFrame(rows)


def _pca(eta):
    return {"explained": [0.3, 0.2], "n": 1000,
            "factors": {f: {"eta2": eta[f], "chance": 0.01, "chance_std": 0.002} for f in FACTORS}}


PCA_OK = _pca({"shape": 0.01, "scale": 0.01, "orientation": 0.1, "posX": 0.3, "posY": 0.3})


def _verdicts(t24, pca=PCA_OK):
    """Verdict per claim ID."""
    return check_claims(t24, pca, 10, THR).set_index("id")["verdict"].to_dict()


def test_claims_pass_on_a_constructed_disentangling_model():
    assert _verdicts(_t24()) == dict.fromkeys(["B.mig_rises", "B.mig_gains_position", "B.pca_structure"], "replicates")


@pytest.mark.parametrize("eps, verdict", [(1e-6, "replicates"), (-1e-6, "differs")])
def test_mig_rise_threshold_edge(eps, verdict):
    step = THR["rise_k"] * 0.002 + eps  # each step just above / below rise_k chance spreads
    assert _verdicts(_t24(mig=(0.01, 0.01 + step, 0.01 + 2 * step)))["B.mig_rises"] == verdict


@pytest.mark.parametrize("eps, verdict", [(1e-6, "replicates"), (-1e-6, "differs")])
def test_factor_gain_threshold_edge(eps, verdict):
    g = THR["rise_k"] * 0.002 + eps
    gains = {"shape": 0.0, "scale": 0.0, "orientation": 0.05, "posX": 0.05, "posY": g}
    assert _verdicts(_t24(gains=gains))["B.mig_gains_position"] == verdict


def test_factor_gain_must_beat_shape_and_scale():
    gains = {"shape": 0.03, "scale": 0.0, "orientation": 0.05, "posX": 0.05, "posY": 0.02}
    assert _verdicts(_t24(gains=gains))["B.mig_gains_position"] == "differs"


@pytest.mark.parametrize("factor, eps, verdict", [("posX", 1e-6, "replicates"), ("posX", -1e-6, "differs"),
                                                  ("scale", -1e-6, "replicates"), ("scale", 1e-6, "differs")])
def test_pca_structure_threshold_edge(factor, eps, verdict):
    band = 0.01 + THR["at_chance_k"] * 0.002
    eta = {"shape": 0.01, "scale": 0.01, "orientation": 0.1, "posX": 0.3, "posY": 0.3, factor: band + eps}
    assert _verdicts(_t24(), _pca(eta))["B.pca_structure"] == verdict


@pytest.mark.parametrize("factor, verdict", [("posX", "differs"), ("scale", "replicates")])
def test_pca_eta_exactly_on_the_band_edge_is_at_chance(factor, verdict):
    """An eta² exactly at mean + k x spread is at chance (as mig.at_chance has it): no structure for position,
    'none' holds for scale."""
    band = chance_band(0.01, 0.002, THR["at_chance_k"])
    assert at_chance(band, 0.01, 0.002, THR["at_chance_k"])
    eta = {"shape": 0.01, "scale": 0.01, "orientation": 0.1, "posX": 0.3, "posY": 0.3, factor: band}
    assert _verdicts(_t24(), _pca(eta))["B.pca_structure"] == verdict

def test_pca_claim_left_out_without_the_pca_model():
    assert check_claims(_t24(), None, 10, THR)["id"].tolist() == ["B.mig_rises", "B.mig_gains_position"]


@pytest.fixture(scope="module")
def null_control():
    """The thesis's beta-VAE at its seeded initialisation (identical for every beta) on 600 dSprites images:
    Table 2.4 with its chance level, and the PCA separation, as the pipeline computes them."""
    torch.manual_seed(0)
    rows = torch.randperm(dsprites.N_IMAGES, generator=torch.Generator().manual_seed(1))[:600]
    imgs = dsprites.generate(rows)
    _, cls = dsprites.latents(rows)
    cls = torch.from_numpy(cls)
    model = build_beta_vae({"beta": 1.0, **B["model"]})
    init_parameters(model, B["train"]["seed"])
    means = ev.posterior_means(model, imgs, torch.device("cpu"), batch_size=200)
    scores, chance = ev.mig_scores(means, cls, 20), ev.mig_chance(cls, means.shape[1], 20, 10)
    metrics = [{"beta": b, "mig": scores["mig"], "mig_per_factor": scores["per_factor"], "mig_chance": chance["mean"],
                "mig_chance_std": chance["std"], "mig_chance_per_factor": chance["per_factor"]} for b in (1.0, 5.0, 10.0)]
    return ev.table_2_4(metrics, B["thesis"]["table_2_4"], THR["at_chance_k"]), pca_separation(means, cls, 10)


def test_every_claim_fails_on_the_untrained_null(null_control):
    t24, pca = null_control
    claims = check_claims(t24, pca, 10, THR)
    assert len(claims) == 3 and "replicates" not in set(claims["verdict"]), claims


def test_old_mig_tolerance_replicated_the_null_and_the_new_one_does_not(null_control, tmp_path):
    t24, _ = null_control
    t24.to_csv(tmp_path / "t24.csv", index=False)
    pd.DataFrame({"beta": [], "train_loss": []}).to_csv(tmp_path / "t23.csv", index=False)
    (tmp_path / "params.json").write_text('{"thesis": {}}')
    tol = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["scorecard"]["tolerances"]["dsprites_beta"]

    def verdicts(mig_tol):
        rows = dsprites_rows(tmp_path / "t23.csv", tmp_path / "t24.csv", tmp_path / "params.json",
                             {**tol, "mig": mig_tol}, "", {})
        return [r["verdict"] for r in rows]

    assert verdicts(0.01).count("replicates") + verdicts(0.01).count(AT_CHANCE) == 18
    assert "replicates" not in verdicts(tol["mig"])


@pytest.mark.parametrize("value, thesis, verdict", [(0.000349, 0.0003, "replicates"), (0.000351, 0.0003, "differs")])
def test_mig_tolerance_edge_and_at_chance_outcome(tmp_path, value, thesis, verdict):
    tol = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["scorecard"]["tolerances"]["dsprites_beta"]
    row = {"beta": 10.0, "mig": value, "thesis_mig": thesis, "chance_mig": 0.0001, "chance_mig_std": 0.00001,
           "mig_at_chance": False}
    pd.DataFrame([row]).to_csv(tmp_path / "t24.csv", index=False)
    pd.DataFrame({"beta": [], "train_loss": []}).to_csv(tmp_path / "t23.csv", index=False)
    (tmp_path / "params.json").write_text('{"thesis": {}}')
    args = (tmp_path / "t23.csv", tmp_path / "t24.csv", tmp_path / "params.json", tol, "", {})
    (r,) = dsprites_rows(*args)
    assert r["verdict"] == verdict and "chance level 0.0001" in r["reason"]
    pd.DataFrame([{**row, "mig_at_chance": True}]).to_csv(tmp_path / "t24.csv", index=False)
    assert dsprites_rows(*args)[0]["verdict"] == AT_CHANCE
