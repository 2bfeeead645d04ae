"""The forensics verdict rule with a control (vaerep.forensics.control) and Study A's rows built on it, on inputs
whose right verdict is known. Thresholds are passed explicitly, never read back from the config."""

import math

import pytest

from vaerep.forensics import smvae as A
from vaerep.forensics.control import Estimate, Target, fisher_tail, judge, judge_count

K = 2.0
NEAR = Target("near", 129.2, 1.0)


def est(mean, spread, n=3):
    return Estimate(mean, spread, n)


def test_a_move_away_from_a_baseline_that_already_replicates_does_not_explain():
    out = judge(est(129.5, 0.1), est(130.1, 0.1), NEAR, K)
    assert out["verdict"] == "does not explain" and "already lies" in out["reason"]
    # even a hypothesis that lands does not explain a number the baseline already replicates
    assert judge(est(129.5, 0.1), est(129.2, 0.1), NEAR, K)["verdict"] == "does not explain"


def test_a_move_within_the_seed_spread_does_not_explain():
    # the audit's case: a 0.97-nat move toward the thesis with a 2.28-nat seed spread, landing within tolerance
    out = judge(est(129.2 + 1.9, 2.28), est(129.2 + 0.93, 0.5), NEAR, K)
    assert out["move_value"] == pytest.approx(0.97)
    assert out["verdict"] == "does not explain" and "within the noise" in out["reason"]
    assert out["noise_value"] == pytest.approx(2 * 2.28)


def test_a_real_explanation_explains():
    out = judge(est(140.0, 0.3), est(129.5, 0.4), NEAR, K)
    assert out["verdict"] == "explains"
    assert out["move_value"] == pytest.approx(10.5) and out["noise_value"] == pytest.approx(0.8)
    assert out["move"] == "+10.5" and "0.8" in out["noise"] and out["baseline"].startswith("140 ± 0.3")


def test_a_move_beyond_the_noise_that_does_not_land_is_partly():
    out = judge(est(140.0, 0.3), est(135.0, 0.4), NEAR, K)
    assert out["verdict"] == "partly" and "outside" in out["reason"]
    # from below the thesis works the same way
    assert judge(est(120.0, 0.3), est(125.0, 0.4), NEAR, K)["verdict"] == "partly"


def test_a_move_away_or_overshooting_past_the_baseline_does_not_explain():
    assert judge(est(135.0, 0.1), est(140.0, 0.1), NEAR, K)["verdict"] == "does not explain"
    # overshoot: crosses the thesis and ends farther from it than the baseline was
    out = judge(est(135.0, 0.1), est(123.0, 0.1), NEAR, K)
    assert out["verdict"] == "does not explain" and "moves away" in out["reason"]


def test_a_move_exactly_equal_to_the_noise_does_not_explain():
    """The move must *exceed* the noise: offsets 10 and 9 from the thesis (move 1) against k = 2 times a seed
    std of 0.5 (noise 1) is a move a second set of seeds could give on its own."""
    out = judge(est(110.0, 0.5), est(109.0, 0.5), Target("near", 100.0, 1.0), K)
    assert out["move_value"] == 1.0 and out["noise_value"] == 1.0
    assert out["verdict"] == "does not explain" and "within the noise" in out["reason"]

def test_one_seed_has_no_noise_estimate_and_cannot_explain():
    out = judge(Estimate.of([140.0]), Estimate.of([129.3]), NEAR, K)
    assert out["verdict"] == "does not explain" and "one seed" in out["reason"]
    assert math.isnan(out["noise_value"]) and "not measured" in out["noise"]


def test_one_sided_and_range_targets():
    rises = Target("at_least", 0.5)
    assert judge(est(0.1, 0.05), est(0.7, 0.05), rises, K)["verdict"] == "explains"
    assert judge(est(0.1, 0.05), est(0.4, 0.05), rises, K)["verdict"] == "partly"
    assert judge(est(0.6, 0.05), est(0.9, 0.05), rises, K)["verdict"] == "does not explain"   # already rises
    band = Target("range", 7000, upper=8500)
    assert judge(est(120, 5), est(7700, 300), band, K)["verdict"] == "explains"
    assert judge(est(120, 5), est(9000, 4000), band, K)["verdict"] == "does not explain"  # move 6380 < 2 x 4000...
    assert judge(est(120, 5), est(9000, 30), band, K)["verdict"] == "partly"              # ...but beyond 2 x 30
    with pytest.raises(ValueError, match="finite upper end"):
        Target("range", 7000, 8500).offset(1.0)   # the upper end passed as a tolerance
    with pytest.raises(ValueError, match="unknown target kind"):
        Target("about", 1.0).offset(1.0)


