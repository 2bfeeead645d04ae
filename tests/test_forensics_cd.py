"""the classifier of Study C/D "differs" rows (scale artefact / threshold choice / real difference) on
constructed inputs, and the claim trees of every C/D claim carrying their course for the forensics stage."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_latent2d import _fake_results, claim_thresholds

from vaerep.claim import Group, Leaf
from vaerep.config import study_settings
from vaerep.forensics import classify as C
from vaerep.forensics import differs as fd
from vaerep.latent2d import claims as dc
from vaerep.latent2d.table import checkpoint_table, loss_table
from vaerep.vqvae import claims as c3
from vaerep.vqvae import vae2d as c1
from vaerep.vqvae.evaluate import respects

CONFIG = Path(__file__).resolve().parents[1] / "workflow" / "config"
RULES = yaml.safe_load((CONFIG / "config.yaml").read_text())["scorecard"]["forensics"]
REDUCED = C.Budget("reduced scale `cpu`: train.epochs = 3 (thesis 15)", 3, 1000, 15, 60000)
THESIS = C.Budget("", 15, 60000, 15, 60000)


def leaf(value, series=None, threshold=0.4, op=">=", definitional=False):
    return Leaf("k-NN accuracy", value, op, threshold, "separates_knn", definitional, series or {}, "history")


# -- the classifier on constructed inputs ----------------------------------------------------------
def test_trend_slope_and_standard_error_are_the_least_squares_ones():
    from scipy.stats import linregress

    series = {2: 0.61, 4: 0.64, 6: 0.70, 8: 0.71, 10: 0.77, 12: 0.80}
    t = C.trend(series, points=5)
    fit = linregress([4, 6, 8, 10, 12], [0.64, 0.70, 0.71, 0.77, 0.80])
    assert t.epochs == [4, 6, 8, 10, 12] and t.start == 0.64
    assert t.slope == pytest.approx(fit.slope) and t.se == pytest.approx(fit.stderr)
    assert t.resid_std == pytest.approx(fit.stderr * np.sqrt(np.sum((np.arange(4, 13, 2) - 8.0) ** 2)))
    assert np.isnan(C.trend({1: 0.5, 2: 0.6}, points=5).se)  # two points: no residuals


def test_trend_still_moving_toward_the_threshold_is_a_scale_artefact():
    out = C.classify(leaf(0.3, {1: 0.1, 2: 0.2, 3: 0.3}), REDUCED, RULES)
    assert (out["category"], out["verdict"]) == ("scale artefact", "explains")
    assert "crosses after 1 more epochs" in out["leaves"][0]["text"]
    # the same trend at the thesis's scale is no scale artefact: a real difference
    assert C.classify(leaf(0.3, {1: 0.1, 2: 0.2, 3: 0.3}), THESIS, RULES)["category"] == "real difference"


def test_trend_away_from_the_threshold_is_a_real_difference():
    out = C.classify(leaf(0.3, {1: 0.35, 2: 0.32, 3: 0.3}), REDUCED, RULES)
    assert (out["category"], out["verdict"]) == ("real difference", "does not explain")
    assert "moves away" in out["leaves"][0]["text"]
    flat = C.classify(leaf(0.3, {1: 0.3, 2: 0.3, 3: 0.3}), REDUCED, RULES)
    assert flat["category"] == "real difference"


def test_trend_too_slow_for_the_thesis_budget_or_too_far_out_or_too_short():
    # 0.001 per epoch of 1,000 images: 100 epochs = 100,000 images, within the 897,000 left, but > 3 x 3 epochs
    far = C.classify(leaf(0.3, {1: 0.298, 2: 0.299, 3: 0.3}), REDUCED, RULES)
    assert far["verdict"] == "partly" and "more than 3x" in far["leaves"][0]["text"]
    slow = C.Budget("reduced", 3, 1000, 3, 1100)  # the thesis trained only 300 images more
    assert C.classify(leaf(0.3, {1: 0.298, 2: 0.299, 3: 0.3}), slow, RULES)["verdict"] == "does not explain"
    two = C.classify(leaf(0.3, {0: 0.1, 3: 0.3}), REDUCED, RULES)  # null control and final model only
    assert two["verdict"] == "does not explain" and "no residuals" in two["leaves"][0]["text"]
    # a longer window than the run keeps: a clean 3-point trend where the rules ask for 4 explains only partly
    short = C.classify(leaf(0.3, {1: 0.1, 2: 0.2, 3: 0.3}), REDUCED, dict(RULES, trend_points=4, min_trend_points=4))
    assert short["verdict"] == "partly" and "rests on 3 points" in short["leaves"][0]["text"]


@pytest.mark.parametrize("value, category", [(0.361, "threshold choice"), (0.359, "real difference")])
def test_value_just_past_a_threshold_is_a_threshold_choice_with_the_flip_threshold(value, category):
    # margin 0.1 of the threshold 0.4: 0.36 is its edge; a wobble of ±0.04 (residual std 0.069) puts 0.04 within noise
    rules = dict(RULES, threshold_margin=0.1, noise_k=2.0)
    out = C.classify(leaf(value, {1: value, 2: value + 0.04, 3: value - 0.04, 4: value}), REDUCED, rules)
    assert out["category"] == category
    assert f"flips at a threshold of {value:.4g}" in out["leaves"][0]["text"]


def test_a_definitional_threshold_is_never_a_threshold_choice():
    out = C.classify(leaf(-0.001, threshold=0.0, op=">", definitional=True), REDUCED, RULES)
    assert out["category"] == "real difference" and "the claim's meaning" in out["leaves"][0]["text"]


def test_groups_combine_their_failing_conditions():
    scale = leaf(0.3, {1: 0.1, 2: 0.2, 3: 0.3})
    real = leaf(0.1, {1: 0.3, 2: 0.2, 3: 0.1})
    ok = leaf(0.5)
    both = C.classify(Group("all", [scale, real, ok]), REDUCED, RULES)
    assert (both["category"], both["verdict"]) == ("scale artefact (in part)", "partly") and len(both["leaves"]) == 2
    thr = leaf(0.39, {1: 0.39, 2: 0.40, 3: 0.38, 4: 0.39})
    assert C.classify(Group("all", [scale, thr]), REDUCED, RULES)["category"] == "scale artefact + threshold choice"
    assert C.classify(Group("any", [real, scale]), REDUCED, RULES)["category"] == "scale artefact"
    with pytest.raises(ValueError, match="passes"):
        C.classify(Group("all", [ok]), REDUCED, RULES)


def test_forensics_row_points_at_the_scorecard_row():
    card = {"study": "C vqvae", "claim_id": "C1.conv_separates", "source": "§5.1.1",
            "claim": "The conv-head VAE also separates some classes", "thesis_value": "claim", "replicated_value": "x",
            "verdict": "differs"}
    row = fd.forensics_row(card, leaf(0.39, {1: 0.39, 2: 0.40, 3: 0.38, 4: 0.39}), REDUCED, RULES, "rule x")
    assert row["target"] == card["claim"] and row["claim_id"] == card["claim_id"]
    assert row["hypothesis"] == "H-C1.conv_separates (threshold choice)"
    assert row["verdict"] == "explains" and "settings: reduced scale" in row["reason"]
    assert fd.forensics_row(card, None, REDUCED, RULES, "x")["verdict"] == "does not explain"


def test_budget_reads_the_study_settings_at_the_scale():
    section = yaml.safe_load((CONFIG / "vqvae.yaml").read_text())["vqvae"]
    part = section["forensics"]["parts"]["vae2d/claims.csv"]
    b = fd.budget(section, "cpu", part, "reduced")
    cpu = study_settings({"scale": "cpu", "s": section}, "s")["vae2d"]
    assert (b.epochs, b.n_train, b.thesis_epochs, b.thesis_n_train) == (cpu["train"]["epochs"], cpu["n_train_images"], 15, 60000)
    assert fd.budget(section, "cpu", section["forensics"]["parts"]["pretrained/claims.csv"], "x").reduced == ""


@pytest.mark.parametrize("study", ["vqvae", "latent2d"])
def test_budget_of_a_rehearsal_is_the_full_scales(study):
    """A rehearsal's section has no rehearsal.max_steps_per_epoch (the forensics rules get the study section only):
    its budget must still read, with the full scale's epochs and sizes (a rehearsal cuts steps per epoch alone)."""
    section = yaml.safe_load((CONFIG / f"{study}.yaml").read_text())[study]
    for part in section["forensics"]["parts"].values():
        if "epochs" in part:
            b = fd.budget(section, "rehearsal", part, "rehearsal: cut")
            assert (b.epochs, b.n_train) == (b.thesis_epochs, b.thesis_n_train) and b.epochs > 0


