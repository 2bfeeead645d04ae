"""Study C's shift hypothesis (H-C-shift): the C3 shift rows judged at another shift, on inputs whose verdict is
known, and on an untrained VQ-VAE, which no shift may make "respect" its code."""

from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from vaerep.config import study_settings
from vaerep.forensics.vqvae_shift import CLAIM_ID, shift_rows
from vaerep.models.vqvae import build_vqvae
from vaerep.plan import full_config
from vaerep.vqvae.evaluate import manipulation_table

CONFIG = Path(__file__).resolve().parents[1] / "workflow" / "config"
K = yaml.safe_load((CONFIG / "config.yaml").read_text())["scorecard"]["forensics"]["noise_k"]
C = study_settings(full_config("full"), "vqvae")
HYP = C["forensics"]["shift"]
STUDY_SHIFT = C["manipulations"]["shift_cells"]
THRESHOLDS = {"ratio": C["manipulations"]["respect_ratio"], "ratio_vs_no_op": C["manipulations"]["respect_anchor"]}


def table(shifts: dict) -> pd.DataFrame:
    """One seed's shift rows: shift_cells -> (ratio, ratio_vs_no_op), the same for shift_x and shift_y."""
    return pd.DataFrame([{"operation": op, "shift_cells": s, "ratio": r, "ratio_vs_no_op": a}
                         for s, (r, a) in shifts.items() for op in ("shift_x", "shift_y")])


def verdicts(tables):
    rows = shift_rows(tables, STUDY_SHIFT, HYP, THRESHOLDS, K, "test")
    assert {r["claim_id"] for r in rows} == {CLAIM_ID}
    return [r["verdict"] for r in rows]


def test_the_config_names_another_shift_and_several_seeds():
    assert HYP["shift_cells"] != STUDY_SHIFT and len(HYP["seeds"]) >= 2


def test_a_smaller_shift_that_is_carried_out_explains():
    # ratio 3.5 -> 1.2 (needs <= 1.5), anchor 0.3 holds at both shifts (no row): explains shift_x and shift_y
    seeds = [table({STUDY_SHIFT: (3.5 + d, 0.30 + d / 10), HYP["shift_cells"]: (1.2 + d, 0.32 + d / 10)})
             for d in (-0.05, 0.0, 0.05)]
    rows = shift_rows(seeds, STUDY_SHIFT, HYP, THRESHOLDS, K, "test")
    assert [(r["target"].split(":")[0], r["verdict"]) for r in rows] == [("shift_x", "explains"), ("shift_y", "explains")]
    assert all("reconstruction MSE" in r["target"] for r in rows)


def test_a_condition_the_hypothesis_breaks_is_a_move_away():
    seeds = [table({STUDY_SHIFT: (3.5 + d, 0.30 + d / 10), HYP["shift_cells"]: (1.2 + d, 0.70 + d / 10)})
             for d in (-0.05, 0.0, 0.05)]
    rows = shift_rows(seeds, STUDY_SHIFT, HYP, THRESHOLDS, K, "test")
    broken = [r for r in rows if "MSE(reconstruction" in r["target"]]
    assert len(broken) == 2 and all(r["verdict"] == "does not explain" and "away" in r["reason"] for r in broken)


def test_a_move_that_stops_short_is_partly_and_one_within_the_noise_does_not_explain():
    short = [table({STUDY_SHIFT: (3.5 + d, 0.3), HYP["shift_cells"]: (2.5 + d, 0.3)}) for d in (-0.05, 0.0, 0.05)]
    assert verdicts(short)[0] == "partly"
    noisy = [table({STUDY_SHIFT: (3.5 + d, 0.3), HYP["shift_cells"]: (2.5 + d, 0.3)}) for d in (-0.8, 0.0, 0.8)]
    assert verdicts(noisy)[0] == "does not explain"


def test_a_hypothesis_under_which_the_op_is_not_carried_out_explains_nothing():
    """A null-like model at the hypothesis's shift: error ratio 1 (within 1.5) but ratio_vs_no_op 1 (the op is not
    carried out): the ratio's move is not an explanation."""
    seeds = [table({STUDY_SHIFT: (3.5 + d, 0.3), HYP["shift_cells"]: (1.0 + d / 10, 1.0)}) for d in (-0.05, 0.0, 0.05)]
    rows = shift_rows(seeds, STUDY_SHIFT, HYP, THRESHOLDS, K, "test")
    assert "explains" not in [r["verdict"] for r in rows]
    ratio = [r for r in rows if "reconstruction MSE" in r["target"]]
    assert [r["verdict"] for r in ratio] == ["partly", "partly"] and all("other condition" in r["reason"] for r in ratio)


def test_one_seed_cannot_explain():
    assert verdicts([table({STUDY_SHIFT: (3.5, 0.3), HYP["shift_cells"]: (1.0, 0.3)})])[0] == "does not explain"


def test_an_untrained_vq_vae_is_explained_by_no_shift():
    """An untrained model decodes any code to about the same blur: its shifted output is as far from the shifted
    image as its reconstruction is (ratio_vs_no_op near 1 at every shift), so no shift makes the anchor land."""
    seeds = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        model = build_vqvae(C["mnist"]["model"]).eval()
        g = torch.Generator().manual_seed(seed)
        x = torch.zeros(64, 1, 28, 28)
        x[:, :, 6:22, 10:18] = torch.rand(64, 1, 16, 8, generator=g)  # a bright stroke in the middle
        with torch.no_grad():
            t = pd.concat([manipulation_table(model, x, s, THRESHOLDS["ratio"], respect_anchor=THRESHOLDS["ratio_vs_no_op"])
                           for s in (STUDY_SHIFT, HYP["shift_cells"])])
        seeds.append(t[t["operation"].str.startswith("shift_")])
    rows = shift_rows(seeds, STUDY_SHIFT, HYP, THRESHOLDS, K, "untrained")
    anchors = [r for r in rows if "MSE(reconstruction" in r["target"]]
    assert all(float(r["measured"].split()[0]) > 0.9 for r in anchors)
    assert all(r["verdict"] == "does not explain" for r in anchors)


@pytest.mark.parametrize("broken", ["no_noise", "threshold"])
def test_the_rule_is_the_forensics_rule(broken):
    """A widened threshold or a zero noise multiplier changes the verdicts above: the rows read both."""
    seeds = [table({STUDY_SHIFT: (3.5 + d, 0.3), HYP["shift_cells"]: (2.5 + d, 0.3)}) for d in (-0.8, 0.0, 0.8)]
    if broken == "no_noise":
        rows = shift_rows(seeds, STUDY_SHIFT, HYP, THRESHOLDS, 0.0, "test")
        assert rows[0]["verdict"] == "partly"
    else:  # every ratio within a widened threshold at both shifts: nothing left to explain
        assert shift_rows(seeds, STUDY_SHIFT, HYP, {**THRESHOLDS, "ratio": 4.0}, K, "test") == []


def test_the_shift_rows_alone_equal_the_whole_tables():
    torch.manual_seed(0)
    model = build_vqvae(C["mnist"]["model"]).eval()
    x = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        whole = manipulation_table(model, x, 1, 1.5, respect_anchor=0.5)
        part = manipulation_table(model, x, 1, 1.5, respect_anchor=0.5, operations=("shift_x", "shift_y"))
    expected = whole[whole["operation"].str.startswith("shift_")].drop(columns="corr_with_reconstruction")
    pd.testing.assert_frame_equal(part.reset_index(drop=True), expected.reset_index(drop=True))
