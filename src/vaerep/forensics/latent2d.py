"""Study D: each claim of ``latent2d/claims.csv`` (vaerep.latent2d.claims) and each Figs 5.8-5.9
number as the conditions its check tests, with the quantity's course over training: per epoch from history.csv,
per kept checkpoint (with the null control as epoch 0), or the null control and the final model."""

from __future__ import annotations

import pandas as pd

from ..latent2d.claims import loss_stable
from ..latent2d.evaluate import pair_rank
from ..latent2d.table import logged
from .classify import Group, Leaf

NULL_FINAL = "null control (epoch 0) and final model"
KEYS = {"total": "total loss", "rec": "reconstruction (summed BCE)", "kl": "KL"}


class DInputs:
    """Study D's outputs: loss table, per-checkpoint table, eval.json and history.csv per variant, and the null
    control's eval.json of the main variant."""

    def __init__(self, table: pd.DataFrame, checkpoints: pd.DataFrame, metrics: dict, histories: dict,
                 null_metrics: dict, variants: dict, main: str):
        self.t, self.ck, self.m, self.h = table.set_index("variant"), checkpoints, metrics, histories
        self.null, self.variants, self.main = null_metrics, variants, main
        self.epochs = int(self.t.loc[main, "epochs"])

    def logged(self, variant: str) -> pd.DataFrame:
        return logged(self.h[variant], self.variants[variant]["logged_kl"]).set_index("epoch")

    def per_checkpoint(self, fn) -> dict:
        """fn(checkpoint dict) per kept checkpoint of the main model, the null control's (epoch 0) first."""
        return {int(c["epoch"]): float(fn(c)) for c in self.null["checkpoints"] + self.m[self.main]["checkpoints"]}

    def loss_leaf(self, variant: str, key: str, thesis: dict, tol: dict) -> Leaf:
        """|final logged loss - thesis| <= tolerance, per epoch from history.csv."""
        lg = self.logged(variant)[key]
        return Leaf(f"|final training {KEYS[key]} - thesis {thesis[key]}| ({variant})", abs(float(self.t.loc[variant, key]) - thesis[key]),
                    "<=", tol[key], f"scorecard tolerance of {key}", False,
                    {int(e): abs(float(v) - thesis[key]) for e, v in lg.items()}, f"history.csv ({variant})")


def number_conditions(claim: str, d: DInputs, thesis: dict, tol: dict):
    """A Figs 5.8-5.9 scorecard row (main variant's final training loss) as its condition; None if not one."""
    for key, name in KEYS.items():
        if claim.startswith(f"final training {name} after"):
            return d.loss_leaf(d.main, key, thesis, tol)
    return None


