"""Studies A and B's claims defined once (vaerep.claim): stable IDs, each claim's check a tree of conditions whose
thresholds are the config's, the tree's verdict equal to claims.csv's, one input moved across its threshold
flips the verdict, and the forensics rows aimed at claim IDs that exist (Table 4.1 cells, the A claims, every
row of Tables 2.3 and 2.4)."""

import pandas as pd
import pytest
import yaml

from vaerep import scorecard as sc
from vaerep.claim import Group, covers
from vaerep.config import CONFIG_DIR
from vaerep.dsprites_beta import claims as bc
from vaerep.dsprites_beta.evaluate import MIG_FACTORS
from vaerep.forensics import units as U
from vaerep.forensics.dsprites import mig_rows, unit_rows
from vaerep.forensics.smvae import study_a_rows
from vaerep.smvae import claims as ac
from test_dsprites_beta_claims import _pca, _t24


def _yaml(name):
    return yaml.safe_load((CONFIG_DIR / name).read_text())


A = _yaml("smvae.yaml")["smvae"]
B = _yaml("dsprites_beta.yaml")["dsprites_beta"]
A_THR = {**A["claims"], "elbo_margin": _yaml("config.yaml")["scorecard"]["tolerances"]["smvae"]["neg_elbo"]}
B_THR = B["claims"]
FACTORS = list(MIG_FACTORS)

A_IDS = ["A.standard_best", "A.ranking", "A.standard.radius_contrast", "A.standard.direction_digit",
         "A.pre_normal.c_flat", "A.pre_gamma1.c_rises", "A.pre_gamma1.unstable", "A.pre_gamma3.c_rises",
         "A.pre_gamma3.unstable", "A.post_lognormal.z_invariant", "A.post_lognormal.c_tracks",
         "A.post_lognormal.z_std_falls", "A.post_lognormal.c_std_flat", "A.most_invariant"]
B_IDS = ["B.mig_rises", "B.mig_gains_position", "B.pca_structure"]


# ---- inputs built to replicate, with one quantity changed -----------------------------------------------

def a_inputs(c_spearman=None, r2=0.6, drifts=None, direction_cos=(0.95, 0.3)):
    """Study A's per-seed table, invariance numbers and posterior moments (3 seeds) built so that every claim
    but the 'unstable' ones replicates; ``c_spearman``: per variant, per-seed Spearman(c mean, contrast);
    ``direction_cos``: the Standard VAE's mean cosine of mu directions (same digit, other digits)."""
    drifts = drifts or {"post_lognormal": 0.1, "pre_normal": 0.3, "pre_gamma1": 0.4, "pre_gamma3": 0.4}
    c_spearman = {"pre_normal": [0.1] * 3, "pre_gamma1": [0.9] * 3, "pre_gamma3": [0.9] * 3, "post_lognormal": [0.9] * 3,
                  **(c_spearman or {})}
    elbo = {"standard": 118.0, "post_lognormal": 121.0, "pre_normal": 127.0, "pre_gamma1": 129.0, "pre_gamma3": 129.1}
    rows = [{"variant": v, "seed": s, "neg_elbo": elbo[v], "contrast_r2_shape": r2, "shape_drift": drifts.get(v, 0.5),
             "c_spearman": c_spearman.get(v, [0.9] * 3)[s], "radius_spearman": 0.9,
             "direction_cos_same_digit": direction_cos[0], "direction_cos_other_digit": direction_cos[1],
             "direction_knn_digit": 0.6}
            for v in ac.THESIS_ORDER for s in (0, 1, 2)]
    post = [{"variant": "post_lognormal", "seed": 0, "contrast": c, "dim": dim, "mean": 0.0, "std": std}
            for c in (0.2, 1.0) for dim, std in (("z1", 1.0 if c < 1 else 0.5), ("z2", 1.0 if c < 1 else 0.5), ("c", 0.5))]
    per = pd.DataFrame(rows)
    return per, per, pd.DataFrame(post)


def a_claims(**kw):
    return {c.id: c for c in ac.claims(*a_inputs(**kw), A_THR)}


def b_inputs(mig=(0.010, 0.020, 0.030), eta=None, std=0.002):
    """Table 2.4 with chance columns and the PCA separation, built so that every B claim replicates."""
    eta = {"shape": 0.01, "scale": 0.01, "orientation": 0.1, "posX": 0.3, "posY": 0.3, **(eta or {})}
    return _t24(mig, std=std), _pca(eta)


