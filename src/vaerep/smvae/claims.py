"""The thesis's claims (extraction §7), each a :class:`vaerep.claim.Claim` with a stable ID, where the thesis
makes it, its evidence and its check as a tree of conditions with thresholds from config (``claims:`` in
workflow/config/smvae.yaml; ``elbo_margin`` is the scorecard's -ELBO tolerance). claims.csv: id, source,
claim, evidence, verdict (replicates / differs / not comparable)."""

from __future__ import annotations

from math import factorial

import numpy as np
import pandas as pd

from ..claim import Claim, Leaf, every, flag, frame, measured
from .table import THESIS_TERMS

THESIS_ORDER = ["standard", "post_lognormal", "pre_normal", "pre_gamma1", "pre_gamma3"]
GAMMAS = ("pre_gamma1", "pre_gamma3")
# Where the thesis makes each claim (Ch. 4; the claims as listed in the extraction, §7).
SOURCE = {"table": "Table 4.1", "standard": "Figs 4.3–4.5", "pre_normal": "Fig 4.9", "pre_gamma": "Fig 4.12",
          "post_lognormal": "Fig 4.16", "conclusion": "Conclusion (Table 4.1, Figs 4.9, 4.12, 4.16)"}


def c_rises_id(variant: str) -> str:
    """ID of the claim "<pre Gamma variant>: c mean rises with contrast" (the forensics rows aim at it)."""
    return f"A.{variant}.c_rises"


def unstable_id(variant: str) -> str:
    """ID of the claim "<pre Gamma variant>: training is unstable" (the forensics rows aim at it)."""
    return f"A.{variant}.unstable"


def seeds_without_relation(spearmans, rises: float) -> int:
    """How many seeds show no c-contrast relation (|Spearman(c mean, contrast)| < ``rises``): the count behind
    "training is unstable", shared by the claim and its forensics rows."""
    return sum(abs(v) < rises for v in spearmans)


def _fmt(values) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def leaf(name: str, value, op: str, thr: dict, key: str, per_seed=()) -> Leaf:
    """``value op thr[key]``, the config key as the threshold's source; ``per_seed``: the quantity's value per
    seed, whose spread (std, ddof 1; NaN with fewer than two seeds) is its noise."""
    return Leaf(name, measured(value), op, thr[key], key, spread=seed_std(per_seed))


def seed_std(values) -> float:
    """Between-seed standard deviation (ddof 1) of ``values``; NaN with fewer than two."""
    values = [float(v) for v in values]
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def _z_std_fall(p: pd.DataFrame, lo: float, hi: float) -> tuple[float, float, float]:
    """Average z posterior std at the lowest and the highest contrast, and its relative fall between them
    (``p``: mean and std per (dim, contrast))."""
    z_lo = (p.loc[("z1", lo), "std"] + p.loc[("z2", lo), "std"]) / 2
    z_hi = (p.loc[("z1", hi), "std"] + p.loc[("z2", hi), "std"]) / 2
    return float(z_lo), float(z_hi), float(1 - z_hi / z_lo)


def _relative_range(values: pd.Series) -> float:
    return float((values.max() - values.min()) / values.mean())