def claim_conditions(claim: str, d: DInputs, thesis: dict, thr: dict):
    """The conditions of one claim of vaerep.latent2d.claims.check_claims; None for a claim it does not make.
    ``thr``: the study's claim thresholds with ``loss_tolerance`` (the scorecard's)."""
    tol, main = thr["loss_tolerance"], d.main
    for key, name in KEYS.items():
        if claim.startswith(f"After {thesis['epochs']} epochs the training {name} is about"):
            return d.loss_leaf(main, key, thesis, tol)
    if claim.startswith("One of the two loss codes"):
        closest = min(d.t.index, key=lambda v: abs(d.t.loc[v, "total"] - thesis["total"]) + abs(d.t.loc[v, "kl"] - thesis["kl"]))
        return Group("all", [d.loss_leaf(closest, k, thesis, tol) for k in KEYS])
    if claim.startswith("The loss converges and only oscillates"):
        total = d.h[main]["train_loss"].reset_index(drop=True)
        series = {int(d.h[main]["epoch"].iloc[i - 1]): loss_stable(total.iloc[:i], thr["stable_window"]) for i in range(2, len(total) + 1)}
        return Leaf("(max - min) / mean of the total loss over the last window", loss_stable(total, thr["stable_window"]), "<=",
                    thr["stable_relative"], "stable_relative", False, series, "history.csv, the window ending at each epoch")
    ck = d.ck[d.ck["variant"] == main].sort_values("epoch").reset_index(drop=True)
    if claim.startswith("The final (") and "lower than at the previous checkpoint" in claim:
        drops = {int(ck["epoch"][i]): abs(ck["train_total"][i - 1] - ck["train_total"][i] - thesis["total_drop_penultimate"])
                 for i in range(1, len(ck))}
        value = drops[max(drops)] if drops else thesis["total_drop_penultimate"]
        return Leaf(f"|drop between the last two checkpoints - {thesis['total_drop_penultimate']}|", value, "<=",
                    thr["drop_tolerance"], "drop_tolerance", False, drops, "checkpoints.csv, consecutive checkpoints")
    knn = d.per_checkpoint(lambda c: c["knn_accuracy"])
    final_knn = Leaf(f"{d.m[main]['knn_k']}-NN accuracy of the final latent", knn[max(knn)], ">=", thr["knn_clustered"], "knn_clustered",
                     False, knn, "kept checkpoints, epoch 0 = null control")
    if claim.startswith("Digit clusters emerge over training"):
        first = min(e for e in knn if e > 0)
        gain = {e: v - knn[first] for e, v in knn.items() if e >= first}
        return Group("all", [Leaf("k-NN gain first to last checkpoint", gain[max(gain)], ">=", thr["knn_gain"], "knn_gain",
                                  False, gain, "kept checkpoints"), final_knn])
    if claim.startswith("The unlabelled 2-D latent space is organised by digit class"):
        return final_knn
    if claim.startswith("The final layout is almost a mirror image"):
        r = d.m[main]["reflection_penultimate_final"] or {"det": 1.0, "fit": 0.0}
        return Group("all", [Leaf("determinant of the best orthogonal map", float(r["det"]), "<", 0.0, "reflection = det < 0", True),
                             Leaf("fit of the best orthogonal map", float(r["fit"]), ">=", thr["mirror_fit"],
                                  "mirror_fit")])
    for a, b in thr["neighbour_pairs"]:
        if claim.startswith(f"Similar digits {a} and {b} are neighbours"):
            def rank(c, a=a, b=b):
                r = pair_rank({int(k): [int(x) for x in v] for k, v in c["neighbours"].items()}, a, b)
                return 10 if r is None else r
            ranks = d.per_checkpoint(rank)
            return Leaf(f"best centroid-neighbour rank of {a} and {b}", ranks[max(ranks)], "<=", thr["neighbour_rank"],
                        "neighbour_rank", False, ranks, "kept checkpoints, epoch 0 = null control")
    for tr, tn in zip(d.m[main]["transitions"], d.null["transitions"]):
        if claim.startswith(f"Moving between the {tr['from']} and {tr['to']} regions"):
            def two(key, tr=tr, tn=tn):
                return {0: float(tn[key]), d.epochs: float(tr[key])}
            return Group("all", [Leaf(f"largest step / path length ({tr['from']} to {tr['to']})", tr["max_step_fraction"], "<=", thr["smooth_max_step"],
                                      "smooth_max_step", False, two("max_step_fraction"), NULL_FINAL),
                                 Leaf(f"path length / class-mean distance ({tr['from']} to {tr['to']})", tr["span"], ">=", thr["transition_span"],
                                      "transition_span", False, two("span"), NULL_FINAL)])
    if claim.startswith("Reconstructions keep the digit but are blurry"):
        m, n = d.m[main], d.null
        return Group("all", [Leaf("edge sharpness ratio", m["sharpness_ratio"], "<", thr["blurry_ratio"], "blurry_ratio", False,
                                  {0: n["sharpness_ratio"], d.epochs: m["sharpness_ratio"]}, NULL_FINAL),
                             Leaf("k-NN accuracy on the reconstructions", m["digit_kept"]["reconstructions"], ">=",
                                  thr["digit_kept"], "digit_kept", False,
                                  {0: n["digit_kept"]["reconstructions"], d.epochs: m["digit_kept"]["reconstructions"]}, NULL_FINAL)])
    return None