def b_claims(**kw):
    t24, pca = b_inputs(**kw)
    return {c.id: c for c in bc.claims(t24, pca, 10, B_THR)}


def leaves(node):
    return [x for p in node.parts for x in leaves(p)] if isinstance(node, Group) else [node]


# ---- stable IDs, sources, frames ---------------------------------------------------------------------------

def test_claim_ids_are_a_fixed_set():
    a = ac.check_claims(*a_inputs(), A_THR)
    assert a["id"].tolist() == A_IDS
    b = bc.check_claims(*b_inputs()[:1], b_inputs()[1], 10, B_THR)
    assert b["id"].tolist() == B_IDS
    assert list(a.columns) == ["id", "source", "claim", "evidence", "verdict"]
    assert list(b.columns) == ["id", "source", "claim", "evidence", "verdict", "tolerance_source"]
    assert a["source"].ne("").all() and b["source"].ne("").all() and b["tolerance_source"].ne("").all()
    assert a.set_index("id").loc["A.ranking", "source"] == "Table 4.1"
    assert b.set_index("id").loc["B.pca_structure", "source"].startswith("Figs 2.11")
    # the IDs do not depend on the numbers: every claim present on other inputs keeps its ID
    assert set(ac.check_claims(*a_inputs(c_spearman={"pre_gamma1": [0.0] * 3}, r2=0.0), A_THR)["id"]) == set(A_IDS)


def test_ids_are_not_covered_by_the_number_rows_prefixes():
    """A table's prefix (forensics rows aimed at every row of a table) never reaches a claim of claims.csv."""
    for prefix in ("A.table_4_1", "B.table_2_3", "B.table_2_4", "B.params"):
        assert not any(covers(prefix, i) for i in A_IDS + B_IDS)


def test_tree_verdicts_equal_the_claims_csv():
    a = ac.check_claims(*a_inputs(c_spearman={"pre_gamma1": [0.9, 0.1, 0.9]}), A_THR).set_index("id")["verdict"]
    for c in ac.claims(*a_inputs(c_spearman={"pre_gamma1": [0.9, 0.1, 0.9]}), A_THR):
        assert a[c.id] == ("replicates" if c.holds() else "differs"), c.id
    assert a["A.pre_gamma1.unstable"] == "replicates" and a["A.pre_gamma3.unstable"] == "differs"
    assert set(a.drop(["A.pre_gamma1.unstable", "A.pre_gamma3.unstable"])) == {"replicates"}
    assert set(bc.check_claims(*b_inputs()[:1], b_inputs()[1], 10, B_THR)["verdict"]) == {"replicates"}


def test_one_seed_makes_the_instability_claim_not_comparable():
    per, inv, post = a_inputs()
    one = per[per["seed"] == 0]
    v = ac.check_claims(one, one, post, A_THR).set_index("id")["verdict"]
    assert v["A.pre_gamma1.unstable"] == "not comparable" and v["A.pre_gamma3.unstable"] == "not comparable"


def test_numeric_leaves_read_their_threshold_from_config():
    """Each numeric condition names the config key it reads, and its threshold is that key's value (A), or a
    multiple of the chance spread by that key (B); yes/no conditions (an order, a set) are definitional."""
    for c in a_claims().values():
        for leaf in leaves(c.check):
            if not leaf.definitional:
                assert leaf.threshold == A_THR[leaf.source], (c.id, leaf.name)
    for c in b_claims().values():
        for leaf in leaves(c.check):
            assert leaf.definitional or leaf.source in B_THR, (c.id, leaf.name)
    rank = leaves(a_claims()["A.ranking"].check)
    assert all(x.definitional and x.op == ">=" and x.threshold == 1.0 for x in rank)


# ---- one input across its threshold flips the verdict --------------------------------------------------------

@pytest.mark.parametrize("eps, verdict", [(0.01, "replicates"), (-0.01, "differs")])
def test_a_c_rises_flips_at_the_rises_threshold(eps, verdict):
    c = a_claims(c_spearman={"pre_gamma1": [A_THR["rises"] + eps] * 3})["A.pre_gamma1.c_rises"]
    assert c.verdict() == verdict
    failing = [x.source for x in leaves(c.check) if not x.passes()]
    assert failing == ([] if eps > 0 else ["rises"])