# -- every C/D claim's tree gives claims.csv's verdict and carries its course ----------------------------
def _manipulation_table(rng, thr):
    ops = ["shift_x", "shift_y", "rot90", "flip_x", "flip_y", "splice_x", "splice_y", "invert"]
    # values on both sides of each threshold and exactly at it (an op is respected about half the time)
    rr, ra = thr["respect_ratio"], thr["respect_anchor"]
    t = pd.DataFrame({"operation": ops, "ratio": rng.choice([0.5 * rr, rr, 1.5 * rr], len(ops)),
                      "ratio_vs_no_op": rng.choice([0.5 * ra, ra, 1.5 * ra, 1.0], len(ops)),
                      "corr_with_reconstruction": rng.choice([-0.5, 0.0, 0.5], len(ops)), "mse_vs_pixel_op": 0.1})
    t["respects"] = respects(t, thr["respect_ratio"], thr["respect_anchor"])
    return t


def _courses_start_at_the_null(claims, epochs):
    """Every condition read from the null control and the final model starts at epoch 0 and ends at the run's
    epochs; every failing claim can be classed."""
    for c in claims:
        for x in _leaves(c.check):
            if x.series_from == c3.NULL_FINAL:
                assert set(x.series) == {0, epochs}, (c.id, x.name)
            elif x.series:  # per epoch from history.csv, the null control's row first (a change per epoch: from epoch 1)
                assert "epoch 0 = null control" in x.series_from and min(x.series) == (1 if "differences" in x.series_from else 0)
        if not c.holds() and not c.beyond_thesis:
            assert C.classify(c.check, REDUCED, RULES)["verdict"] in C.VERDICT_ORDER