def test_k_scales_the_noise():
    base, hyp = est(135.0, 1.0), est(129.5, 1.0)   # move 5.5
    assert judge(base, hyp, NEAR, 5.0)["verdict"] == "explains"
    assert judge(base, hyp, NEAR, 6.0)["verdict"] == "does not explain"


# -- Study A rows --------------------------------------------------------------------------------
def _evals(values, key="neg_elbo_true", rho=0.0):
    return [{"neg_elbo_true": v, "neg_elbo_author": v, "c_spearman": rho} for v in values]


def test_study_a_summarise_uses_the_control():
    thesis = {"neg_elbo": 129.2}
    spec = {"kl": "author_code", "c_dist": "lognormal"}
    # the audit's first case: a baseline that replicates, a hypothesis that moves away but stays within 1 nat
    rows = A.summarise(_evals([130.0, 130.1, 130.2]), spec, _evals([129.3, 129.4, 129.2]), thesis, 1.0, 0.5, K)
    assert rows[0]["verdict"] == "does not explain"
    # the audit's second case: 0.97 nats toward the thesis, seed spread 2.28 nats
    base = [131.1 - 2.28, 131.1, 131.1 + 2.28]   # mean 131.1, std 2.28
    rows = A.summarise(_evals([130.13, 130.13, 130.13]), spec, _evals(base), thesis, 1.0, 0.5, K)
    assert rows[0]["verdict"] == "does not explain"
    rows = A.summarise(_evals([129.5, 129.6, 129.4]), spec, _evals([140.0, 140.2, 139.8]), thesis, 1.0, 0.5, K)
    assert rows[0]["verdict"] == "explains" and {"baseline", "move", "noise"} <= set(rows[0])


def test_study_a_kl_cell_is_judged_with_the_hypothesis_own_kl_and_the_scorecard_tolerance():
    """H-A1 (the author's Gamma KL): the KL cell lands when the author's KL reaches the thesis's 6.11 from a
    true-KL baseline of 7.5, beyond the noise; the same move within a wide seed spread does not explain."""
    thesis, spec, tol = {"neg_elbo": 129.2, "rec": 123.1, "kl": 6.11}, {"kl": "author_code"}, {"rec": 1.0, "kl": 0.3}

    def ev(kl_author, kl_true=(7.5, 7.5, 7.5), rec=120.0):
        return [{"neg_elbo_true": rec + t, "neg_elbo_author": rec + a, "rec": rec, "kl_true": t, "kl_author": a,
                 "c_spearman": 0.0} for a, t in zip(kl_author, kl_true)]

    base = ev([7.5, 7.5, 7.5])
    rows = {r["term"]: r for r in A.summarise(ev([6.1, 6.15, 6.05]), spec, base, thesis, 1.0, 0.5, K, tol)}
    assert set(rows) == {"neg_elbo", "rec", "kl"}
    assert rows["kl"]["verdict"] == "explains" and "author" in rows["kl"]["measured"]
    assert rows["rec"]["verdict"] == "does not explain"  # the BCE did not move: 120 stays 3.1 nats off
    wide = {r["term"]: r for r in A.summarise(ev([6.1, 6.1, 6.1]), spec, ev([7.5] * 3, (5.0, 7.5, 10.0)), thesis, 1.0, 0.5, K,
                                              tol)}
    assert wide["kl"]["verdict"] == "does not explain"
    # without the scorecard's tolerances (an older rule) only the -ELBO row is made
    assert [r["term"] for r in A.summarise(ev([6.1] * 3), spec, base, thesis, 1.0, 0.5, K)] == ["neg_elbo"]


def test_study_a_contrast_row_needs_a_rise_beyond_the_noise():
    thesis, spec = {"neg_elbo": 129.2}, {"c_dist": "gamma"}
    hyp, base = _evals([129.5] * 3, rho=0.8), _evals([140.0] * 3, rho=0.1)
    assert A.summarise(hyp, spec, base, thesis, 1.0, 0.5, K)[1]["verdict"] == "explains"
    noisy = [dict(r, c_spearman=v) for r, v in zip(hyp, [0.9, 0.0, 0.9])]   # mean 0.6, std 0.52: move 0.4 < 1.04
    assert A.summarise(noisy, spec, base, thesis, 1.0, 0.5, K)[1]["verdict"] == "does not explain"