@pytest.mark.parametrize("eps, verdict", [(0.01, "replicates"), (-0.01, "differs")])
def test_a_pre_normal_flips_at_r2_carries(eps, verdict):
    assert a_claims(r2=A_THR["r2_carries"] + eps)["A.pre_normal.c_flat"].verdict() == verdict


@pytest.mark.parametrize("eps, verdict", [(-0.01, "replicates"), (0.01, "differs")])
def test_a_instability_flips_when_the_odd_seed_crosses_the_rises_threshold(eps, verdict):
    # two seeds with a clear c-contrast relation, the third just under (some seeds show none) or just over it
    c = a_claims(c_spearman={"pre_gamma1": [0.9, A_THR["rises"] + eps, 0.9]})["A.pre_gamma1.unstable"]
    assert c.verdict() == verdict


@pytest.mark.parametrize("same, other, verdict", [(0.95, 0.94, "replicates"), (0.95, 0.96, "differs")])
def test_a_direction_digit_needs_the_same_digit_closer_than_other_digits(same, other, verdict):
    # an untrained ReLU encoder's directions are nearly the same for every image: same >= direction_cos alone
    # does not show that the direction encodes the digit
    assert a_claims(direction_cos=(same, other))["A.standard.direction_digit"].verdict() == verdict


def test_a_ranking_flips_when_two_places_swap():
    assert a_claims()["A.ranking"].verdict() == "replicates"
    per, inv, post = a_inputs()
    per.loc[per["variant"] == "pre_normal", "neg_elbo"] = 120.0  # pre Normal ahead of post logNormal
    assert {c.id: c for c in ac.claims(per, inv, post, A_THR)}["A.ranking"].verdict() == "differs"


@pytest.mark.parametrize("eps, verdict", [(1e-6, "replicates"), (-1e-6, "differs")])
def test_b_mig_rises_flips_at_rise_k(eps, verdict):
    step = B_THR["rise_k"] * 0.002 + eps
    assert b_claims(mig=(0.01, 0.01 + step, 0.01 + 2 * step))["B.mig_rises"].verdict() == verdict


@pytest.mark.parametrize("eps, verdict", [(-1e-6, "replicates"), (1e-6, "differs")])
def test_b_pca_structure_flips_when_scale_leaves_the_chance_band(eps, verdict):
    band = 0.01 + B_THR["at_chance_k"] * 0.002
    assert b_claims(eta={"scale": band + eps})["B.pca_structure"].verdict() == verdict


# ---- the forensics rows aim at claim IDs -----------------------------------------------------------------------

def test_study_a_forensics_rows_aim_at_table_cells_and_claims():
    # as rule forensics_smvae passes it
    fz = {**A["forensics"], "rises": A["claims"]["rises"],
          "term_tolerances": _yaml("config.yaml")["scorecard"]["tolerances"]["smvae"],
          "count_alpha": _yaml("config.yaml")["scorecard"]["forensics"]["count_alpha"]}
    ev = {"neg_elbo_true": 125.0, "neg_elbo_author": 124.0, "c_spearman": 0.5, "rec": 118.0, "kl_true": 7.0,
          "kl_author": 6.0}
    evals = {("base", v): [dict(ev)] * 3 for v in ac.THESIS_ORDER}
    evals.update({("hyp", n): [dict(ev)] * 3 for n in fz["variants"]})
    rows = study_a_rows(evals, A["variants"], fz, "forensics_smvae_train", "smoke", 2.0)
    ids = [r["claim_id"] for r in rows]
    cells = [f"A.table_4_1.{{}}.{t}" for t in ("neg_elbo", "rec", "kl")]
    assert ids == ([c.format("pre_gamma1") for c in cells] + ["A.pre_gamma1.c_rises", "A.pre_gamma1.unstable"]
                   + [c.format("pre_gamma3") for c in cells] + ["A.pre_gamma3.c_rises", "A.pre_gamma3.unstable"]
                   + [c.format("post_lognormal") for c in cells] + ["A.ranking"])
    assert [r["target"] for r in rows][:4] == ["pre Gamma(1) SMVAE: −ELBO", "pre Gamma(1) SMVAE: BCE",
                                               "pre Gamma(1) SMVAE: KL", "pre_gamma1: c mean rises with contrast"]
    # H-A1 reads its KL cell with the author's KL, H-A2 (the output clamp) with the true one
    kl = {r["claim_id"]: r["measured"] for r in rows if r["claim_id"].endswith(".kl")}
    assert kl["A.table_4_1.pre_gamma1.kl"].startswith("6.00") and "author" in kl["A.table_4_1.pre_gamma1.kl"]
    assert kl["A.table_4_1.post_lognormal.kl"].startswith("7.00") and "true KL" in kl["A.table_4_1.post_lognormal.kl"]
    claim_sources = {c.id: c.source for c in a_claims().values()}
    for r in rows:
        if not r["claim_id"].startswith("A.table_4_1."):
            assert r["claim_id"] in claim_sources and r["source"] == claim_sources[r["claim_id"]], r["claim_id"]