def test_c2_c3_claims_carry_their_course_for_forensics():
    """The forensics stage classes the same claim trees the evaluate rule judged, the null control in front."""
    thr = yaml.safe_load((CONFIG / "vqvae.yaml").read_text())["vqvae"]["manipulations"]
    rr, ra = thr["respect_ratio"], thr["respect_anchor"]
    rng = np.random.default_rng(0)
    seen = {"replicates": 0, "differs": 0}
    metrics = {"codes_used": 10, "codebook_size": 64, "perplexity": 5.0, "usage": 0.2}
    for _ in range(200):
        t, null = _manipulation_table(rng, thr), _manipulation_table(rng, thr)
        claims = c3.claims(t, metrics, rr, ra, null, 6)
        written = c3.check_claims(t, metrics, rr, ra).set_index("id")
        assert [c.verdict() for c in claims] == written.loc[[c.id for c in claims], "verdict"].tolist()
        # the table's own `respects` column (vaerep.vqvae.evaluate.respects) agrees with the tree's conditions
        shifts = bool(t.set_index("operation").loc[["shift_x", "shift_y"], "respects"].all())
        assert written.loc["C3.shift_robust", "verdict"] == ("replicates" if shifts else "differs")
        _courses_start_at_the_null(claims, 6)
        for c in claims:
            if not c.beyond_thesis:
                seen[c.verdict()] += 1
    assert min(seen.values()) > 60


