"""The replication scorecard: verdict logic, reduced-scale detection from the real configs, table readers."""

import pandas as pd
import pytest
import yaml

from vaerep import scorecard as sc
from vaerep.captions import caption, figure_key, thesis_order
from vaerep.config import CONFIG_DIR


def study_section(study):
    return yaml.safe_load((CONFIG_DIR / f"{study}.yaml").read_text())[study]


def test_number_row_verdicts():
    ok = sc.number_row("A", "T", "x", 118.4, 118.9, 1.0, claim_id="A.t.x", std=0.2, n_seeds=3)
    assert ok["verdict"] == "replicates" and ok["difference"] == pytest.approx(0.5) and ok["replicated_std"] == 0.2
    off = sc.number_row("A", "T", "x", 118.4, 120.0, 1.0, claim_id="A.t.x")
    assert off["verdict"] == "differs" and off["difference"] == pytest.approx(1.6)
    exact = sc.number_row("B", "T", "params", 380288, 380288, 0, claim_id="B.params.encoder")
    assert exact["verdict"] == "replicates"
    assert sc.number_row("B", "T", "params", 380288, 380289, 0, claim_id="B.params.encoder")["verdict"] == "differs"
    reduced = sc.number_row("D", "T", "x", 135.8, 135.9, 2.0, claim_id="D.t.x", reason="reduced scale `cpu`: train.epochs = 5 (thesis 500)")
    assert reduced["verdict"] == "not comparable" and "train.epochs" in reduced["reason"]
    missing = sc.number_row("D", "T", "x", 135.8, float("nan"), 2.0, claim_id="D.t.x")
    assert missing["verdict"] == "not comparable" and missing["reason"] == "no finite replicated value"


def test_reduced_scale_reads_the_real_configs():
    keys = ["train.epochs", "train.batch_size", "n_train_images", "seeds"]
    smvae = study_section("smvae")
    assert sc.reduced_scale(smvae, "full", keys) == ""
    assert sc.reduced_scale(smvae, "cpu", keys) == ""  # Table 4.1 variants run at thesis scale on the CPU
    smoke = sc.reduced_scale(smvae, "smoke", keys)
    assert smoke.startswith("reduced scale `smoke`") and "train.epochs = 2 (thesis 20)" in smoke
    assert "seeds = [0] (thesis [0, 1, 2])" in smoke and "n_train_images = 1000 (thesis all)" in smoke
    latent = sc.reduced_scale(study_section("latent2d"), "cpu", ["train.epochs"])
    assert "train.epochs = 5 (thesis 500)" in latent


def test_smvae_rows_carry_mean_std_and_verdict(tmp_path):
    table = pd.DataFrame([{"variant": "standard", "label": "Standard VAE", "in_thesis_table": True, "n_seeds": 3,
                           "neg_elbo_mean": 118.2, "neg_elbo_std": 0.1, "rec_mean": 112.5, "rec_std": 0.2,
                           "kl_mean": 7.5, "kl_std": 0.05, "thesis_neg_elbo": 118.4, "thesis_rec": 110.9, "thesis_kl": 7.48},
                          {"variant": "post_gamma1", "label": "dropped", "in_thesis_table": False, "n_seeds": 1,
                           "neg_elbo_mean": 1.0, "neg_elbo_std": float("nan"), "rec_mean": 1.0, "rec_std": float("nan"),
                           "kl_mean": 1.0, "kl_std": float("nan"), "thesis_neg_elbo": float("nan"),
                           "thesis_rec": float("nan"), "thesis_kl": float("nan")}])
    path = tmp_path / "table_4_1.csv"
    table.to_csv(path, index=False)
    rows = sc.smvae_rows(path, {"neg_elbo": 1.0, "rec": 1.0, "kl": 0.3}, reason="")
    assert len(rows) == 3  # the dropped variant has no thesis numbers
    verdicts = {r["claim"].split(": ")[1].split(" ")[0]: r["verdict"] for r in rows}
    assert verdicts == {"−ELBO": "replicates", "BCE": "differs", "KL": "replicates"}
    assert rows[0]["n_seeds"] == 3 and rows[0]["replicated_std"] == pytest.approx(0.1)
    assert [r["claim_id"] for r in rows] == [f"A.table_4_1.standard.{t}" for t in ("neg_elbo", "rec", "kl")]


