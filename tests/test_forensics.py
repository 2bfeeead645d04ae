"""Forensics: the author's Gamma KL, the author's post-hoc clamp, Table 2.3's unit arithmetic,
the loss conventions, the MIG protocol variants and the scorecard explanation link."""

import math

import pandas as pd
import pytest
import torch
from torch.distributions import Gamma, kl_divergence

from vaerep.data import dsprites
from vaerep.forensics import explanation
from vaerep.forensics import mig_protocols as P
from vaerep.forensics import units as U
from vaerep.forensics.smvae import middle_three_agrees
from vaerep.models.beta_vae import BetaVAE
from vaerep.models.kl import gamma_from_log_mean_var, kl_gamma_gamma, kl_gamma_gamma_author
from vaerep.models.smvae import SMVAE

THESIS_23 = {"5": {"loss": 8096.78, "rec": 7716.18, "kl": 76.12}, "10": {"loss": 7783.67, "rec": 7177.50, "kl": 60.62}}


# -- H-A1: the author's Gamma KL ------------------------------------------------------------------
@pytest.mark.parametrize("alpha_p", [1.0, 3.0])
def test_author_gamma_kl_differs_from_closed_form_by_exactly_the_stated_term(alpha_p):
    torch.manual_seed(0)
    aq, bq = torch.rand(200, dtype=torch.float64) * 5 + 0.1, torch.rand(200, dtype=torch.float64) * 5 + 0.1
    true = kl_gamma_gamma(aq, bq, alpha_p, 1.0)
    assert torch.allclose(true, kl_divergence(Gamma(aq, bq), Gamma(torch.full_like(aq, alpha_p), torch.ones_like(bq))))
    diff = kl_gamma_gamma_author(aq, bq, alpha_p, 1.0) - true
    assert torch.allclose(diff, (aq - alpha_p) * torch.log(bq), atol=1e-12)
    # the term is really there: where alpha_q != alpha_p and beta_q != 1 the two forms disagree
    assert (diff.abs() > 1e-3).sum() > 150
    # and vanishes where beta_q = beta_p
    assert torch.allclose(kl_gamma_gamma_author(aq, torch.ones_like(aq), alpha_p, 1.0),
                          kl_gamma_gamma(aq, torch.ones_like(aq), alpha_p, 1.0))


def test_smvae_kl_option_changes_only_the_gamma_term():
    torch.manual_seed(1)
    mu, logvar = torch.randn(32, 3), torch.randn(32, 3)
    gamma = SMVAE("pre", "gamma", alpha=3.0, kl="author_code")
    aq, bq = gamma_from_log_mean_var(mu[:, 2], logvar[:, 2])
    assert torch.allclose(gamma.kl(mu, logvar) - gamma.kl(mu, logvar, "closed_form"), (aq - 3.0) * bq.log(), atol=1e-4)
    normal = SMVAE("pre", "normal", kl="author_code")
    assert torch.equal(normal.kl(mu, logvar), normal.kl(mu, logvar, "closed_form"))
    with pytest.raises(Exception, match="unknown SMVAE kl"):
        SMVAE("pre", "gamma", kl="other")


# -- H-A2: the author's post-hoc clamp ------------------------------------------------------------
@torch.no_grad()
def test_author_clamp_saturates_at_one_and_costs_100_nats_per_dark_pixel():
    torch.manual_seed(2)
    model = SMVAE("post", "lognormal", output_clamp="author")
    z, c = torch.randn(4, 2), torch.full((4,), 1e6)  # c huge: every output pixel is clamped to exactly 1
    assert torch.equal(model.decode(z, c), torch.ones(4, 784))
    x = torch.full((4, 784), 0.2)
    assert torch.allclose(model.reconstruction_nll(x, z, c), torch.full((4,), 784 * 0.8 * 100.0))
    eps_model = SMVAE("post", "lognormal")
    eps_model.load_state_dict(model.state_dict())
    assert float(eps_model.decode(z, c).max()) == pytest.approx(1 - 1e-6)
    assert float(eps_model.reconstruction_nll(x, z, c).mean()) == pytest.approx(784 * 0.8 * -math.log(1e-6), rel=1e-3)


def test_middle_three_ranking():
    assert middle_three_agrees(["standard", "post_lognormal", "pre_normal", "pre_gamma3", "pre_gamma1"])
    assert not middle_three_agrees(["standard", "pre_normal", "post_lognormal", "pre_gamma1", "pre_gamma3"])


# -- Table 2.3's unit ----------------------------------------------------------------------------
def test_unit_arithmetic_on_the_thesis_numbers():
    rows = U.arithmetic_table(THESIS_23)
    by = {(r["convention"], r["beta"]): r for r in rows}
    assert by[("image_sum", 5.0)]["s_per_image"] == pytest.approx(7716.18)
    assert not by[("image_sum", 5.0)]["magnitude_ok"]           # above a coin-flip decoder's 2,839 nats
    assert by[("batch_sum", 5.0)]["s_per_image"] == pytest.approx(7716.18 / 256)
    assert by[("batch_sum", 10.0)]["k_per_image"] == pytest.approx(60.62 / 256)
    assert by[("row_mean_x4096", 5.0)]["s_per_image"] == pytest.approx(7716.18 / 64)
    assert not by[("total_without_beta", 5.0)]["adds_up"]       # 7716.18 + 76.12 != 8096.78
    assert U.survivors(rows) == ["batch_sum", "row_mean_x4096", "pixel_x4096_sum", "keras_clipped_linear"]