def claims(table: pd.DataFrame, inv: pd.DataFrame, post: pd.DataFrame, thr: dict) -> list[Claim]:
    """``table``: one row per (variant, seed) with neg_elbo...; ``inv``: invariance numbers per
    (variant, seed); ``post``: posterior moments per (variant, seed, contrast, dim); ``thr``: thresholds."""
    out = []

    def add(cid, source, sentence, evidence, check, comparable=True):
        out.append(Claim(cid, sentence, SOURCE[source], evidence, check, comparable))

    elbo = table.groupby("variant")["neg_elbo"].mean()
    present = [v for v in THESIS_ORDER if v in elbo.index]
    inv_m = inv.groupby("variant").mean(numeric_only=True)

    def per_seed(variant, col):
        return inv[inv["variant"] == variant][col].tolist()

    if len(present) == len(THESIS_ORDER):
        best = elbo[present].idxmin()
        rival = elbo[[v for v in present if v != "standard"]].idxmin()
        gap = float(elbo[rival] - elbo["standard"])
        by_seed = table.groupby("variant")["neg_elbo"]
        gap_spread = max(seed_std(by_seed.get_group(v)) for v in ("standard", rival))
        add("A.standard_best", "table", "Standard VAE has the best (lowest) -ELBO of the five Table 4.1 models",
            "mean -ELBO over seeds: " + ", ".join(f"{v} {elbo[v]:.2f}" for v in present) + f"; lowest: {best}; "
            f"margin to the next {gap:.2f} nats (replicates if >= {thr['elbo_margin']}, the -ELBO tolerance; "
            f"chance: at most 1 in {len(present)} if the five models were interchangeable)",
            Leaf("-ELBO margin of the Standard VAE to the next model (nats)", measured(gap), ">=", thr["elbo_margin"],
                 "elbo_margin", spread=gap_spread))
        order = list(elbo[present].sort_values().index)
        add("A.ranking", "table", "Ranking: Standard < post logNormal < pre Normal < pre Gamma(1) ~ pre Gamma(3)",
            "measured order (best first): " + " < ".join(order) + f" (chance: 1 in "
            f"{factorial(len(THESIS_ORDER)) // factorial(len(THESIS_ORDER) - 3)} orders of interchangeable models)",
            every(flag("places 1-3 by mean -ELBO", order[:3] == THESIS_ORDER[:3], " < ".join(THESIS_ORDER[:3])),
                  flag("places 4-5 by mean -ELBO", set(order[3:]) == set(THESIS_ORDER[3:]),
                       " ~ ".join(THESIS_ORDER[3:]) + " (tied: either order)")))
    if "standard" in inv_m.index:
        rs = per_seed("standard", "radius_spearman")
        add("A.standard.radius_contrast", "standard", "Standard VAE: contrast is encoded as the distance from the origin",
            f"Spearman(||mu||, contrast) per seed: {_fmt(rs)} (threshold {thr['tracks']})",
            leaf("mean Spearman(||mu||, contrast)", inv_m.loc["standard", "radius_spearman"], ">=", thr, "tracks", rs))
        same, other = inv_m.loc["standard", "direction_cos_same_digit"], inv_m.loc["standard", "direction_cos_other_digit"]
        knn = inv_m.loc["standard", "direction_knn_digit"]
        add("A.standard.direction_digit", "standard",
            "Standard VAE: the direction of z encodes the digit (shape), nearly the same at every contrast",
            f"digit read from the direction across contrasts (5-NN on the highest-contrast directions): accuracy "
            f"{knn:.3f} (chance 0.1; threshold {thr['direction_knn']}); mean cosine of mu directions, same digit at "
            f"another contrast {same:.3f} vs different digits {other:.3f} (threshold: same >= {thr['direction_cos']})",
            every(leaf("5-NN accuracy of the digit read from the z direction", knn, ">=", thr, "direction_knn",
                       per_seed("standard", "direction_knn_digit")),
                  leaf("mean cosine of mu directions, same digit at another contrast", same, ">=", thr, "direction_cos",
                       per_seed("standard", "direction_cos_same_digit")),
                  flag("same digit closer in direction than different digits", bool(same > other),
                       "cosine same digit > cosine different digits")))
    if "pre_normal" in inv_m.index:
        cs = per_seed("pre_normal", "c_spearman")
        r2 = inv_m.loc["pre_normal", "contrast_r2_shape"]
        add("A.pre_normal.c_flat", "pre_normal", "pre Normal: contrast is carried mostly by z, c hardly changes with contrast",
            f"Spearman(c mean, contrast) per seed: {_fmt(cs)}; held-out R^2 of contrast from (z1, z2): {r2:.3f} "
            f"(replicates if |Spearman| < {thr['tracks']} and R^2 >= {thr['r2_carries']})",
            every(leaf("|mean Spearman(c mean, contrast)|", abs(inv_m.loc["pre_normal", "c_spearman"]), "<", thr, "tracks",
                       cs),
                  leaf("held-out R^2 of contrast from (z1, z2)", r2, ">=", thr, "r2_carries",
                       per_seed("pre_normal", "contrast_r2_shape"))))
    for g in GAMMAS:
        if g in inv_m.index:
            cs = per_seed(g, "c_spearman")
            drift = inv_m.loc[g, "shape_drift"]
            add(c_rises_id(g), "pre_gamma", f"{g}: c mean rises with contrast, but the z means also change with contrast",
                f"Spearman(c mean, contrast) per seed: {_fmt(cs)}; shape drift {drift:.3f} "
                f"(replicates if mean Spearman >= {thr['rises']} and drift > {thr['invariant_drift']})",
                every(leaf("mean Spearman(c mean, contrast)", inv_m.loc[g, "c_spearman"], ">=", thr, "rises", cs),
                      leaf("shape drift", drift, ">", thr, "invariant_drift", per_seed(g, "shape_drift"))))
            n_none = seeds_without_relation(cs, thr["rises"])
            add(unstable_id(g), "pre_gamma", f"{g}: training is unstable: some runs show a c-contrast relation, others none",
                f"{n_none} of {len(cs)} seeds have |Spearman(c mean, contrast)| < {thr['rises']} "
                "(replicates if some seeds do and some do not)",
                every(Leaf(f"seeds with |Spearman(c mean, contrast)| < {thr['rises']}", float(n_none), ">=", 1.0,
                           "some seeds show no relation", True),
                      Leaf(f"seeds with |Spearman(c mean, contrast)| < {thr['rises']}", float(n_none), "<=",
                           float(len(cs) - 1), "some seeds show the relation", True)),
                comparable=len(cs) > 1)
    if "post_lognormal" in inv_m.index:
        pl = inv_m.loc["post_lognormal"]
        add("A.post_lognormal.z_invariant", "post_lognormal", "post logNormal: the z means are invariant to contrast",
            f"shape drift per seed {_fmt(per_seed('post_lognormal', 'shape_drift'))} "
            f"(0 = invariant; threshold {thr['invariant_drift']}); R^2 of contrast from (z1, z2) {pl['contrast_r2_shape']:.3f}",
            leaf("shape drift", pl["shape_drift"], "<=", thr, "invariant_drift", per_seed("post_lognormal", "shape_drift")))
        add("A.post_lognormal.c_tracks", "post_lognormal", "post logNormal: the c mean tracks contrast",
            f"Spearman(c mean, contrast) per seed {_fmt(per_seed('post_lognormal', 'c_spearman'))} (threshold {thr['tracks']})",
            leaf("mean Spearman(c mean, contrast)", pl["c_spearman"], ">=", thr, "tracks",
                 per_seed("post_lognormal", "c_spearman")))
        pl_post = post[post["variant"] == "post_lognormal"]
        p = pl_post.groupby(["dim", "contrast"])[["mean", "std"]].mean()
        lo, hi = p.index.get_level_values("contrast").min(), p.index.get_level_values("contrast").max()
        z_lo, z_hi, fall = _z_std_fall(p, lo, hi)
        seeds = [g.groupby(["dim", "contrast"])[["mean", "std"]].mean() for _, g in pl_post.groupby("seed")]
        add("A.post_lognormal.z_std_falls", "post_lognormal", "post logNormal: the z posterior std decreases with contrast",
            f"average z std at contrast {lo:g}: {z_lo:.3f}, at {hi:g}: {z_hi:.3f}; relative fall {fall:.3f} "
            f"(threshold {thr['std_decrease_relative']})",
            leaf("relative fall of the z std, lowest to highest contrast", fall, ">=", thr, "std_decrease_relative",
                 [_z_std_fall(q, lo, hi)[2] for q in seeds]))
        c_std = p.loc["c", "std"]
        rel = _relative_range(c_std)
        add("A.post_lognormal.c_std_flat", "post_lognormal", "post logNormal: the c posterior std does not depend on contrast",
            f"c std per contrast {_fmt(c_std.tolist())}; relative range {rel:.3f} (threshold {thr['flat_relative_range']}; "
            "a code that ignores contrast passes too: the null column is the control)",
            leaf("(max - min) / mean of the c std over contrasts", rel, "<=", thr, "flat_relative_range",
                 [_relative_range(q.loc["c", "std"]) for q in seeds]))
        smv = [v for v in inv_m.index if v != "standard" and v in present]
        rivals = [inv_m.loc[v, "shape_drift"] for v in smv if v != "post_lognormal"]
        add("A.most_invariant", "conclusion", "post logNormal is the most contrast-invariant model of Table 4.1",
            "shape drift: " + ", ".join(f"{v} {inv_m.loc[v, 'shape_drift']:.3f}" for v in smv)
            + f" (replicates if post logNormal's is strictly the lowest; chance: 1 in {len(smv)} if the models' drifts "
            "were interchangeable)",
            flag("post logNormal's shape drift strictly the lowest", bool(rivals) and bool(pl["shape_drift"] < min(rivals)),
                 "strictly below every other SMVAE's"))
    return out


def number_checks(table: pd.DataFrame, tol: dict) -> dict[str, Leaf]:
    """The Table 4.1 scorecard numbers (IDs 'A.table_4_1.<variant>.<term>', ``table``: table_4_1.csv) as
    conditions: |mean over seeds - thesis| <= the scorecard's tolerance of the term, the term's seed std its noise."""
    out = {}
    for r in table[table["in_thesis_table"].astype(bool)].to_dict("records"):
        for term, name in THESIS_TERMS.items():
            thesis = float(r[f"thesis_{term}"])
            out[f"A.table_4_1.{r['variant']}.{term}"] = Leaf(
                f"|mean {name} - thesis {thesis:g}| ({r['variant']}, nats)", measured(abs(r[f"{term}_mean"] - thesis)),
                "<=", tol[term], f"scorecard tolerance of {term}", spread=float(r[f"{term}_std"]))
    return out


def check_claims(table: pd.DataFrame, inv: pd.DataFrame, post: pd.DataFrame, thr: dict) -> pd.DataFrame:
    """claims.csv of Study A (see :func:`claims` for the inputs)."""
    return frame(claims(table, inv, post, thr))