def _c1_inputs(rng, models, thr, epochs=5):
    table = pd.DataFrame({"model": models, "label": [f"L{m}" for m in models], "epochs": epochs,
                          "knn_accuracy": rng.choice([0.2, thr["separates_knn"], 0.6], len(models)),
                          **{f"latent_mean_z{i}": rng.choice([-1.0, -thr["normal_mean_abs"], 0.1, thr["normal_mean_abs"], 1.0], len(models))
                             for i in (1, 2)},
                          **{f"latent_std_z{i}": rng.choice([0.1, *thr["normal_std"], 1.0, 2.0], len(models)) for i in (1, 2)},
                          "generalisation_gap": rng.choice([-1.0, 0.0, 1.0, 3.0, 1.0 + thr["overfit_margin_nats"]], len(models)),
                          **{f"test_kl_z{i}": rng.choice([0.01, thr["collapse_kl_per_dim"], 0.2, thr["active_kl_per_dim"], 1.5], len(models))
                             for i in (1, 2)},
                          "test_mse_per_pixel": rng.choice([0.02, 0.04, 0.08], len(models)), "test_mse_mean_image": 0.05})

    def history(start):
        h = pd.DataFrame({"epoch": range(start, epochs + 1)})
        for col, lo, hi in [("train_loss", 30, 200), ("train_kl", 0.1, 8), ("train_rec", 30, 200), ("val_kl_z1", 0, 2),
                            ("val_kl_z2", 0, 2), ("val_mse", 0.02, 0.08)]:
            h[col] = rng.choice(np.linspace(lo, hi, 4), len(h))  # ties: a minimum reached twice
        return h

    return table, {m: history(1) for m in models}, {m: history(0).iloc[:1] for m in models}


def test_c1_claims_carry_their_course_for_forensics():
    """C1's claim trees with the null control: the verdicts are claims.csv's (written without it), the table's
    courses run from epoch 0 to the final epoch and the logged ones from the null control's epoch-0 row."""
    section = yaml.safe_load((CONFIG / "vqvae.yaml").read_text())["vqvae"]["vae2d"]
    thr, models = section["claims"], list(section["models"])
    roles = {"fc_mse": "M1", "fc_bce": "M2", "conv_mse": "M3", "conv_bce": "M4", "collapse": "collapse"}
    rng = np.random.default_rng(1)
    seen = {"replicates": 0, "differs": 0}
    for _ in range(150):
        table, hist, null_hist = _c1_inputs(rng, models, thr)
        null_table, _, _ = _c1_inputs(rng, models, thr)
        claims = c1.claims(c1.C1Inputs(table, hist, null_table, null_hist), roles, thr, 15)
        written = c1.check_claims(table, hist, roles, thr, 15).set_index("id")
        assert [c.verdict() for c in claims] == written.loc[[c.id for c in claims], "verdict"].tolist()
        _courses_start_at_the_null(claims, 5)
        for c in claims:
            seen[c.verdict()] += 1
    assert min(seen.values()) > 50
    # without the null control the courses simply lack epoch 0
    bare = c1.claims(c1.C1Inputs(table, hist), roles, thr, 15)
    assert all(0 not in x.series for c in bare for x in _leaves(c.check))
    assert [c.verdict() for c in bare] == [c.verdict() for c in claims]


def _d_inputs(knn_final=0.85, span=1.0, sharp=0.5, epochs=500):
    variants, histories, metrics, thesis = _fake_results()
    for m in metrics.values():
        m["checkpoints"][-1]["knn_accuracy"] = knn_final
        m["transitions"][0]["span"] = span
        m["sharpness_ratio"] = sharp
    if epochs < 500:  # a reduced run: its first checkpoints and epochs only
        histories = {v: h.iloc[:epochs] for v, h in histories.items()}
        metrics = {v: dict(m, checkpoints=m["checkpoints"][:2]) for v, m in metrics.items()}
    table = loss_table(histories, metrics, variants, thesis)
    ck = checkpoint_table(histories, metrics, variants)
    null = {"checkpoints": [dict(metrics["canonical"]["checkpoints"][0], epoch=0, knn_accuracy=0.15)],
            "transitions": [dict(metrics["canonical"]["transitions"][0], span=0.01)], "sharpness_ratio": 0.2,
            "digit_kept": {"reconstructions": 0.1, "originals": 0.9}}
    return variants, histories, metrics, thesis, table, ck, null


