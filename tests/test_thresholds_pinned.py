"""Every scorecard tolerance and claim threshold pinned next to its source: changing one in
workflow/config/*.yaml fails here, so the change is seen and reviewed. Plus known-answer checks of the
tolerance rule with explicit values (never read back from the config it tests)."""

import pytest
import yaml

from vaerep import scorecard as sc
from vaerep.config import CONFIG_DIR
from vaerep.models import dalle_dvae


def _yaml(name):
    return yaml.safe_load((CONFIG_DIR / name).read_text())


TOLERANCES = {  # config.yaml scorecard.tolerances: value, source
    "smvae": {"neg_elbo": (1.0, "twice the largest seed std of Table 4.1's -ELBO (0.1-0.5 nats)"),
              "rec": (1.0, "as neg_elbo"), "kl": (0.3, "twice the KL's seed spread (0.05-0.15 nats)")},
    "dsprites_beta": {"loss": (100.0, "about 1 % of the thesis's losses"), "rec": (100.0, "as loss"),
                      "kl": (5.0, "about 1 % of the thesis's KLs"), "val_loss": (100.0, "as loss"),
                      "mig": (0.00005, "half a unit of the thesis's 4th decimal"), "params": (0, "a count is exact")},
    "latent2d": {"total": (1.0, "twice the largest seed std of a summed-BCE MNIST VAE (Table 4.1), < the 2-nat drop"),
                 "rec": (1.0, "as total"), "kl": (0.5, "the KL curve's epoch-to-epoch wobble")},
}
CLAIMS = {  # <study>.yaml claims blocks: value, source
    "smvae": {"direction_cos": (0.9, "cos 25 deg"), "direction_knn": (0.2, "untrained null 0.131 + 5 x 0.008, rounded up"),
              "flat_relative_range": (0.25, "a quarter of the mean"), "invariant_drift": (0.25, "a quarter of the digit distance"),
              "r2_carries": (0.5, "half the variance"), "rises": (0.3, "weak but present rank correlation"),
              "std_decrease_relative": (0.1, "ten times the untrained change"), "tracks": (0.8, "strong rank correlation")},
    "dsprites_beta": {"at_chance_k": (3, "3 chance spreads"), "rise_k": (2, "2 chance spreads")},
    "latent2d": {"stable_window": (0.1, "last tenth of training"), "stable_relative": (0.01, "1 % of the loss"),
                 "drop_tolerance": (1.0, "half the thesis's 2-nat drop"), "knn_clustered": (0.7, "most digits among their class"),
                 "knn_gain": (0.05, "five times the seed spread"), "neighbour_pairs": ([[4, 9], [7, 9]], "the thesis's pairs"),
                 "neighbour_rank": (1, "the nearest centroid"), "neighbour_chance": (0.164, "random layouts at rank 1"),
                 "transition_pairs": ([[0, 9], [7, 9], [4, 9]], "the thesis's paths"),
                 "smooth_max_step": (0.35, "one jump of a third of the path"), "transition_span": (0.5, "half the class-mean distance"),
                 "blurry_ratio": (0.8, "a fifth of the edge energy lost"), "digit_kept": (0.5, "most digits recognisable"),
                 "mirror_fit": (0.5, "half the layout explained")},
    "vqvae.vae2d": {"knn_k": (5, "vote size"), "separates_knn": (0.4, "above untrained 0.17-0.22"),
                    "collapse_kl_per_dim": (0.05, "above untrained 0.0001-0.043"), "active_kl_per_dim": (0.5, "~0.7 bit"),
                    "reconstructs_vs_mean_image": (0.8, "a fifth of the pixel variance"),
                    "overfit_margin_nats": (2.0, "above the untrained gap difference 0.8-1.5"),
                    "much_smaller": (0.5, "at most half"), "same_recon_ratio": (1.25, "MSE ratio within 1/r .. r"),
                    "normal_mean_abs": (0.5, "roughly centred"), "normal_std": ([0.3, 1.5], "roughly unit spread")},
    "vqvae.manipulations": {"respect_ratio": (1.5, "as good as a reconstruction up to 1.5x"),
                            "respect_anchor": (0.5, "removes half the no-op error")},
    "vqvae.pretrained.manipulations": {"respect_ratio": (1.5, "as for MNIST"), "respect_anchor": (0.5, "as for MNIST"),
                                       "recognisable_corr": (0.5, "correlation with the target"),
                                       "better_db": (1.0, "1 dB PSNR")},
}