def test_unit_identity_tolerance_is_the_table_rounding():
    conv = U.conventions()[0]
    # beta 10: rounding allows 0.005 * (2 + 10) = 0.06
    assert U.check(conv, 10.0, 7177.50 + 606.2 + 0.059, 7177.50, 60.62)["adds_up"]
    assert not U.check(conv, 10.0, 7177.50 + 606.2 + 0.061, 7177.50, 60.62)["adds_up"]


def test_unit_pattern_checks():
    patterns = {"kl_ratio": [1.0, 1.6], "val_ratio": [0.52, 0.72], "magnitude": [7000, 8500]}
    final = {5.0: {"train_loss": 8000, "train_rec": 7700, "train_kl": 60, "val_loss": 5000},
             10.0: {"train_loss": 7800, "train_rec": 7200, "train_kl": 60, "val_loss": 4900}}
    p = U.pattern_checks(final, patterns, 64, 256, batch_summed=False)
    assert p["checks"] == {"rec_hi_below_lo": True, "kl_ratio": True, "val_ratio": True, "magnitude": True}
    final[5.0]["train_kl"] = 96.1  # ratio 1.6017: just outside
    assert not U.pattern_checks(final, patterns, 64, 256, False)["checks"]["kl_ratio"]
    # a batch-summed loss at batch 64 is scaled to the thesis's batch 256 before the magnitude check
    small = {b: {**r, "train_loss": r["train_loss"] / 4} for b, r in final.items()}
    assert U.pattern_checks(small, patterns, 64, 256, batch_summed=True)["checks"]["magnitude"]
    assert not U.pattern_checks(small, patterns, 64, 256, batch_summed=False)["checks"]["magnitude"]


@torch.no_grad()
def test_loss_conventions_scale_the_per_image_terms():
    x = (torch.rand(3, 1, 64, 64, generator=torch.Generator().manual_seed(0)) < 0.05).float()
    terms = {}
    for conv in ("image_sum", "batch_sum", "row_mean_x4096", "pixel_x4096_sum"):
        torch.manual_seed(0)
        model = BetaVAE(5, loss_convention=conv).eval()
        torch.manual_seed(1)
        terms[conv] = {k: float(v) for k, v in model.loss_terms(x).items()}
    base = terms["image_sum"]
    assert terms["batch_sum"]["rec"] == pytest.approx(3 * base["rec"], rel=1e-5)
    assert terms["batch_sum"]["kl"] == pytest.approx(3 * base["kl"], rel=1e-5)
    assert terms["row_mean_x4096"]["rec"] == pytest.approx(64 * base["rec"], rel=1e-5)
    assert terms["pixel_x4096_sum"]["rec"] == pytest.approx(4096 * base["rec"], rel=1e-5)
    assert terms["row_mean_x4096"]["kl"] == pytest.approx(base["kl"], rel=1e-6)


def test_keras_clipped_linear_costs_15_4_nats_per_wrong_pixel():
    model = BetaVAE(1, loss_convention="keras_clipped_linear")
    x = torch.zeros(1, 1, 64, 64)
    x[0, 0, :10, :10] = 1.0                      # 100 foreground pixels
    out = torch.full((1, 1, 64, 64), -3.0)       # un-squashed output below 0 everywhere: clipped to 1e-7
    rec, _ = model._reduce(out, x, torch.zeros(1))
    assert float(rec) == pytest.approx(100 * -math.log(2e-7) + 3996 * -math.log(1 - 1e-7 + 1e-7), rel=1e-5)
    assert U.KERAS_PIXEL_CAP == pytest.approx(15.4249, abs=1e-4)


# -- Table 2.4's MIG protocols -------------------------------------------------------------------
def _perfect_codes(classes):
    """16 latents: the first five are the five scored factors' classes, the rest constant."""
    codes = torch.zeros(len(classes), 16, dtype=torch.float64)
    codes[:, :5] = classes[:, 1:6].double()
    return codes


def test_first_n_canonical_order_gives_exactly_zero_for_shape_and_scale():
    rows = P.rows_for("first", 4000, seed=0)
    classes = dsprites.classes_of(rows)
    assert classes[:, 1].unique().numel() == 1 and classes[:, 2].unique().numel() == 1
    s = P.mig_scores(_perfect_codes(classes), classes, "hist", 20)
    assert s["shape"] == 0.0 and s["scale"] == 0.0
    assert s["posX"] > 0.5                       # the same perfect code does score the factors that vary
    rand = dsprites.classes_of(P.rows_for("random", 4000, seed=0))
    s_rand = P.mig_scores(_perfect_codes(rand), rand, "hist", 20)
    assert s_rand["shape"] > 0.5 and s_rand["scale"] > 0.5