@pytest.mark.parametrize("b, nb, h, nh", [(0, 3, 2, 3), (0, 10, 5, 10), (2, 7, 6, 9), (0, 4, 4, 4)])
def test_the_seed_count_test_is_fisher_exact(b, nb, h, nh):
    scipy_stats = pytest.importorskip("scipy.stats")
    table = [[h, nh - h], [b, nb - b]]
    assert fisher_tail(b, nb, h, nh) == pytest.approx(scipy_stats.fisher_exact(table, alternative="greater")[1])


@pytest.mark.parametrize("counts, verdict", [
    ((0, 3, 2, 3), "does not explain"),   # the thesis's pattern, but 3 seeds a side: p = 0.2, within chance
    ((0, 3, 0, 3), "does not explain"),   # null: the hypothesis changes nothing
    ((0, 10, 5, 10), "explains"),         # 5 of 10 against 0 of 10: p = 0.016, and some do, some do not
    ((0, 10, 10, 10), "partly"),          # every seed now shows it: beyond chance, but not the pattern
    ((0, 10, 1, 10), "does not explain"), # one seed in ten: the pattern, within chance (p = 0.5)
    ((10, 10, 5, 10), "explains"),        # from every seed showing it toward some: the other direction
    ((1, 3, 2, 3), "does not explain"),   # the baseline already shows the pattern
])
def test_a_seed_count_claim_moves_only_beyond_chance(counts, verdict):
    out = judge_count(*counts, 0.05, "rise")
    assert out["verdict"] == verdict, out["reason"]


def test_study_a_unstable_row_needs_more_seeds_than_three_to_explain():
    """H-A1's own case: 2 of 3 seeds rise against 0 of 3 (the thesis's pattern) stays within chance; the same
    shares over 10 seeds explain."""
    thesis, spec = {"neg_elbo": 129.2}, {"c_dist": "gamma"}

    def ev(rhos):
        return [dict(r, c_spearman=v) for r, v in zip(_evals([129.5] * len(rhos)), rhos)]

    rows = {r["term"]: r for r in A.summarise(ev([0.4, 0.5, 0.0]), spec, ev([0.0, 0.1, -0.2]), thesis, 1.0, 0.3, K,
                                              count_alpha=0.05)}
    assert rows["unstable"]["verdict"] == "does not explain" and "p = 0.2" in rows["unstable"]["reason"]
    rows = {r["term"]: r for r in A.summarise(ev([0.4, 0.5, 0.0] * 3 + [0.6]), spec, ev([0.0, 0.1, -0.2] * 3 + [0.0]),
                                              thesis, 1.0, 0.3, K, count_alpha=0.05)}
    assert rows["unstable"]["verdict"] == "explains"   # 7 of 10 against 0 of 10
    # a negative relation counts as a relation (|Spearman|), as in the claim itself
    rows = {r["term"]: r for r in A.summarise(ev([-0.4, -0.5, 0.0]), spec, ev([0.0] * 3), thesis, 1.0, 0.3, K,
                                              count_alpha=0.05)}
    assert rows["unstable"]["measured"].startswith("2 of 3")
    # null control: the untrained pre Gamma models' Spearmans (the `cpu` null run: 0.140, -0.210, -0.204) as the
    # "hypothesis" against the trained baseline's (0.100, 0.125, -0.223): no seed shows the relation, no move
    rows = {r["term"]: r for r in A.summarise(ev([0.140, -0.210, -0.204]), spec, ev([0.100, 0.125, -0.223]), thesis,
                                              1.0, 0.3, K, count_alpha=0.05)}
    assert rows["unstable"]["verdict"] == "does not explain" and rows["unstable"]["measured"].startswith("0 of 3")
    # one seed a side: no row
    assert "unstable" not in {r["term"] for r in A.summarise(ev([0.4]), spec, ev([0.0]), thesis, 1.0, 0.3, K,
                                                             count_alpha=0.05)}


def _est(values):
    return {v: Estimate.of(x) for v, x in values.items()}