FORENSICS = {  # config.yaml scorecard.forensics and each study's forensics block: value, source
    "scorecard": {"noise_k": (2.0, "two-sided 95 % band of a normal spread"), "threshold_margin": (0.1, "rounding of a one-digit threshold"),
                  "trend_points": (3, "last 3 kept values"), "min_trend_points": (3, "2 points are an average since init"),
                  "max_extrapolation": (3, "a line trusted 3 run lengths ahead")},
    "smvae": {"tolerance": (1.0, "the -ELBO tolerance of Table 4.1")},
    "dsprites_beta.units.patterns": {"kl_ratio": ([1.0, 1.6], "thesis 1.26"), "val_ratio": ([0.52, 0.72], "thesis 0.62-0.63"),
                                     "magnitude": ([7000, 8500], "thesis 7,784-8,097")},
    "dsprites_beta.mig": {"ceiling": (0.001, "above every non-zero thesis cell (<= 0.0008)")},
}


def _forensics_block(key):
    if key == "scorecard":
        return _yaml("config.yaml")["scorecard"]["forensics"]
    study, *rest = key.split(".")
    tree = _yaml(f"{study}.yaml")[study]["forensics"]
    for k in rest:
        tree = tree[k]
    return tree


@pytest.mark.parametrize("key", FORENSICS)
def test_forensics_thresholds_are_pinned(key):
    block = _forensics_block(key)
    assert {k: block[k] for k in FORENSICS[key]} == {k: v for k, (v, _) in FORENSICS[key].items()}, key


def _block(study_path):
    study, *rest = study_path.split(".")
    tree = _yaml(f"{study}.yaml")[study]
    for key in rest:
        tree = tree[key]
    return tree if rest and rest[-1] == "manipulations" else tree["claims"]


def test_scorecard_tolerances_are_pinned():
    tol = _yaml("config.yaml")["scorecard"]["tolerances"]
    assert set(tol) == set(TOLERANCES)
    for study, pins in TOLERANCES.items():
        assert tol[study] == {k: v for k, (v, _) in pins.items()}, study


@pytest.mark.parametrize("block", CLAIMS)
def test_claim_thresholds_are_pinned(block):
    got = {k: v for k, v in _block(block).items() if k not in ("shift_cells", "transplant", "n_digits", "figure_seed")}
    assert got == {k: v for k, (v, _) in CLAIMS[block].items()}, block


def test_every_pinned_tolerance_has_a_source_in_config():
    srcs = _yaml("config.yaml")["scorecard"]["tolerance_sources"]
    assert all(set(srcs[s]) == set(p) for s, p in TOLERANCES.items())


def test_the_dalle_null_architecture_is_the_published_one():
    arch = _yaml("vqvae.yaml")["vqvae"]["pretrained"]["dalle"]["architecture"]
    enc, dec = dalle_dvae.Encoder.__init__.__defaults__, dalle_dvae.Decoder.__init__.__defaults__
    assert (arch["n_hid"], arch["n_blk_per_group"], arch["vocab_size"]) == (enc[0], enc[1], enc[3])
    assert (arch["n_init"], arch["vocab_size"]) == (dec[0], dec[4])


# ---- the tolerance rule with explicit values ------------------------------------------------------------

@pytest.mark.parametrize("tol", [1.0, 0.3, 0.00005, 100.0])
def test_tolerance_rule_known_answers(tol):
    """Off by 10x the tolerance differs (either side); just inside replicates; exactly on it replicates."""
    thesis = 50.0
    assert sc.number_row("S", "T", "c", thesis, thesis + 10 * tol, tol, claim_id="A.t.c")["verdict"] == "differs"
    assert sc.number_row("S", "T", "c", thesis, thesis - 10 * tol, tol, claim_id="A.t.c")["verdict"] == "differs"
    assert sc.number_row("S", "T", "c", thesis, thesis + 0.9 * tol, tol, claim_id="A.t.c")["verdict"] == "replicates"
    assert sc.number_row("S", "T", "c", thesis, thesis - 0.9 * tol, tol, claim_id="A.t.c")["verdict"] == "replicates"
    assert sc.number_row("S", "T", "c", thesis, thesis + 1.1 * tol, tol, claim_id="A.t.c")["verdict"] == "differs"


def test_exact_tolerance_for_counts():
    assert sc.number_row("B", "T", "params", 1000, 1000, 0, claim_id="B.params.encoder")["verdict"] == "replicates"
    assert sc.number_row("B", "T", "params", 1000, 1001, 0, claim_id="B.params.encoder")["verdict"] == "differs"


def test_a_run_stopped_300_epochs_early_differs_in_study_d():
    """The thesis's 500-epoch total is 2 nats below its 200-epoch one: a run that stops at 200 epochs is 2 nats
    high and must differ under Study D's loss tolerance (1.0 pinned above)."""
    tol = TOLERANCES["latent2d"]["total"][0]
    assert sc.number_row("D", "Fig 5.8", "total", 135.8, 135.8 + 2.0, tol, claim_id="D.final_loss.total")["verdict"] == "differs"
    assert sc.number_row("D", "Fig 5.8", "total", 135.8, 135.8 + 0.5, tol, claim_id="D.final_loss.total")["verdict"] == "replicates"
