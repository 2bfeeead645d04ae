"""Table 4.1 on two devices (vaerep.smvae.device_agreement): the rule agrees on the same numbers, rejects a shifted
or untrained model's, says *not measured* without a seed spread, and its chance rate is what the config states."""

import numpy as np
import pandas as pd
import pytest

from vaerep.smvae import device_agreement as agreement
from vaerep.reports import settings_at
from vaerep.smvae.table import table_4_1

VARIANTS = {"standard": {"label": "Standard VAE", "table": True, "thesis": {"neg_elbo": 118.4, "rec": 110.9, "kl": 7.48}},
            "pre_normal": {"label": "pre Normal SMVAE", "table": True,
                           "thesis": {"neg_elbo": 127.1, "rec": 119.3, "kl": 7.73}}}
CFG = settings_at("full", "smvae")["device_agreement"]


def per_seed(rec: dict, kl: dict, seeds=(0, 1, 2)) -> pd.DataFrame:
    """Per-seed Table 4.1 rows: ``rec`` / ``kl`` map a variant to its per-seed values."""
    rows = []
    for variant in rec:
        for i, seed in enumerate(seeds):
            r, k = rec[variant][i], kl[variant][i]
            rows.append({"variant": variant, "seed": seed, "rec": r, "kl": k, "neg_elbo": r + k,
                         "neg_log_lik_iw": r + k - 5, "n_test": 40000})
    return pd.DataFrame(rows)


CPU_REC = {"standard": [110.1, 110.4, 110.7], "pre_normal": [119.0, 119.5, 119.2]}
CPU_KL = {"standard": [7.40, 7.45, 7.52], "pre_normal": [7.70, 7.61, 7.80]}


def compare(gpu_rec, gpu_kl, seeds=(0, 1, 2)):
    cpu = table_4_1(per_seed(CPU_REC, CPU_KL, seeds), VARIANTS)
    gpu = table_4_1(per_seed(gpu_rec, gpu_kl, seeds), VARIANTS)
    return agreement.compare(gpu, cpu, CFG["terms"], CFG["noise_k"]).set_index(["variant", "term"])


def test_the_same_numbers_agree_in_every_cell():
    # other seeds of the same distribution: the CPU's values in another order, plus round-off
    shuffled = {v: [x + 1e-4 for x in reversed(vals)] for v, vals in CPU_REC.items()}
    table = compare(shuffled, {v: list(reversed(vals)) for v, vals in CPU_KL.items()})
    assert len(table) == 2 * len(CFG["terms"]) and (table["verdict"] == agreement.AGREES).all()
    assert table["diff"].abs().max() < 1e-3


def test_a_model_shifted_by_under_three_seed_stds_differs_where_it_moved():
    # the Standard VAE's BCE 0.8 nats (2.7 seed stds) higher on the "GPU": -ELBO and BCE differ, KL agrees
    gpu_rec = {"standard": [x + 0.8 for x in CPU_REC["standard"]], "pre_normal": CPU_REC["pre_normal"]}
    table = compare(gpu_rec, CPU_KL)
    assert table.loc[("standard", "rec"), "verdict"] == agreement.DIFFERS
    assert table.loc[("standard", "neg_elbo"), "verdict"] == agreement.DIFFERS
    assert table.loc[("standard", "kl"), "verdict"] == agreement.AGREES
    assert (table.loc["pre_normal", "verdict"] == agreement.AGREES).all()
    assert table.loc[("standard", "rec"), "diff"] == pytest.approx(0.8)
    assert table.loc[("standard", "rec"), "noise"] == pytest.approx(CFG["noise_k"] * 0.3)


def test_a_gap_within_the_wider_seed_spread_agrees():
    # the "GPU" seeds scatter three times wider (std 0.9): a 1.0-nat gap in the mean lies within 2 x 0.9
    mean = float(np.mean(CPU_REC["standard"]))
    gpu_rec = {"standard": [mean + 0.1, mean + 1.0, mean + 1.9], "pre_normal": CPU_REC["pre_normal"]}
    table = compare(gpu_rec, CPU_KL)
    assert table.loc[("standard", "rec"), "diff"] == pytest.approx(1.0)
    assert table.loc[("standard", "rec"), "noise"] == pytest.approx(CFG["noise_k"] * 0.9)
    assert table.loc[("standard", "rec"), "verdict"] == agreement.AGREES


def test_an_untrained_model_differs_in_every_cell():
    # the null control's numbers (an untrained decoder: BCE near 784 x log 2 on c-MNIST, KL near 0)
    untrained_rec = {v: [543.2, 544.0, 542.7] for v in CPU_REC}
    untrained_kl = {v: [0.02, 0.03, 0.02] for v in CPU_REC}
    assert (compare(untrained_rec, untrained_kl)["verdict"] == agreement.DIFFERS).all()


def test_one_seed_a_side_is_not_measured():
    table = compare({v: vals[:1] for v, vals in CPU_REC.items()}, {v: vals[:1] for v, vals in CPU_KL.items()},
                    seeds=(0,))
    assert (table["verdict"] == agreement.NOT_MEASURED).all() and table["noise"].isna().all()
    assert agreement.summary(table.reset_index(), CFG["noise_k"])["not_measured"] == len(table)


def test_the_chance_rate_of_a_differs_is_the_one_the_config_states():
    # smvae.yaml: 4 % of the cells of two identical devices, 3 seeds a side; power 73 % at a 3-seed-std shift.
    rate = agreement.false_alarm_rate(3, 3, CFG["noise_k"])
    assert 0.035 <= rate <= 0.05
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((50_000, 3)), rng.standard_normal((50_000, 3)) + 3.0
    noise = CFG["noise_k"] * np.maximum(a.std(axis=1, ddof=1), b.std(axis=1, ddof=1))
    assert 0.68 <= float((np.abs(a.mean(axis=1) - b.mean(axis=1)) > noise).mean()) <= 0.78
    assert np.isnan(agreement.false_alarm_rate(1, 3, CFG["noise_k"]))


def test_the_markdown_sets_the_count_of_differs_against_chance():
    gpu_rec = {"standard": [x + 0.8 for x in CPU_REC["standard"]], "pre_normal": CPU_REC["pre_normal"]}
    table = compare(gpu_rec, CPU_KL).reset_index()
    text = agreement.to_markdown(table, CFG["noise_k"], "`full` on H200", "`cpu` on Zen 4")
    assert "4 of 6 cells agree, 2 differ, 0 not measured" in text
    assert "about 0.3 *differs* by chance" in text and "| Standard VAE | BCE |" in text


def test_table_difference_is_replicated_minus_thesis():
    """diff_* = replicated mean - thesis value: the Standard VAE's seeds average rec 110.4 and KL 7.4567, so its
    -ELBO 117.8567 lies 0.5433 below the thesis's 118.4 (a negative difference)."""
    row = table_4_1(per_seed(CPU_REC, CPU_KL), VARIANTS).set_index("variant").loc["standard"]
    assert row["neg_elbo_mean"] == pytest.approx(110.4 + (7.40 + 7.45 + 7.52) / 3)
    assert row["diff_neg_elbo"] == pytest.approx(110.4 + (7.40 + 7.45 + 7.52) / 3 - 118.4)
    assert row["diff_neg_elbo"] < 0 and row["diff_kl"] == pytest.approx((7.40 + 7.45 + 7.52) / 3 - 7.48)
