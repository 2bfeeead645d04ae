"""Study C's claims defined once: a fixed set of unique claim IDs with their thesis sources, and for
representative claims one input moved across its threshold flips the verdict (a negated, dropped or
re-thresholded condition fails here). Constructed tables, milliseconds."""

import pandas as pd
import pytest
from test_vqvae_claims_null import HIST, METRICS, RA, RR, ROLES, C, _c1_table, _c3_table

from vaerep.claim import BEYOND_THESIS
from vaerep.vqvae import claims as c3
from vaerep.vqvae import pretrained_eval as c4
from vaerep.vqvae import vae2d as c1

THR = C["vae2d"]["claims"]
C4_P = C["pretrained"]["manipulations"]
C3_IDS = ["C3.shift_robust", "C3.rotation_mirroring_destroy", "C3.splice", "C3.value_inversion", "C2.codebook_in_use"]
C1_IDS = ["C1.fc_separates_better", "C1.conv_separates", "C1.latent_normal.fc_bce", "C1.latent_normal.conv_bce",
          "C1.conv_overfits", "C1.mse_collapse", "C1.reweighted_avoids_collapse", "C1.mse_loss_much_smaller",
          "C1.kl_much_smaller.fc_bce", "C1.kl_grows.fc_bce", "C1.kl_much_smaller.fc_mse", "C1.kl_grows.fc_mse",
          "C1.same_reconstructions"]
C4_IDS = ["C4.photo_a_better", "C4.shift_imperceptible", "C4.rotation_recognisable", "C4.more_robust_than_mnist",
          "C4.inversion_most_destructive", "C4.transplant_like_paste"]


def _hist(m1_kl=6.0):
    return {"M1": HIST.assign(train_loss=[60.0, 40.0, 35.0], train_rec=[59.0, 36.0, 30.0], train_kl=[1.0, 4.0, m1_kl]),
            "M2": HIST}


def _c4(source="dalle", psnr_b=20.0, mnist=True):
    table = pd.DataFrame({"operation": ["shift_x", "shift_y", "rot90", "invert"], "ratio": [1.1, 1.2, 3.0, 9.0],
                          "ratio_vs_no_op": [0.2, 0.3, 0.9, 1.0], "corr_with_target": [0.9, 0.9, 0.6, 0.1]})
    metrics = {"photos": {"a": {"psnr_db": 25.0}, "b": {"psnr_db": psnr_b}}, "codebook_size": 8,
               "usage_photos": {"codes_used": 2, "usage": 0.25, "perplexity": 1.9},
               "transplant": {"mse_vs_paste": 0.02, "ratio": 1.2, "mse_inside": 0.05, "mse_outside": 0.01}}
    mnist_table = pd.DataFrame({"operation": ["rot90"], "ratio": [5.0]}) if mnist else None
    return c4.check_claims(source, metrics, table, {"a": "a", "b": "b"}, C4_P, mnist_table)


def test_c_claim_ids_are_fixed_unique_and_sourced():
    c3_ = c3.check_claims(_c3_table(), METRICS, RR, RA)
    c1_ = c1.check_claims(_c1_table(), _hist(), ROLES, THR, 15)
    dalle, sub = _c4(), _c4("substitute")
    assert c3_["id"].tolist() == C3_IDS and c1_["id"].tolist() == C1_IDS and dalle["id"].tolist() == C4_IDS
    assert sub["id"].tolist() == C4_IDS + ["C4.substitute_codebook_in_use"]
    assert _c4(mnist=False)["id"].tolist() == [i for i in C4_IDS if i != "C4.more_robust_than_mnist"]
    every_id = C3_IDS + C1_IDS + sub["id"].tolist()
    assert len(set(every_id)) == len(every_id)
    for frame in (c3_, c1_, sub):
        assert frame["source"].str.startswith("§").all(), frame[["id", "source"]]
        beyond = frame["claim"].str.startswith("(beyond the thesis)")
        assert frame.loc[beyond, "verdict"].isin(BEYOND_THESIS).all() and not frame.loc[~beyond, "verdict"].isin(BEYOND_THESIS).any()
    # the IDs do not depend on the numbers or on the config's model names
    renamed = {**ROLES, "fc_bce": "M2"}
    assert c1.check_claims(_c1_table(knn=(0.1, 0.1), conv_gap=-1.0), _hist(0.0), renamed, THR, 15)["id"].tolist() == C1_IDS
    assert list(c3_.columns) == ["id", "source", "claim", "evidence", "verdict", "tolerance_source"]
    assert list(sub.columns) == ["id", "source", "claim", "evidence", "verdict", "holds_on_this_model"]


def _verdict(frame, cid):
    return frame.set_index("id").loc[cid, "verdict"]


EPS = 1e-9


@pytest.mark.parametrize("cid, make, below, above", [
    # C3: the shifts must be respected: ratio_vs_no_op at most respect_anchor
    ("C3.shift_robust", lambda v: c3.check_claims(_c3_table(anchor=v), METRICS, RR, RA), (RA - EPS, "replicates"),
     (RA + EPS, "differs")),
    # C3: inverted = a negative correlation with the reconstruction (0 itself is not inverted)
    ("C3.value_inversion", lambda v: c3.check_claims(_c3_table(inv_corr=v), METRICS, RR, RA), (-EPS, "replicates"),
     (0.0, "differs")),
    # C3: inverted = closer to 1 - x than the reconstruction; a model that ignores its code scores exactly 1
    ("C3.value_inversion", lambda v: c3.check_claims(_c3_table(inv_anchor=v), METRICS, RR, RA), (1.0 - EPS, "replicates"),
     (1.0, "differs")),
    # beyond the thesis: at least half the codes in use; the verdict says holds / does not hold
    ("C2.codebook_in_use", lambda v: c3.check_claims(_c3_table(), dict(METRICS, usage=v), RR, RA),
     (0.5 - EPS, "does not hold"), (0.5, "holds")),
    # C1: FC better than conv = strictly higher k-NN accuracy
    ("C1.fc_separates_better", lambda v: c1.check_claims(_c1_table(knn=(0.6, v)), _hist(), ROLES, THR, 15),
     (0.6 - EPS, "replicates"), (0.6, "differs")),
    # C1: the final training KL of the re-weighted MSE run at most much_smaller x its reconstruction term (30)
    ("C1.kl_much_smaller.fc_mse", lambda v: c1.check_claims(_c1_table(), _hist(m1_kl=v), ROLES, THR, 15),
     (THR["much_smaller"] * 30.0 - 1e-6, "replicates"), (THR["much_smaller"] * 30.0 + 1e-6, "differs")),
    # C4: photo (a) at least better_db dB above photo (b)
    ("C4.photo_a_better", lambda v: _c4(psnr_b=v), (25.0 - C4_P["better_db"] - 1e-6, "replicates"),
     (25.0 - C4_P["better_db"] + 1e-6, "differs")),
])
def test_one_input_across_its_threshold_flips_the_verdict(cid, make, below, above):
    assert [_verdict(make(v), cid) for v in (below[0], above[0])] == [below[1], above[1]]


def test_c4_verdicts_on_the_substitute_say_whether_they_hold():
    sub = _c4("substitute", psnr_b=24.5).set_index("id")
    assert sub.loc["C4.photo_a_better", "verdict"] == "not comparable (substitute)"
    assert not sub.loc["C4.photo_a_better", "holds_on_this_model"] and sub.loc["C4.transplant_like_paste", "holds_on_this_model"]