def test_raw_float_estimator_gives_zero_gap_for_distinct_values():
    rows = P.rows_for("random", 2000, seed=0)
    classes = dsprites.classes_of(rows)
    codes = _perfect_codes(classes) + torch.randn(2000, 16, dtype=torch.float64) * 1e-6
    s = P.mig_scores(codes, classes, "raw", 20)
    assert all(abs(s[f]) < 1e-12 for f in ("shape", "scale", "orientation", "posX", "posY"))
    assert P.mig_scores(codes, classes, "hist", 20)["posX"] > 0.5


def test_collapsed_codes_sit_at_the_plug_in_bias():
    rows = P.rows_for("random", 5000, seed=0)
    classes = dsprites.classes_of(rows)
    codes = P.codes_for(torch.zeros(5000, 16, dtype=torch.float64), torch.zeros(5000, 16, dtype=torch.float64),
                        "collapsed", seed=0)
    s = P.mig_scores(codes, classes, "hist", 20)
    assert 0 < s["mig"] < 0.01                   # i.i.d. codes: only the estimator's small-sample bias


def test_sampled_codes_use_the_posterior_standard_deviation():
    """'sample' codes are mu + exp(logvar / 2) * eps: with logvar = log 9 (std 3) and mu = 1 the draw is
    1 + 3 eps, eps the same seeded N(0, 1) draw as the 'collapsed' codes."""
    mu = torch.ones(500, 4, dtype=torch.float64)
    logvar = torch.full((500, 4), math.log(9.0), dtype=torch.float64)
    eps = P.codes_for(mu, logvar, "collapsed", seed=3)
    assert torch.allclose(P.codes_for(mu, logvar, "sample", seed=3), 1.0 + 3.0 * eps)

def test_pattern_match_zero_and_ceiling_cells():
    thesis = {"1": {"shape": 0.0, "scale": 0.0, "orientation": 0.0001, "posX": 0.0002, "posY": 0.0002}}
    inside = {"1": {"shape": 0.0, "scale": 0.00004, "orientation": 0.001, "posX": 0.0002, "posY": 0.00005}}
    assert P.pattern_match(inside, thesis, 0.001)["matched"] == 5
    outside = {"1": {"shape": 0.00006, "scale": 0.0, "orientation": 0.0011, "posX": 0.0002, "posY": 0.0}}
    m = P.pattern_match(outside, thesis, 0.001)
    assert m["matched"] == 2 and m["zeros_matched"] == 1


# -- scorecard link ------------------------------------------------------------------------------
def test_explanation_maps_scorecard_rows_to_forensics_rows():
    card = pd.DataFrame([{"study": "A smvae", "claim_id": "A.table_4_1.pre_gamma1.neg_elbo", "source": "Table 4.1",
                          "claim": "pre Gamma(1) SMVAE: −ELBO per test image (nats)"},
                         {"study": "A smvae", "claim_id": "A.table_4_1.standard.neg_elbo", "source": "Table 4.1",
                          "claim": "Standard VAE: −ELBO per test image (nats)"}])
    rows = pd.DataFrame([{"study": "A smvae", "source": "Table 4.1", "claim_id": "A.table_4_1.pre_gamma1.neg_elbo",
                          "target": "pre Gamma(1) SMVAE: −ELBO", "thesis_value": 129.2, "hypothesis": "H-A1: author KL",
                          "experiment": "x", "measured": "y", "baseline": "b", "move": "+1", "noise": "0.5",
                          "verdict": "partly", "reason": "z"}])
    out = explanation(card, rows)
    assert out.tolist() == ["H-A1: partly (forensics.md)", ""]
    with pytest.raises(ValueError, match="unknown forensics verdict"):
        explanation(card, rows.assign(verdict="maybe"))


def test_first_n_with_collapsed_codes_reproduces_table_2_4_and_random_rows_do_not():
    thesis = {"1": {"shape": 0.0, "scale": 0.0, "orientation": 0.0001, "posX": 0.0002, "posY": 0.0002},
              "5": {"shape": 0.0, "scale": 0.0, "orientation": 0.0001, "posX": 0.0008, "posY": 0.0002}}
    got = {}
    for order in ("first", "random"):
        rows = P.rows_for(order, 10000, seed=1)
        classes = dsprites.classes_of(rows)
        got[order] = {b: P.mig_scores(torch.randn(10000, 16, generator=torch.Generator().manual_seed(i),
                                                  dtype=torch.float64), classes, "hist", 20)
                      for i, b in enumerate(thesis)}
    first = P.pattern_match(got["first"], thesis, 0.001)
    assert first["zeros_matched"] == first["zero_cells"] == 4 and first["matched"] == 10
    assert P.pattern_match(got["random"], thesis, 0.001)["zeros_matched"] < 4