def test_study_a_figure_draws_each_term_from_its_own_runs(tmp_path, monkeypatch):
    """One panel per Table 4.1 term; each bar is the mean of the right runs' values for that term."""
    from vaerep.forensics import figures

    fz = A["forensics"]
    drawn = {}
    monkeypatch.setattr(figures, "save", lambda fig, path: drawn.setdefault("fig", fig))
    base = {"neg_elbo_true": 125.0, "neg_elbo_author": 999.0, "rec": 118.0, "kl_true": 7.0, "kl_author": 999.0}
    hyp = {"neg_elbo_true": 131.0, "neg_elbo_author": 130.0, "rec": 123.5, "kl_true": 7.5, "kl_author": 6.5}
    evals = {("base", v): [dict(base)] * 3 for v in ac.THESIS_ORDER}
    evals.update({("hyp", n): [dict(hyp)] * 3 for n in fz["variants"]})
    figures.study_a(evals, A["variants"], fz, tmp_path / "f.png")
    panels = drawn["fig"].axes
    assert [ax.get_title() for ax in panels] == ["−ELBO", "BCE", "KL"]
    first = next(iter(fz["variants"].values()))["base"]
    thesis = A["variants"][first]["thesis"]
    n = len(fz["variants"])
    for ax, expected in zip(panels, ([thesis["neg_elbo"], 125.0, 130.0, 131.0], [thesis["rec"], 118.0, 123.5],
                                     [thesis["kl"], 7.0, 6.5, 7.5])):
        heights = [p.get_height() for p in ax.patches]
        assert len(heights) == n * len(expected)
        assert heights[::n] == pytest.approx(expected)  # the first variant's bar of each series, in legend order


def test_study_b_forensics_rows_cover_every_row_of_their_table(tmp_path):
    fz = B["forensics"]
    arith = U.arithmetic_table(B["thesis"]["table_2_3"], fz["units"]["thesis_batch_size"], B["model"]["latent_dim"])
    units = unit_rows(arith, {}, fz["units"], 64, "smoke", 2.0)
    thesis24 = {f"{float(b):g}": v for b, v in B["thesis"]["table_2_4"].items()}
    scores = {name: thesis24 for name in fz["mig"]["protocols"]}
    mig = mig_rows(scores, scores, thesis24, fz["mig"], "smoke")
    assert {r["claim_id"] for r in units} == {"B.table_2_3"} and {r["claim_id"] for r in mig} == {"B.table_2_4"}
    assert {r["target"] for r in units} == {"final"} and {r["target"] for r in mig} == {"MIG"}
    # the scorecard's own Table 2.3 / 2.4 rows: each prefix covers exactly its table
    t23 = pd.DataFrame([{"beta": float(b), "thesis_loss": v["loss"], "thesis_rec": v["rec"], "thesis_kl": v["kl"],
                         "thesis_val_loss": v["val_loss"], "train_loss": 1.0, "train_rec": 1.0, "train_kl": 1.0,
                         "val_loss": 1.0} for b, v in B["thesis"]["table_2_3"].items()])
    t24 = pd.DataFrame([{"beta": float(b), "thesis_mig": v["overall"], "mig": 0.0,
                         **{f"thesis_{f}": v[f] for f in FACTORS}, **{f: 0.0 for f in FACTORS}}
                        for b, v in B["thesis"]["table_2_4"].items()])
    t23.to_csv(tmp_path / "t23.csv", index=False)
    t24.to_csv(tmp_path / "t24.csv", index=False)
    (tmp_path / "params.json").write_text('{"thesis": {"encoder": 1}, "encoder": 1}')
    tol = _yaml("config.yaml")["scorecard"]["tolerances"]["dsprites_beta"]
    rows = sc.dsprites_rows(tmp_path / "t23.csv", tmp_path / "t24.csv", tmp_path / "params.json", tol, "", {})
    by_table = {src: {r["claim_id"] for r in rows if r["source"] == src} for src in ("Table 2.3", "Table 2.4")}
    assert len(by_table["Table 2.3"]) == 8 and len(by_table["Table 2.4"]) == 18
    for prefix, table in (("B.table_2_3", "Table 2.3"), ("B.table_2_4", "Table 2.4")):
        assert {r["claim_id"] for r in rows if covers(prefix, r["claim_id"])} == by_table[table]