def test_claim_rows_and_markdown(tmp_path):
    path = tmp_path / "claims.csv"
    pd.DataFrame([{"id": "C2.a", "source": "§1", "claim": "a | b", "evidence": "e", "verdict": "replicates"},
                  {"id": "C2.c", "source": "§1", "claim": "c", "evidence": "f", "verdict": "not comparable"}]).to_csv(path, index=False)
    rows = sc.with_scale(sc.claim_rows("C vqvae", path, note="reduced scale `smoke`: x"), "reduced scale `smoke`: x")
    card = sc.frame(rows + sc.with_scale([sc.number_row("A smvae", "Table 4.1", "n", 1.0, 1.5, 0.1,
                                                        claim_id="A.table_4_1.standard.neg_elbo")], ""))
    counts = sc.summary(card)
    # verdicts at a reduced scale are counted apart from those at the thesis's scale
    assert counts.loc[("all", "reduced")].to_dict() == {"replicates": 1, "differs": 0, "not comparable": 1,
                                                       sc.NOT_INFORMATIVE: 0, sc.AT_CHANCE: 0}
    assert counts.loc[("all", "thesis")].to_dict() == {"replicates": 0, "differs": 1, "not comparable": 0,
                                                      sc.NOT_INFORMATIVE: 0, sc.AT_CHANCE: 0}
    assert card.loc[0, "reason"].startswith("reduced scale")  # a reduced-scale claim says so
    text = sc.to_markdown(card, "Scorecard")
    assert "a \\| b" in text and "| C vqvae | reduced | 1 | 0 | 1 | 0 |" in text and "**differs**" in text
    pd.DataFrame([{"id": "C3.d", "source": "§4.2", "claim": "d", "evidence": "g", "holds_on_this_model": True,
                   "verdict": "not comparable (substitute)"},
                  {"id": "C3.e", "source": "§4.2", "claim": "e", "evidence": "h", "holds_on_this_model": False,
                   "verdict": "does not hold"}]).to_csv(path, index=False)
    rows = sc.claim_rows("C vqvae", path, note="reduced scale")
    assert len(rows) == 1  # the check beyond the thesis is not a thesis claim
    assert rows[0]["verdict"] == "not comparable" and (rows[0]["claim_id"], rows[0]["source"]) == ("C3.d", "§4.2")
    assert rows[0]["reason"] == "substitute; on the model that ran it holds; reduced scale"
    pd.DataFrame([{"id": "C3.c", "source": "§4.2", "claim": "c", "evidence": "f", "verdict": "maybe"}]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="unknown verdict 'maybe'"):
        sc.claim_rows("C vqvae", path)
    pd.DataFrame([{"claim": "c", "evidence": "f", "verdict": "replicates"}]).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"no column\(s\) \['id', 'source'\]"):
        sc.claim_rows("C vqvae", path)  # a claims.csv written before claims had IDs


def _claim(claim, verdict, evidence="e"):
    return {"study": "A smvae", "claim_id": f"A.{claim}", "source": "Table 4.1", "claim": claim, "thesis_value": "claim",
            "replicated_value": evidence, "verdict": verdict, "reason": ""}


def test_a_claim_that_holds_on_the_null_is_not_informative():
    rows = [_claim("x", "replicates"), _claim("y", "replicates"), _claim("z", "differs"), _claim("w", "replicates")]
    null = [_claim("x", "replicates", "n1"), _claim("y", "differs", "n2"), _claim("z", "replicates", "n3")]
    out = {r["claim"]: r for r in sc.attach_null(rows, null)}
    assert out["x"]["verdict"] == sc.NOT_INFORMATIVE and out["x"]["null_value"] == "n1"
    assert "untrained null control passes" in out["x"]["reason"]
    assert out["y"]["verdict"] == "replicates" and out["y"]["null_verdict"] == "differs"
    assert out["z"]["verdict"] == "differs" and out["z"]["null_verdict"] == "replicates"
    assert out["w"]["verdict"] == "replicates" and out["w"]["null_verdict"].startswith(sc.NO_NULL)
    # a null claim 'not comparable' at its scale is judged on whether it held on the untrained model
    judged = sc.attach_null(rows[:2], [dict(_claim("x", "not comparable"), holds=True),
                                       dict(_claim("y", "not comparable"), holds=False)])
    assert [r["null_verdict"] for r in judged] == ["replicates", "differs"]
    assert [r["verdict"] for r in judged] == [sc.NOT_INFORMATIVE, "replicates"]
    none = sc.attach_null(rows[:1], None, "no null run for these claims")[0]
    assert none["verdict"] == "replicates" and none["null_verdict"] == f"{sc.NO_NULL} (no null run for these claims)"


def test_the_random_code_null_joins_the_untrained_one():
    """C2/C3: a claim that the trained decoder fed a random code also passes is not informative, though the
    untrained model fails it; both controls' values are shown by name."""
    rows = [_claim("x", "replicates"), _claim("y", "replicates")]
    untrained = [_claim("x", "differs", "u1"), _claim("y", "differs", "u2")]
    random = [_claim("x", "replicates", "r1"), _claim("y", "differs", "r2")]
    out = {r["claim"]: r for r in sc.attach_null(rows, untrained, extra={"random_code": random})}
    assert out["x"]["verdict"] == sc.NOT_INFORMATIVE and out["x"]["null_verdict"] == "replicates"
    assert out["x"]["reason"].startswith(sc.EXTRA_NULLS["random_code"] + " passes the same check")
    assert out["y"]["verdict"] == "replicates" and out["y"]["null_verdict"] == "differs"
    assert out["y"]["null_value"] == f"untrained: u2; {sc.EXTRA_NULLS['random_code']}: r2"
    alone = {r["claim"]: r for r in sc.attach_null(rows, untrained)}  # without it, x would replicate
    assert alone["x"]["verdict"] == "replicates" and alone["x"]["null_value"] == "u1"


