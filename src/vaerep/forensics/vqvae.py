"""Study C: each claim of C2/C3 (``vqvae/claims.csv``) and C1 (``vqvae/vae2d/claims.csv``) as the
conditions its check tests (vaerep.vqvae.claims, vaerep.vqvae.vae2d), with the quantity's course over training:
per epoch from history.csv where the run logs it (test-set terms of C1; the null control's epoch-0 row in
front), otherwise the null control (epoch 0) and the final model."""

from __future__ import annotations

import pandas as pd

from ..claim import Group, Leaf

NULL_FINAL = "null control (epoch 0) and final model"


def _two(null: float, final: float, epochs: int) -> dict:
    return {0: float(null), int(epochs): float(final)}


def manipulation_conditions(claim: str, table: pd.DataFrame, null: pd.DataFrame, thr: dict, epochs: int):
    """C2/C3: the conditions of one claim of vaerep.vqvae.claims.check_claims; None for a claim it does not make.
    ``table``/``null``: manipulations.csv of the trained model and of its null control; ``thr``: the study's
    ``manipulations`` settings; ``epochs``: epochs the trained model ran."""
    t, n = table.set_index("operation"), null.set_index("operation")
    rr, ra = thr["respect_ratio"], thr["respect_anchor"]

    def leaf(op, col, cmp, value, source, definitional=False):
        return Leaf(f"{op} {col}", float(t.loc[op, col]), cmp, value, source, definitional,
                    _two(n.loc[op, col], t.loc[op, col], epochs), NULL_FINAL)

    def respected(op):
        return Group("all", [leaf(op, "ratio", "<=", rr, "respect_ratio"), leaf(op, "ratio_vs_no_op", "<=", ra, "respect_anchor")])

    def not_respected(op):
        return Group("any", [leaf(op, "ratio", ">", rr, "respect_ratio"), leaf(op, "ratio_vs_no_op", ">", ra, "respect_anchor")])

    if claim.startswith("The MNIST VQ-VAE is robust to (cyclic) shifts"):
        return Group("all", [respected("shift_x"), respected("shift_y")])
    if claim.startswith("Rotation and mirroring of the latent grid destroy"):
        return Group("all", [respected("shift_x"), respected("shift_y")] + [not_respected(o) for o in ("rot90", "flip_x", "flip_y")])
    if claim.startswith("Splicing halves of two latent grids"):
        return Group("all", [respected("splice_x"), respected("splice_y")])
    if claim.startswith("Value inversion"):
        return Group("all", [leaf("invert", "corr_with_reconstruction", "<", 0.0, "negative = inverted", True),
                             leaf("invert", "ratio_vs_no_op", "<", 1.0, "closer to 1 - x than the reconstruction", True)])
    return None


class C1Inputs:
    """C1's table (one row per model), per-epoch histories, and the null control's table and epoch-0 histories."""

    def __init__(self, table: pd.DataFrame, histories: dict, null_table: pd.DataFrame, null_histories: dict):
        self.t, self.n = table.set_index("model"), null_table.set_index("model")
        self.h = {m: pd.concat([null_histories[m], h], ignore_index=True).set_index("epoch") for m, h in histories.items()}
        self.epochs = {m: int(h["epoch"].iloc[-1]) for m, h in histories.items()}

    def column(self, model: str, col: str, name: str, cmp: str, thr: float, source: str, definitional=False) -> Leaf:
        """A condition on a table column, its course from the null control to the final model."""
        return Leaf(f"{name} ({model})", float(self.t.loc[model, col]), cmp, thr, source, definitional,
                    _two(self.n.loc[model, col], self.t.loc[model, col], self.epochs[model]), NULL_FINAL)

    def logged(self, model: str, series: pd.Series, value: float, name: str, cmp: str, thr: float, source: str,
               definitional=False, what: str = "") -> Leaf:
        """A condition whose quantity history.csv logs per epoch (``series``, indexed by epoch)."""
        return Leaf(f"{name} ({model})", float(value), cmp, thr, source, definitional,
                    {int(e): float(v) for e, v in series.items()}, f"history.csv {what}, epoch 0 = null control")


