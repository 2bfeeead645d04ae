"""The thesis's observations (Ch. 5, §5.4; extraction §3.1 and §6), each a :class:`vaerep.claim.Claim` whose check
is a tree of conditions with thresholds from config. Each condition carries the quantity's course over training
(per epoch from history.csv, per kept checkpoint, or the null control and the final model) where the run kept
it: the forensics stage classes the failing conditions of the same tree."""

from __future__ import annotations

import pandas as pd

from ..claim import NULL_FINAL, Claim, Leaf, course, every, frame
from .evaluate import pair_rank
from .table import logged

KEYS = {"total": "total loss", "rec": "reconstruction (summed BCE)", "kl": "KL"}
NO_RANK = 10  # a pair absent from the centroid neighbour lists: beyond every rank of the nine other classes
SOURCE = {"loss": "Figs 5.8–5.9, §5.4.1", "latent": "§5.4.2 (Figs 5.10–5.13)", "recon": "§5.4.3"}


def loss_stable(total: pd.Series, window: float) -> float:
    """(max - min) / mean of the last ``window`` fraction (at least 2 epochs) of a loss curve; infinite for
    a curve of fewer than 2 epochs (a null control: no curve to call stable)."""
    if len(total) < 2:
        return float("inf")
    n = max(2, int(round(len(total) * window)))
    tail = total.iloc[-n:]
    return float((tail.max() - tail.min()) / tail.mean())


class Inputs:
    """Study D's outputs: loss table, per-checkpoint table, eval.json and history.csv per variant, the variants'
    settings and the main variant; ``null``: the main variant's null-control eval.json, which puts epoch 0 in
    front of every per-checkpoint course (None: the courses start at the first kept checkpoint)."""

    def __init__(self, table: pd.DataFrame, checkpoints: pd.DataFrame, metrics: dict, histories: dict,
                 variants: dict, main: str, null: dict | None = None):
        self.t, self.m, self.h, self.variants, self.main, self.null = (table.set_index("variant"), metrics, histories,
                                                                        variants, main, null)
        self.ck = checkpoints[checkpoints["variant"] == main].sort_values("epoch").reset_index(drop=True)
        self.epochs = int(self.t.loc[main, "epochs"])

    def per_checkpoint(self, fn) -> dict:
        """fn(checkpoint dict) per kept checkpoint of the main model, the null control's (epoch 0) first."""
        kept = (self.null["checkpoints"] if self.null else []) + self.m[self.main]["checkpoints"]
        return {int(c["epoch"]): float(fn(c)) for c in kept}

    def null_final(self, fn) -> dict:
        """fn(eval.json) of the null control (epoch 0) and of the final main model."""
        return course(fn(self.null) if self.null else None, fn(self.m[self.main]), self.epochs)

    def loss_leaf(self, variant: str, key: str, thesis: dict, tol: dict) -> Leaf:
        """|final logged loss - thesis| <= tolerance, per epoch from history.csv."""
        lg = logged(self.h[variant], self.variants[variant]["logged_kl"]).set_index("epoch")[key]
        return Leaf(f"|final training {KEYS[key]} - thesis {thesis[key]}| ({variant})",
                    abs(float(self.t.loc[variant, key]) - thesis[key]), "<=", tol[key], f"scorecard tolerance of {key}",
                    False, {int(e): abs(float(v) - thesis[key]) for e, v in lg.items()}, f"history.csv ({variant})")


def number_checks(d: Inputs, thesis: dict, tol: dict) -> dict[str, Leaf]:
    """The Figs 5.8–5.9 scorecard numbers (the main variant's final training losses, IDs 'D.final_loss.<key>')
    as conditions."""
    return {f"D.final_loss.{key}": d.loss_leaf(d.main, key, thesis, tol) for key in KEYS}