def test_ranking_explains_only_when_the_agreement_is_beyond_the_noise():
    base = _est({"standard": [118, 118.2, 118.1], "pre_normal": [125, 125.2, 125.1], "post_lognormal": [127, 127.2, 127.1],
                 "pre_gamma1": [129, 129.2, 129.1], "pre_gamma3": [129.5, 129.7, 129.6]})
    before = A.ranking({v: e.mean for v, e in base.items()})
    assert not A.middle_three_agrees(before)
    moved = dict(base, post_lognormal=Estimate.of([121, 121.2, 121.1]))   # now second, by 4 nats
    assert A.ranking_row(base, moved, K)["verdict"] == "explains"
    close = dict(base, post_lognormal=Estimate.of([124.0, 125.0, 124.9]))  # second by 0.47 nats, spread 0.55
    row = A.ranking_row(base, close, K)
    assert row["verdict"] == "does not explain" and "post_lognormal / pre_normal" in row["noise"]
    assert A.ranking_row(moved, moved, K)["verdict"] == "does not explain"   # the baseline already agrees


# -- Study B: Table 2.4's whole pattern, the null models, Table 2.3's unit runs -------------------------------------
from vaerep.forensics import dsprites as B  # noqa: E402

T24 = {"1": {"shape": 0.0, "scale": 0.0, "orientation": 0.0001, "posX": 0.0002, "posY": 0.0002},
       "5": {"shape": 0.0, "scale": 0.0, "orientation": 0.0001, "posX": 0.0008, "posY": 0.0002}}
MIG_CFG = {"n_images": 1000, "ceiling": 0.001, "protocols": {p: {"order": "random", "codes": "mean", "estimator": "hist"}
                                                             for p in ("study", "whole", "one_cell", "uninformative")}}
WHOLE = {b: {**cells, "mig": 0.0001} for b, cells in T24.items()}          # every cell of every beta
TRAINED = {b: {f: 0.3 for f in cells} | {"mig": 0.3} for b, cells in T24.items()}  # a model that disentangles


def _mig_verdicts(trained: dict, null: dict) -> dict:
    rows = B.mig_rows(trained, null, T24, MIG_CFG, "x")
    assert all(r["baseline"].startswith("study protocol") and "null models" in r["noise"] for r in rows)
    return {r["hypothesis"].split("(")[1].split(")")[0]: r for r in rows}


def test_mig_protocol_explains_only_by_the_whole_pattern_and_not_on_the_null():
    one_cell = {b: dict(TRAINED[b], orientation=0.0001) for b in T24}        # 1 cell per beta
    trained = {"study": TRAINED, "whole": WHOLE, "one_cell": one_cell, "uninformative": WHOLE}
    null = {"study": TRAINED, "whole": TRAINED, "one_cell": TRAINED, "uninformative": WHOLE}
    v = _mig_verdicts(trained, null)
    assert v["whole"]["verdict"] == "explains" and v["whole"]["move"] == "+10 cells"
    assert v["one_cell"]["verdict"] == "partly"                              # 2 of 10 cells: not the pattern
    assert v["study"]["verdict"] == "does not explain"
    # the same whole pattern, but the untrained null models give it too under that protocol
    assert v["uninformative"]["verdict"] == "does not explain"
    assert "what a code without information gives under protocol uninformative" in v["uninformative"]["reason"]
    # one cell short of the whole pattern is not an explanation
    almost = {b: dict(WHOLE[b]) for b in T24}
    almost["5"]["posX"] = 0.3
    v = _mig_verdicts(dict(trained, whole=almost), null)
    assert v["whole"]["verdict"] == "partly" and v["whole"]["measured"].startswith("9 of 10 cells")


def _history(loss, rec, kl, val):
    return {"train_loss": loss, "train_rec": rec, "train_kl": kl, "val_loss": val}