def vae2d_conditions(claim: str, c: C1Inputs, roles: dict, thr: dict):
    """C1: the conditions of one claim of vaerep.vqvae.vae2d.check_claims; None for a claim it does not make."""
    fc, conv, mse, col = roles["fc_bce"], roles["conv_bce"], roles["fc_mse"], roles["collapse"]
    sep, act, dead = thr["separates_knn"], thr["active_kl_per_dim"], thr["collapse_kl_per_dim"]
    rv, ms, same = thr["reconstructs_vs_mean_image"], thr["much_smaller"], thr["same_recon_ratio"]

    def kl_dim(model, i, cmp, value, source):
        return c.logged(model, c.h[model][f"val_kl_z{i}"], c.t.loc[model, f"test_kl_z{i}"], f"test KL of z{i}", cmp,
                        value, source, what=f"val_kl_z{i}")

    def in_use(model):
        return Group("all", [kl_dim(model, i, ">=", act, "active_kl_per_dim") for i in (1, 2)])

    def recon(model):
        mean_image = float(c.t.loc[model, "test_mse_mean_image"])
        return c.logged(model, c.h[model]["val_mse"] / mean_image, c.t.loc[model, "test_mse_per_pixel"] / mean_image,
                        "test MSE / mean-image MSE", "<=", rv, "reconstructs_vs_mean_image", what="val_mse")

    def ratio(a, b, col, name, cmp, value, source, final=None):
        """A ratio of two models' logged column; ``final``: the claim's own value where it reads the table."""
        series = c.h[a][col] / c.h[b][col]
        final = series.iloc[-1] if final is None else final
        return c.logged(f"{a}/{b}", series, final, name, cmp, value, source, what=col)

    if claim.startswith("With a 2-D latent the FC-head VAE separates the digit classes better"):
        gap = Leaf(f"k-NN accuracy FC minus conv ({fc}-{conv})", float(c.t.loc[fc, "knn_accuracy"] - c.t.loc[conv, "knn_accuracy"]),
                   ">", 0.0, "better = higher", True,
                   _two(c.n.loc[fc, "knn_accuracy"] - c.n.loc[conv, "knn_accuracy"],
                        c.t.loc[fc, "knn_accuracy"] - c.t.loc[conv, "knn_accuracy"], c.epochs[fc]), NULL_FINAL)
        return Group("all", [gap, c.column(fc, "knn_accuracy", "k-NN accuracy", ">=", sep, "separates_knn")])
    if claim.startswith("The conv-head VAE also separates some classes"):
        return c.column(conv, "knn_accuracy", "k-NN accuracy", ">=", sep, "separates_knn")
    if claim.startswith("The latent means of the"):
        model = next(m for m in (fc, conv) if f"of the {c.t.loc[m, 'label']} model" in claim)
        lo, hi = thr["normal_std"]
        parts = []
        for i in (1, 2):
            mean = c.column(model, f"latent_mean_z{i}", f"mean of the latent means z{i}", "<=", thr["normal_mean_abs"],
                            "normal_mean_abs")
            mean.value, mean.series = abs(mean.value), {e: abs(v) for e, v in mean.series.items()}
            mean.name = "|" + mean.name.replace(" (", "| (", 1)
            parts += [mean, c.column(model, f"latent_std_z{i}", f"std of the latent means z{i}", ">=", lo, "normal_std"),
                      c.column(model, f"latent_std_z{i}", f"std of the latent means z{i}", "<=", hi, "normal_std")]
        return Group("all", parts)
    if claim.startswith("Conv models are too complex for MNIST and tend to overfit"):
        d = c.t.loc[conv, "generalisation_gap"] - c.t.loc[fc, "generalisation_gap"]
        dn = c.n.loc[conv, "generalisation_gap"] - c.n.loc[fc, "generalisation_gap"]
        return Group("all", [Leaf(f"generalisation gap conv minus FC ({conv}-{fc}, nats)", float(d), ">",
                                  thr["overfit_margin_nats"], "overfit_margin_nats", False,
                                  _two(dn, d, c.epochs[conv]), NULL_FINAL),
                             c.column(conv, "generalisation_gap", "generalisation gap (nats)", ">", 0.0, "overfits = positive", True)])
    if claim.startswith("An un-weighted (per-pixel-mean) MSE makes the posterior collapse"):
        return Group("all", [kl_dim(col, i, "<", dead, "collapse_kl_per_dim") for i in (1, 2)] + [in_use(mse)])
    if claim.startswith("Re-weighting the MSE (summed over the 784 pixels) avoids the collapse"):
        return in_use(mse)
    if claim.startswith("The re-weighted MSE loss is much smaller than the BCE loss"):
        return Group("all", [recon(mse), recon(fc),
                             ratio(mse, fc, "train_loss", "training loss ratio", "<=", ms, "much_smaller")])
    if "run the KL term is much smaller than the reconstruction term" in claim:
        model = next(m for m in (fc, mse) if f"In the {c.t.loc[m, 'label']} run" in claim)
        h = c.h[model]
        return Group("all", [in_use(model), c.logged(model, h["train_kl"] / h["train_rec"], h["train_kl"].iloc[-1] / h["train_rec"].iloc[-1],
                                                     "training KL / reconstruction", "<=", ms, "much_smaller", what="train_kl / train_rec")])
    if "run the KL term grows after some iterations" in claim:
        model = next(m for m in (fc, mse) if f"In the {c.t.loc[m, 'label']} run" in claim)
        kl = c.h[model]["train_kl"].drop(index=0, errors="ignore")  # the claim reads the trained epochs only
        step = c.h[model]["train_kl"].diff().dropna()
        # grows <=> the last KL is above the minimum; either it rose at the last epoch (the trend of the per-epoch
        # change says whether a rise is coming) or it rose earlier and is still above the minimum
        return Group("any", [
            Leaf(f"training KL minus its minimum at the end ({model})", float(kl.iloc[-1] - kl.min()), ">", 0.0,
                 "grows = ends above its minimum", True),
            c.logged(model, step, float(kl.diff().iloc[-1]) if len(kl) > 1 else float("nan"), "training KL change per epoch at the end",
                     ">", 0.0, "grows = rises after its minimum", True, what="train_kl differences")])
    if claim.startswith("Reconstructions of the BCE and the re-weighted MSE model are practically the same"):
        final = c.t.loc[mse, "test_mse_per_pixel"] / c.t.loc[fc, "test_mse_per_pixel"]
        r = ratio(mse, fc, "val_mse", "test MSE ratio re-weighted MSE / BCE", "<=", same, "same_recon_ratio", final)
        lo = ratio(mse, fc, "val_mse", "test MSE ratio re-weighted MSE / BCE", ">=", 1 / same, "same_recon_ratio", final)
        return Group("all", [recon(mse), recon(fc), r, lo])
    return None