def test_a_forensics_row_without_a_claim_id_is_refused():
    import pandas as pd

    from vaerep.forensics import table

    row = {c: "x" for c in table.COLUMNS} | {"verdict": "partly", "claim_id": "A.ranking"}
    table.check(pd.DataFrame([row]))
    for blank in ("", None):
        with pytest.raises(ValueError, match="without a claim_id"):
            table.check(pd.DataFrame([dict(row, claim_id=blank)]))


# ---- Study A's differing rows, classed against their seed spread -------------------------------------------



def _a_class(check):
    from vaerep.config import load_config
    from vaerep.forensics import classify as C

    rules = load_config()["scorecard"]["forensics"]
    return C.classify(check, C.Budget("", 20, 60000, 20, 60000), rules)


def test_a_claim_leaves_carry_their_between_seed_spread():
    claims = a_claims(c_spearman={"post_lognormal": [0.5, 0.7, 0.9]})
    tracks = claims["A.post_lognormal.c_tracks"].check
    assert tracks.spread == pytest.approx(0.2)  # std (ddof 1) of 0.5, 0.7, 0.9
    assert claims["A.standard.radius_contrast"].check.spread == 0.0  # every seed 0.9
    assert claims["A.standard_best"].check.spread == 0.0


@pytest.mark.parametrize("per_seed, category", [
    ([0.70, 0.75, 0.80], "threshold choice"),   # 0.05 below 0.8 (6 %), within 2 x seed std 0.05
    ([0.74, 0.75, 0.76], "real difference"),    # the same miss, beyond 2 x seed std 0.01
    ([-0.9, -0.8, -0.85], "real difference"),   # a code that does not track contrast at all: far beyond the margin
])
def test_a_claim_near_its_threshold_is_a_threshold_choice_only_within_the_seed_noise(per_seed, category):
    claim = a_claims(c_spearman={"post_lognormal": per_seed})["A.post_lognormal.c_tracks"]
    assert claim.verdict() == "differs"
    out = _a_class(claim.check)
    assert out["category"] == category
    assert "seed std" in out["leaves"][0]["text"] or category == "real difference"


@pytest.mark.parametrize("mean, std, category", [
    (128.1, 0.4, "threshold choice"),   # |128.1 - 129.2| = 1.1, 10 % past the 1.0 tolerance, within 2 x 0.4
    (128.1, 0.02, "real difference"),   # the same miss with seeds that agree to 0.02 nats
    (126.3, 0.4, "real difference"),    # 2.9 nats: beyond the margin whatever the noise
])
def test_a_table_cell_is_classed_against_its_seed_std(mean, std, category):
    table = pd.DataFrame([{"variant": "pre_gamma1", "in_thesis_table": True, **{
        f"{t}_mean": v for t, v in (("neg_elbo", mean), ("rec", 123.1), ("kl", 6.11))}, **{
        f"{t}_std": std for t in ("neg_elbo", "rec", "kl")}, **{
        f"thesis_{t}": v for t, v in (("neg_elbo", 129.2), ("rec", 123.1), ("kl", 6.11))}}])
    tol = _yaml("config.yaml")["scorecard"]["tolerances"]["smvae"]
    checks = ac.number_checks(table, tol)
    assert set(checks) == {f"A.table_4_1.pre_gamma1.{t}" for t in ("neg_elbo", "rec", "kl")}
    assert checks["A.table_4_1.pre_gamma1.rec"].passes() and not checks["A.table_4_1.pre_gamma1.neg_elbo"].passes()
    out = _a_class(checks["A.table_4_1.pre_gamma1.neg_elbo"])
    assert out["category"] == category
    # its forensics row's columns: no trend (the run is at the thesis's scale), the noise is 2 x the seed std
    from vaerep.forensics.differs import trend_columns

    cols = trend_columns(out["leaves"], 2.0)
    assert "thesis's scale" in cols["move"] and cols["noise"] == f"2 × seed std {2 * std:.3g} (seed std {std:.3g})"
