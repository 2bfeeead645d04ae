"""The thesis's observations (seed_004 §3.1, §6), each checked against replicated numbers with
thresholds from config: claim, evidence, verdict (replicates / differs / not comparable)."""

from __future__ import annotations

import pandas as pd

from .evaluate import pair_rank


def _neighbours(checkpoint: dict) -> dict[int, list[int]]:
    return {int(k): [int(x) for x in v] for k, v in checkpoint["neighbours"].items()}


def loss_stable(total: pd.Series, window: float) -> float:
    """(max - min) / mean of the last ``window`` fraction (at least 2 epochs) of a loss curve; infinite for
    a curve of fewer than 2 epochs (a null control: no curve to call stable)."""
    if len(total) < 2:
        return float("inf")
    n = max(2, int(round(len(total) * window)))
    tail = total.iloc[-n:]
    return float((tail.max() - tail.min()) / tail.mean())


def check_claims(table: pd.DataFrame, checkpoints: pd.DataFrame, metrics: dict, histories: dict,
                 main: str, thesis: dict, thr: dict) -> pd.DataFrame:
    """``table``: loss table (one row per variant); ``checkpoints``: per-checkpoint table; ``metrics``:
    eval.json of each variant; ``histories``: history.csv of each variant; ``main``: the main variant."""
    rows = []

    def add(claim, evidence, ok, comparable=True, why=""):
        verdict = "not comparable" if not comparable else ("replicates" if ok else "differs")
        if not comparable:
            verdict += f" ({why})"
        rows.append({"claim": claim, "evidence": evidence, "verdict": verdict, "holds_on_this_model": bool(ok)})

    t = table.set_index("variant")
    m, r = metrics[main], t.loc[main]
    full = int(r["epochs"]) == int(thesis["epochs"])
    why = f"{int(r['epochs'])} epochs trained, the thesis trained {thesis['epochs']}"
    tol = thr["loss_tolerance"]  # per quantity, the scorecard's (one tolerance per quantity)
    for key, name in (("total", "total loss"), ("rec", "reconstruction (summed BCE)"), ("kl", "KL")):
        ev = "; ".join(f"{v}: {t.loc[v, key]:.2f}" for v in t.index)
        add(f"After {thesis['epochs']} epochs the training {name} is about {thesis[key]}",
            f"final-epoch training {name}, as each code's tracker logs it: {ev} (main model: {main}; "
            f"tolerance ±{tol[key]})", abs(r[key] - thesis[key]) <= tol[key], full, why)
    closest = min(t.index, key=lambda v: abs(t.loc[v, "total"] - thesis["total"]) + abs(t.loc[v, "kl"] - thesis["kl"]))
    within = all(abs(t.loc[closest, k] - thesis[k]) <= tol[k] for k in ("total", "rec", "kl"))
    add("One of the two loss codes (canonical, or as printed) reproduces all three reported values",
        "; ".join(f"{v}: total {t.loc[v, 'total']:.2f}, rec {t.loc[v, 'rec']:.2f}, KL {t.loc[v, 'kl']:.2f}" for v in t.index)
        + f"; closest to the thesis (|total diff| + |KL diff|): {closest} (tolerances ±{tol['total']}, "
        f"±{tol['rec']}, ±{tol['kl']})", within, full, why)
    rel = loss_stable(histories[main]["train_loss"], thr["stable_window"])
    add("The loss converges and only oscillates around its final value",
        f"(max - min) / mean of the total loss over the last {thr['stable_window']:.0%} of epochs: {rel:.4f} "
        f"(threshold {thr['stable_relative']})", rel <= thr["stable_relative"], full, why)
    ck = checkpoints[checkpoints["variant"] == main].sort_values("epoch")
    # A null control has one state, its initialisation: a second checkpoint would need training, which a null
    # must not do. Its two-checkpoint claims are measured by the same code on that state against itself
    # (what an untrained model changes between checkpoints: nothing).
    pen, last = ck.iloc[-2] if len(ck) >= 2 else ck.iloc[-1], ck.iloc[-1]
    same = "" if len(ck) >= 2 else (f" (one checkpoint, epoch {int(last['epoch'])}, the null's initialisation: "
                                    "compared with itself, as nothing is trained)")
    drop = pen["train_total"] - last["train_total"]
    add(f"The final ({thesis['epochs']}-epoch) loss is about {thesis['total_drop_penultimate']} lower than at the "
        "previous checkpoint (200 epochs)",
        f"training total at epoch {int(pen['epoch'])}: {pen['train_total']:.2f}, at epoch {int(last['epoch'])}: "
        f"{last['train_total']:.2f}, drop {drop:.2f}; test -ELBO {pen['test_neg_elbo']:.2f} -> {last['test_neg_elbo']:.2f} "
        f"(tolerance ±{thr['drop_tolerance']}){same}",
        abs(drop - thesis["total_drop_penultimate"]) <= thr["drop_tolerance"], full, why)
    accs = ", ".join(f"epoch {int(e)}: {a:.3f}" for e, a in zip(ck["epoch"], ck["knn_accuracy"]))
    gain = ck["knn_accuracy"].iloc[-1] - ck["knn_accuracy"].iloc[0]
    add("Digit clusters emerge over training without labels (1 -> 5 -> 200 -> 500 epochs)",
        f"{m['knn_k']}-NN accuracy of the 2-D test means (train means vote) per checkpoint: {accs}; gain "
        f"{gain:+.3f} (replicates if gain >= {thr['knn_gain']} and final >= {thr['knn_clustered']}){same}",
        gain >= thr["knn_gain"] and ck["knn_accuracy"].iloc[-1] >= thr["knn_clustered"])
    refl = m.get("reflection_penultimate_final")
    if refl:
        add("The final layout is almost a mirror image of the previous checkpoint's (200 -> 500 epochs)",
            f"best orthogonal map between the test-mean layouts at epochs {int(pen['epoch'])} and {int(last['epoch'])}: "
            f"det {refl['det']:+.0f} ({'reflection' if refl['is_reflection'] else 'rotation'}, "
            f"angle {refl['angle_deg']:.0f} deg), fit {refl['fit']:.2f} (threshold {thr['mirror_fit']}){same}",
            refl["is_reflection"] and refl["fit"] >= thr["mirror_fit"], full, why)
    acc = m["checkpoints"][-1]["knn_accuracy"]
    add("The unlabelled 2-D latent space is organised by digit class",
        f"{m['knn_k']}-NN accuracy of the final model's test means: {acc:.3f} (chance 0.1; threshold {thr['knn_clustered']})",
        acc >= thr["knn_clustered"])
    nb = _neighbours(m["checkpoints"][-1])
    for a, b in thr["neighbour_pairs"]:
        rank = pair_rank(nb, a, b)
        add(f"Similar digits {a} and {b} are neighbours in the latent space",
            f"class-centroid neighbours of the final model: {a} -> {nb.get(a, [])[:3]}, {b} -> {nb.get(b, [])[:3]}; "
            f"best rank of the pair: {rank} (replicates if <= {thr['neighbour_rank']}; chance level: random layouts "
            f"pass {thr['neighbour_chance']:.0%} of the time)",
            rank is not None and rank <= thr["neighbour_rank"])
    for tr in m["transitions"]:
        add(f"Moving between the {tr['from']} and {tr['to']} regions the decoded digits change smoothly",
            f"{tr['n_steps']} equal steps on the line between the class centroids: largest pixel-space step = "
            f"{tr['max_step_fraction']:.2f} of the path length (1/{tr['n_steps']} = {1 / tr['n_steps']:.2f} if uniform; "
            f"threshold {thr['smooth_max_step']}); path length / distance between the two class-mean images = "
            f"{tr['span']:.2f} (the path must go from one digit to the other: threshold {thr['transition_span']})",
            tr["max_step_fraction"] <= thr["smooth_max_step"] and tr["span"] >= thr["transition_span"])
    s, kept = m["sharpness_ratio"], m["digit_kept"]
    add("Reconstructions keep the digit but are blurry",
        f"edge sharpness (mean |pixel difference| of neighbours) of the mean reconstructions / originals: {s:.2f} "
        f"(blurry if < {thr['blurry_ratio']}); digit kept: pixel-space {m['knn_k']}-NN accuracy on the "
        f"reconstructions {kept['reconstructions']:.3f}, on the originals {kept['originals']:.3f} (chance 0.1; "
        f"kept if >= {thr['digit_kept']})", s < thr["blurry_ratio"] and kept["reconstructions"] >= thr["digit_kept"])
    return pd.DataFrame(rows)
