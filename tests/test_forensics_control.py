"""The forensics verdict rule with a control (vaerep.forensics.control) and Study A's rows built on it, on inputs
whose right verdict is known. Thresholds are passed explicitly, never read back from the config."""

import math

import pytest

from vaerep.forensics import smvae as A
from vaerep.forensics.control import Estimate, Target, judge

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


def test_study_a_contrast_row_needs_a_rise_beyond_the_noise():
    thesis, spec = {"neg_elbo": 129.2}, {"c_dist": "gamma"}
    hyp, base = _evals([129.5] * 3, rho=0.8), _evals([140.0] * 3, rho=0.1)
    assert A.summarise(hyp, spec, base, thesis, 1.0, 0.5, K)[1]["verdict"] == "explains"
    noisy = [dict(r, c_spearman=v) for r, v in zip(hyp, [0.9, 0.0, 0.9])]   # mean 0.6, std 0.52: move 0.4 < 1.04
    assert A.summarise(noisy, spec, base, thesis, 1.0, 0.5, K)[1]["verdict"] == "does not explain"


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