def claims(d: Inputs, thesis: dict, thr: dict) -> list[Claim]:
    """Every observation of the thesis as a claim. ``thr``: the study's claim thresholds with ``loss_tolerance``
    (the scorecard's, one tolerance per quantity)."""
    t, main, m = d.t, d.main, d.m[d.main]
    r = t.loc[main]
    full = int(r["epochs"]) == int(thesis["epochs"])
    why = "" if full else f"{int(r['epochs'])} epochs trained, the thesis trained {thesis['epochs']}"
    tol = thr["loss_tolerance"]
    out = []

    def add(cid, source, sentence, evidence, check, comparable=True):
        out.append(Claim(cid, sentence, SOURCE[source], evidence, check, comparable, why if not comparable else ""))

    for key, name in KEYS.items():
        ev = "; ".join(f"{v}: {t.loc[v, key]:.2f}" for v in t.index)
        add(f"D.loss_about.{key}", "loss", f"After {thesis['epochs']} epochs the training {name} is about {thesis[key]}",
            f"final-epoch training {name}, as each code's tracker logs it: {ev} (main model: {main}; "
            f"tolerance ±{tol[key]})", d.loss_leaf(main, key, thesis, tol), full)
    closest = min(t.index, key=lambda v: abs(t.loc[v, "total"] - thesis["total"]) + abs(t.loc[v, "kl"] - thesis["kl"]))
    add("D.loss_code", "loss", "One of the two loss codes (canonical, or as printed) reproduces all three reported values",
        "; ".join(f"{v}: total {t.loc[v, 'total']:.2f}, rec {t.loc[v, 'rec']:.2f}, KL {t.loc[v, 'kl']:.2f}" for v in t.index)
        + f"; closest to the thesis (|total diff| + |KL diff|): {closest} (tolerances ±{tol['total']}, "
        f"±{tol['rec']}, ±{tol['kl']})", every(*(d.loss_leaf(closest, k, thesis, tol) for k in KEYS)), full)
    total = d.h[main]["train_loss"].reset_index(drop=True)
    rel = loss_stable(total, thr["stable_window"])
    course = {int(d.h[main]["epoch"].iloc[i - 1]): loss_stable(total.iloc[:i], thr["stable_window"]) for i in range(2, len(total) + 1)}
    add("D.converges", "loss", "The loss converges and only oscillates around its final value",
        f"(max - min) / mean of the total loss over the last {thr['stable_window']:.0%} of epochs: {rel:.4f} "
        f"(threshold {thr['stable_relative']})",
        Leaf("(max - min) / mean of the total loss over the last window", rel, "<=", thr["stable_relative"],
             "stable_relative", False, course, "history.csv, the window ending at each epoch"), full)
    ck = d.ck
    # A null control has one state, its initialisation: a second checkpoint would need training, which a null
    # must not do. Its two-checkpoint claims are measured by the same code on that state against itself
    # (what an untrained model changes between checkpoints: nothing).
    pen, last = ck.iloc[-2] if len(ck) >= 2 else ck.iloc[-1], ck.iloc[-1]
    same = "" if len(ck) >= 2 else (f" (one checkpoint, epoch {int(last['epoch'])}, the null's initialisation: "
                                    "compared with itself, as nothing is trained)")
    want = thesis["total_drop_penultimate"]
    drop = pen["train_total"] - last["train_total"]
    drops = {int(ck["epoch"][i]): abs(ck["train_total"][i - 1] - ck["train_total"][i] - want) for i in range(1, len(ck))}
    add("D.final_drop", "latent", f"The final ({thesis['epochs']}-epoch) loss is about {want} lower than at the "
        "previous checkpoint (200 epochs)",
        f"training total at epoch {int(pen['epoch'])}: {pen['train_total']:.2f}, at epoch {int(last['epoch'])}: "
        f"{last['train_total']:.2f}, drop {drop:.2f}; test -ELBO {pen['test_neg_elbo']:.2f} -> {last['test_neg_elbo']:.2f} "
        f"(tolerance ±{thr['drop_tolerance']}){same}",
        Leaf(f"|drop between the last two checkpoints - {want}|", float(abs(drop - want)), "<=", thr["drop_tolerance"],
             "drop_tolerance", False, drops, "checkpoints.csv, consecutive checkpoints"), full)
    knn = d.per_checkpoint(lambda c: c["knn_accuracy"])
    final_knn = Leaf(f"{m['knn_k']}-NN accuracy of the final latent", float(ck["knn_accuracy"].iloc[-1]), ">=",
                     thr["knn_clustered"], "knn_clustered", False, knn, "kept checkpoints, epoch 0 = null control")
    first = int(ck["epoch"].iloc[0])
    gain = {e: v - knn[first] for e, v in knn.items() if e >= first}
    accs = ", ".join(f"epoch {int(e)}: {a:.3f}" for e, a in zip(ck["epoch"], ck["knn_accuracy"]))
    g = float(ck["knn_accuracy"].iloc[-1] - ck["knn_accuracy"].iloc[0])
    add("D.clusters_emerge", "latent", "Digit clusters emerge over training without labels (1 -> 5 -> 200 -> 500 epochs)",
        f"{m['knn_k']}-NN accuracy of the 2-D test means (train means vote) per checkpoint: {accs}; gain "
        f"{g:+.3f} (replicates if gain >= {thr['knn_gain']} and final >= {thr['knn_clustered']}){same}",
        every(Leaf("k-NN gain first to last checkpoint", g, ">=", thr["knn_gain"], "knn_gain", False, gain,
                   "kept checkpoints"), final_knn))
    refl = m.get("reflection_penultimate_final")
    if refl:
        add("D.mirror", "latent", "The final layout is almost a mirror image of the previous checkpoint's (200 -> 500 epochs)",
            f"best orthogonal map between the test-mean layouts at epochs {int(pen['epoch'])} and {int(last['epoch'])}: "
            f"det {refl['det']:+.0f} ({'reflection' if refl['is_reflection'] else 'rotation'}, "
            f"angle {refl['angle_deg']:.0f} deg), fit {refl['fit']:.2f} (threshold {thr['mirror_fit']}){same}",
            every(Leaf("determinant of the best orthogonal map", float(refl["det"]), "<", 0.0, "reflection = det < 0", True),
                  Leaf("fit of the best orthogonal map", float(refl["fit"]), ">=", thr["mirror_fit"], "mirror_fit")), full)
    acc = m["checkpoints"][-1]["knn_accuracy"]
    add("D.organised", "latent", "The unlabelled 2-D latent space is organised by digit class",
        f"{m['knn_k']}-NN accuracy of the final model's test means: {acc:.3f} (chance 0.1; threshold {thr['knn_clustered']})",
        final_knn)
    nb = {int(k): [int(x) for x in v] for k, v in m["checkpoints"][-1]["neighbours"].items()}
    for a, b in thr["neighbour_pairs"]:
        rank = pair_rank(nb, a, b)

        def rank_at(c, a=a, b=b):
            r_ = pair_rank({int(k): [int(x) for x in v] for k, v in c["neighbours"].items()}, a, b)
            return NO_RANK if r_ is None else r_
        add(f"D.neighbours_{a}_{b}", "latent", f"Similar digits {a} and {b} are neighbours in the latent space",
            f"class-centroid neighbours of the final model: {a} -> {nb.get(a, [])[:3]}, {b} -> {nb.get(b, [])[:3]}; "
            f"best rank of the pair: {rank} (replicates if <= {thr['neighbour_rank']}; chance level: random layouts "
            f"pass {thr['neighbour_chance']:.0%} of the time)",
            Leaf(f"best centroid-neighbour rank of {a} and {b}", float(NO_RANK if rank is None else rank), "<=",
                 thr["neighbour_rank"], "neighbour_rank", False, d.per_checkpoint(rank_at),
                 "kept checkpoints, epoch 0 = null control"))
    for i, tr in enumerate(m["transitions"]):
        def course_of(key, i=i):
            return d.null_final(lambda e: e["transitions"][i][key])
        add(f"D.smooth_{tr['from']}_{tr['to']}", "latent",
            f"Moving between the {tr['from']} and {tr['to']} regions the decoded digits change smoothly",
            f"{tr['n_steps']} equal steps on the line between the class centroids: largest pixel-space step = "
            f"{tr['max_step_fraction']:.2f} of the path length (1/{tr['n_steps']} = {1 / tr['n_steps']:.2f} if uniform; "
            f"threshold {thr['smooth_max_step']}); path length / distance between the two class-mean images = "
            f"{tr['span']:.2f} (the path must go from one digit to the other: threshold {thr['transition_span']})",
            every(Leaf(f"largest step / path length ({tr['from']} to {tr['to']})", tr["max_step_fraction"], "<=",
                       thr["smooth_max_step"], "smooth_max_step", False, course_of("max_step_fraction"), NULL_FINAL),
                  Leaf(f"path length / class-mean distance ({tr['from']} to {tr['to']})", tr["span"], ">=",
                       thr["transition_span"], "transition_span", False, course_of("span"), NULL_FINAL)))
    s, kept = m["sharpness_ratio"], m["digit_kept"]
    add("D.blurry", "recon", "Reconstructions keep the digit but are blurry",
        f"edge sharpness (mean |pixel difference| of neighbours) of the mean reconstructions / originals: {s:.2f} "
        f"(blurry if < {thr['blurry_ratio']}); digit kept: pixel-space {m['knn_k']}-NN accuracy on the "
        f"reconstructions {kept['reconstructions']:.3f}, on the originals {kept['originals']:.3f} (chance 0.1; "
        f"kept if >= {thr['digit_kept']})",
        every(Leaf("edge sharpness ratio", s, "<", thr["blurry_ratio"], "blurry_ratio", False,
                   d.null_final(lambda e: e["sharpness_ratio"]), NULL_FINAL),
              Leaf("k-NN accuracy on the reconstructions", kept["reconstructions"], ">=", thr["digit_kept"], "digit_kept",
                   False, d.null_final(lambda e: e["digit_kept"]["reconstructions"]), NULL_FINAL)))
    return out


def check_claims(table: pd.DataFrame, checkpoints: pd.DataFrame, metrics: dict, histories: dict, variants: dict,
                 main: str, thesis: dict, thr: dict) -> pd.DataFrame:
    """claims.csv of Study D: ``table``: loss table (one row per variant); ``checkpoints``: per-checkpoint table;
    ``metrics``/``histories``: eval.json/history.csv of each variant; ``main``: the main variant."""
    return frame(claims(Inputs(table, checkpoints, metrics, histories, variants, main), thesis, thr),
                 ("holds_on_this_model",))
