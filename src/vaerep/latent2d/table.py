"""Study D tables: final training losses next to the thesis, and per-checkpoint numbers."""

from __future__ import annotations

import pandas as pd


def logged(history: pd.DataFrame, logged_kl: str) -> pd.DataFrame:
    """What the thesis's Keras trackers would have shown per epoch for this variant's code: total (the
    objective), reconstruction, and KL (summed over latent dims, or the per-dimension mean)."""
    kl_col = "train_kl" if logged_kl == "sum" else "train_kl_per_dim"
    return pd.DataFrame({"epoch": history["epoch"], "total": history["train_loss"], "rec": history["train_rec"],
                         "kl": history[kl_col]})


def loss_table(histories: dict[str, pd.DataFrame], metrics: dict[str, dict], variants: dict, thesis: dict) -> pd.DataFrame:
    """One row per variant: final-epoch logged training losses, the thesis's values, the canonical
    training -ELBO, the test-set -ELBO terms of the final model and the k-NN accuracy of its latent."""
    rows = []
    for v, spec in variants.items():
        h = histories[v]
        last = h.iloc[-1]
        lg = logged(h, spec["logged_kl"]).iloc[-1]
        final = metrics[v]["checkpoints"][-1]
        rows.append({
            "variant": v, "label": spec["label"], "kl_weight": spec["model"].get("kl_weight", 1.0),
            "epochs": int(last["epoch"]), "thesis_epochs": thesis["epochs"],
            "total": lg["total"], "thesis_total": thesis["total"], "diff_total": lg["total"] - thesis["total"],
            "rec": lg["rec"], "thesis_rec": thesis["rec"], "diff_rec": lg["rec"] - thesis["rec"],
            "kl": lg["kl"], "thesis_kl": thesis["kl"], "diff_kl": lg["kl"] - thesis["kl"],
            "logged_kl": spec["logged_kl"],
            "train_neg_elbo": last["train_neg_elbo"], "train_kl_per_image": last["train_kl"],
            "test_neg_elbo": final["test_neg_elbo"], "test_rec": final["test_rec"], "test_kl": final["test_kl"],
            "knn_accuracy": final["knn_accuracy"], "n_test": metrics[v]["n_test"],
        })
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """The loss table as Markdown (two decimals)."""
    head = ("| Model | Epochs | Total (thesis) | Rec. (thesis) | KL (thesis) | Train −ELBO | "
            "Test −ELBO | Test rec. | Test KL | k-NN acc. |\n|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in table.itertuples():
        kl_note = " per dim" if r.logged_kl == "per_dim" else ""
        lines.append(f"| {r.label} | {r.epochs} (thesis {r.thesis_epochs}) | {r.total:.2f} ({r.thesis_total:.1f}) | "
                     f"{r.rec:.2f} ({r.thesis_rec:.1f}) | {r.kl:.2f}{kl_note} ({r.thesis_kl:.1f}) | "
                     f"{r.train_neg_elbo:.2f} | {r.test_neg_elbo:.2f} | {r.test_rec:.2f} | {r.test_kl:.2f} | "
                     f"{r.knn_accuracy:.3f} |")
    note = ("\n\nTotal / Rec. / KL: training-set means of the last epoch as the thesis's Keras trackers would log "
            "them for that model's code (for the printed code, the KL tracker averages the unreduced (B, 2) "
            "tensor, i.e. KL per latent dimension, and the total is rec + KL/2). Train/Test −ELBO: rec + KL "
            "summed over latent dims, nats per image. Thesis values in brackets (500 epochs).\n")
    return head + "\n".join(lines) + note


def checkpoint_table(histories: dict[str, pd.DataFrame], metrics: dict[str, dict], variants: dict) -> pd.DataFrame:
    """One row per (variant, kept checkpoint): logged training losses of that epoch, test -ELBO terms,
    k-NN accuracy and the nearest class-centroid pairs."""
    rows = []
    for v, spec in variants.items():
        lg = logged(histories[v], spec["logged_kl"]).set_index("epoch")
        for c in metrics[v]["checkpoints"]:
            e = c["epoch"]
            rows.append({"variant": v, "epoch": e, "train_total": lg.loc[e, "total"], "train_rec": lg.loc[e, "rec"],
                         "train_kl": lg.loc[e, "kl"], "test_neg_elbo": c["test_neg_elbo"], "test_rec": c["test_rec"],
                         "test_kl": c["test_kl"], "knn_accuracy": c["knn_accuracy"],
                         "nearest_pairs": " ".join(f"{a}-{b}" for a, b in c["nearest_pairs"])})
    return pd.DataFrame(rows)


def neighbour_table(metrics: dict[str, dict]) -> pd.DataFrame:
    """One row per (variant, checkpoint, digit): its three nearest class centroids in the latent plane
    and the distance to the nearest (in units of the mean within-class spread)."""
    rows = []
    for v, m in metrics.items():
        for c in m["checkpoints"]:
            pos = {int(d): i for i, d in enumerate(c.get("classes", range(len(c["centroid_distance"]))))}
            for d, ns in c["neighbours"].items():
                d = int(d)
                rows.append({"variant": v, "epoch": c["epoch"], "digit": d, "nearest": ns[0],
                             "second": ns[1] if len(ns) > 1 else None, "third": ns[2] if len(ns) > 2 else None,
                             "distance_nearest": c["centroid_distance"][pos[d]][pos[ns[0]]]})
    return pd.DataFrame(rows)