def test_a_number_whose_null_is_within_tolerance_is_not_informative():
    row = sc.number_row("D", "T", "kl", 3.8, 3.9, 0.5, claim_id="D.final_loss.kl")
    just_in = sc.number_row("D", "T", "kl", 3.8, 3.8 + 0.49, 0.5, claim_id="D.final_loss.kl")  # just inside the tolerance
    just_out = sc.number_row("D", "T", "kl", 3.8, 3.8 + 0.51, 0.5, claim_id="D.final_loss.kl")
    assert sc.attach_null([row], [just_in])[0]["verdict"] == sc.NOT_INFORMATIVE
    kept = sc.attach_null([row], [just_out])[0]
    assert kept["verdict"] == "replicates" and kept["null_value"] == pytest.approx(4.31) and kept["null_verdict"] == "differs"
    # a reduced-scale number stays not comparable; its null is still judged on the value
    reduced = sc.number_row("D", "T", "kl", 3.8, 3.9, 0.5, claim_id="D.final_loss.kl", reason="reduced scale `cpu`: x")
    out = sc.attach_null([reduced], [just_in])[0]
    assert out["verdict"] == "not comparable" and out["null_verdict"] == "replicates"


def test_every_tolerance_states_its_source():
    card = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["scorecard"]
    for study, tol in card["tolerances"].items():
        assert set(tol) <= set(card["tolerance_sources"].get(study, {})), study
    # one tolerance per quantity: Study D's loss claims use the scorecard's, none of their own
    assert "loss_tolerance" not in study_section("latent2d")["claims"]


def test_captions_and_thesis_order():
    assert figure_key("figures/cpu/smvae/fig4.10a_reconstructions_pre_gamma1.png") == "4.10a"
    assert caption("smvae", "fig4.10a_reconstructions_pre_gamma1.png").startswith("pre Gamma(1)")
    assert caption("smvae", "fig9.99_nothing.png") == ""
    names = ["figX_a.png", "figC.1_b.png", "fig5.10_c.png", "figB.2_d.png", "fig5.9a_e.png", "fig5.1_f.png"]
    assert sorted(names, key=thesis_order) == ["fig5.1_f.png", "fig5.9a_e.png", "fig5.10_c.png", "figB.2_d.png",
                                               "figC.1_b.png", "figX_a.png"]


def _forensic(study, claim_id, hypothesis, verdict, target="t"):
    return {"study": study, "source": "s", "claim_id": claim_id, "target": target, "thesis_value": 1.0,
            "hypothesis": hypothesis, "experiment": "x", "measured": "y", "baseline": "b", "move": "+1", "noise": "0.5",
            "verdict": verdict, "reason": "z"}


def test_explanation_column_joins_on_claim_ids(tmp_path):
    card = sc.frame([sc.number_row("A smvae", "Table 4.1", "pre Gamma(1) SMVAE: −ELBO per test image (nats)", 129.2, 140.0, 1.0,
                                   claim_id="A.table_4_1.pre_gamma1.neg_elbo"),
                     sc.number_row("A smvae", "Table 4.1", "Standard VAE: −ELBO per test image (nats)", 118.4, 118.5, 1.0,
                                   claim_id="A.table_4_1.standard.neg_elbo"),
                     sc.number_row("B dsprites_beta", "Table 2.3", "β = 1: final KL", 30.0, 20.0, 1.0,
                                   claim_id="B.table_2_3.beta_1.kl"),
                     sc.number_row("B dsprites_beta", "Table 2.4", "β = 1: MIG posX", 30.0, 20.0, 1.0,
                                   claim_id="B.table_2_4.beta_1.posx")])
    # listed in another order than the scorecard; an ID prefix covers a whole table, but only at a '.' boundary,
    # and the target text plays no part
    forensics = pd.DataFrame([_forensic("B dsprites_beta", "B.table_2_3", "H-B1: per-pixel units", "explains"),
                              _forensic("A smvae", "A.table_4_1.pre_gamma", "H-X: not at a boundary", "partly"),
                              _forensic("B dsprites_beta", "B.table_2", "H-Y: not at a boundary", "explains",
                                        target="Standard VAE: −ELBO"),
                              _forensic("A smvae", "A.table_4_1.pre_gamma1.neg_elbo", "H-A1: author KL", "partly"),
                              _forensic("A smvae", "A.table_4_1.pre_gamma1.neg_elbo", "H-A2: no clamp",
                                        "does not explain")])
    out = sc.with_explanation(card, forensics)
    assert out["explanation"].tolist() == ["H-A1: partly; H-A2: does not explain (forensics.md)", "",
                                           "H-B1: explains (forensics.md)", ""]
    assert list(out.columns) == sc.COLUMNS
    assert sc.with_explanation(card, None)["explanation"].tolist() == [""] * 4  # no forensics stage in the run
    # the column survives the CSV round trip and shows in the Markdown table
    out.to_csv(tmp_path / "card.csv", index=False)
    text = sc.rows_markdown(pd.read_csv(tmp_path / "card.csv"))
    assert "| H-B1: explains (forensics.md) |" in text and text.splitlines()[0].endswith("| explanation |")