D_IDS = ["D.loss_about.total", "D.loss_about.rec", "D.loss_about.kl", "D.loss_code", "D.converges", "D.final_drop",
         "D.clusters_emerge", "D.organised", "D.neighbours_4_5", "D.neighbours_4_9", "D.smooth_0_9", "D.blurry"]


def _leaves(cond):
    return [cond] if isinstance(cond, Leaf) else [x for p in cond.parts for x in _leaves(p)]


@pytest.mark.parametrize("changes", [{}, {"knn_final": 0.5}, {"span": 0.3, "sharp": 0.9}, {"epochs": 5},
                                     {"epochs": 5, "knn_final": 0.9}])
def test_d_claims_carry_their_course_for_forensics(changes):
    """The forensics stage classes the same claim trees the summarise rule judged, with the null control in
    front of every course: the verdicts are claims.csv's, and every failing claim can be classed."""
    variants, histories, metrics, thesis, table, ck, null = _d_inputs(**changes)
    thr = dict(claim_thresholds(), neighbour_pairs=[[4, 5], [4, 9]])
    claims = dc.claims(dc.Inputs(table, ck, metrics, histories, variants, "canonical", null), thesis, thr)
    assert [c.id for c in claims if c.id != "D.mirror"] == D_IDS  # stable IDs, whatever the numbers
    written = dc.check_claims(table, ck, metrics, histories, variants, "canonical", thesis, thr).set_index("id")
    assert [c.verdict() for c in claims] == written.loc[[c.id for c in claims], "verdict"].tolist()
    assert written.loc["D.neighbours_4_9", "verdict"] == "differs"  # 4 and 9 are not neighbours on the synthetic circle
    for c in claims:
        for x in _leaves(c.check):
            if "null control" in x.series_from:
                assert 0 in x.series, (c.id, x.name)
        if not c.holds():
            assert C.classify(c.check, REDUCED, RULES)["verdict"] in C.VERDICT_ORDER
    d = dc.Inputs(table, ck, metrics, histories, variants, "canonical", null)
    for key, cond in dc.number_checks(d, thesis, thr["loss_tolerance"]).items():
        k = key.rsplit(".", 1)[1]
        assert cond.passes() == (abs(table.set_index("variant").loc["canonical", k] - thesis[k]) <= thr["loss_tolerance"][k])


def test_d_claim_tree_decides_the_verdict():
    """A doubled or dropped condition changes a verdict: the tree, not a second copy, is the check."""
    variants, histories, metrics, thesis, table, ck, null = _d_inputs(span=0.3)
    thr = dict(claim_thresholds(), neighbour_pairs=[[4, 5]])
    smooth = {c.id: c for c in dc.claims(dc.Inputs(table, ck, metrics, histories, variants, "canonical"), thesis, thr)}["D.smooth_0_9"]
    assert smooth.verdict() == "differs" and not smooth.check.parts[1].passes()  # the span condition fails
    smooth.check.parts.pop(1)
    assert smooth.verdict() == "replicates"


def test_scorecard_explanation_names_the_class_of_a_c_d_row():
    from vaerep.forensics import explanation

    card_row = {"study": "C vqvae", "claim_id": "C1.conv_separates", "source": "§5.1.1",
                "claim": "The conv-head VAE also separates some classes", "thesis_value": "claim", "replicated_value": "x",
                "verdict": "differs"}
    row = fd.forensics_row(card_row, leaf(0.2, {1: 0.2, 2: 0.21, 3: 0.2}), REDUCED, RULES, "rule x")
    rows = [card_row, dict(card_row, claim_id="C1.conv_separates_more"),  # a longer ID with the same start: not covered
            dict(card_row, claim_id="C1.other", claim="The conv-head VAE also separates some classes")]  # same text
    out = explanation(pd.DataFrame(rows), pd.DataFrame([row]))
    assert out.tolist() == ["H-C1.conv_separates (real difference): does not explain (forensics.md)", "", ""]
    prefix = dict(row, claim_id="C1")  # a hypothesis about every C1 row
    assert explanation(pd.DataFrame(rows), pd.DataFrame([prefix]))[2].startswith("H-C1.conv_separates")