def test_unit_rows_judge_the_loss_magnitude_against_the_study_convention_over_seeds():
    from vaerep.forensics import units as U

    cfg = {"baseline": "image_sum", "thesis_batch_size": 256,
           "patterns": {"kl_ratio": [1.0, 1.6], "val_ratio": [0.52, 0.72], "magnitude": [7000, 8500]}}
    thesis = {"5": {"loss": 8096.78, "rec": 7716.18, "kl": 76.12}, "10": {"loss": 7783.67, "rec": 7177.50, "kl": 60.62}}
    arith = [r for r in U.arithmetic_table(thesis) if r["convention"] in ("image_sum", "row_mean_x4096")]

    def runs(scale, wobble):   # per seed, two betas; a loss of 120 nats per image times `scale`
        return {s: {5.0: _history(scale * (121 + d), scale * 110, 76, 0.62 * scale * (121 + d)),
                    10.0: _history(scale * (119 + d), scale * 100, 60, 0.62 * scale * (119 + d))}
                for s, d in enumerate(wobble)}

    clean = {"image_sum": runs(1, [0, 1, -1]), "row_mean_x4096": runs(64, [0, 1, -1])}
    rows = {r["hypothesis"].split("(")[1].split(")")[0]: r for r in B.unit_rows(arith, clean, cfg, 64, "x", K)}
    assert rows["image_sum"]["verdict"] == "does not explain" and "arithmetic" in rows["image_sum"]["move"]
    assert rows["row_mean_x4096"]["verdict"] == "explains", rows["row_mean_x4096"]["reason"]
    assert rows["row_mean_x4096"]["baseline"].startswith("image_sum: 120")
    # a convention that overshoots the thesis's magnitude (x 4096 instead of x 64) moves away: no explanation
    over = {"image_sum": runs(1, [0, 1, -1]), "row_mean_x4096": runs(4096, [0, 1, -1])}
    rows = {r["hypothesis"].split("(")[1].split(")")[0]: r for r in B.unit_rows(arith, over, cfg, 64, "x", K)}
    assert rows["row_mean_x4096"]["verdict"] == "does not explain" and "moves away" in rows["row_mean_x4096"]["reason"]
    # seeds that disagree by thousands of nats: the same mean move lies within the noise
    noisy = {"image_sum": runs(1, [0, 1, -1]), "row_mean_x4096": runs(64, [0, 60, -60])}
    rows = {r["hypothesis"].split("(")[1].split(")")[0]: r for r in B.unit_rows(arith, noisy, cfg, 64, "x", K)}
    assert rows["row_mean_x4096"]["verdict"] == "does not explain" and "within the noise" in rows["row_mean_x4096"]["reason"]


# -- Studies C and D: a trend needs to beat its own uncertainty; a threshold choice needs noise --------------------
from vaerep.forensics import classify as C  # noqa: E402

CD_RULES = {"noise_k": 2.0, "threshold_margin": 0.1, "trend_points": 4, "min_trend_points": 3, "max_extrapolation": 3}
SMALL = C.Budget("reduced", 4, 1000, 15, 60000)


def _leaf(value, series, threshold=0.4):
    return C.Leaf("k-NN accuracy", value, ">=", threshold, "separates_knn", False, series, "history")


def test_a_clean_slope_is_a_trend_and_a_noisy_one_is_not():
    clean = C.classify(_leaf(0.30, {1: 0.21, 2: 0.24, 3: 0.27, 4: 0.30}), SMALL, CD_RULES)
    assert clean["category"] == "scale artefact" and clean["verdict"] == "explains"
    # a rise toward the threshold (slope +0.01 per epoch: crosses in 10 epochs, within 3 x 4) through a wobble
    # far larger than it: slope 0.01 ± 0.086 (residual std 0.193, Sxx 5) is no trend
    wobble = {1: 0.15, 2: 0.45, 3: 0.10, 4: 0.30}
    t = C.trend(wobble, 4)
    assert t.slope == pytest.approx(0.01) and t.resid_std == pytest.approx((0.0745 / 2) ** 0.5)
    assert t.se == pytest.approx(t.resid_std / 5 ** 0.5)
    noisy = C.classify(_leaf(0.30, wobble), SMALL, CD_RULES)
    assert noisy["category"] == "real difference" and "within 2 standard errors" in noisy["leaves"][0]["text"]


def test_a_threshold_choice_needs_the_gap_within_the_measured_noise():
    wobbly = {1: 0.37, 2: 0.33, 3: 0.38, 4: 0.37}       # residual std ~0.024; gap 0.03 < 2 x 0.024
    out = C.classify(_leaf(0.37, wobbly), SMALL, CD_RULES)
    assert out["category"] == "threshold choice" and "within the noise" in out["leaves"][0]["text"]
    steady = {1: 0.3701, 2: 0.3699, 3: 0.3700, 4: 0.3700}  # the same gap, noise 1e-4: a real difference
    out = C.classify(_leaf(0.37, steady), SMALL, CD_RULES)
    assert out["category"] == "real difference" and "beyond the noise" in out["leaves"][0]["text"]
    # two kept values (null control and final model): no noise estimate, so no threshold choice
    out = C.classify(_leaf(0.37, {0: 0.1, 4: 0.37}), SMALL, CD_RULES)
    assert out["category"] == "real difference" and "no noise estimate" in out["leaves"][0]["text"]
