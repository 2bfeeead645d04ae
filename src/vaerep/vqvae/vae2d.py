"""Study C1 numbers: test-set terms of each 2-D VAE (reconstruction error, KL and KL per latent dim,
-ELBO), its latent means and their class separation; the comparison table; the thesis's claims
(§5.1.1 and §5.1.2), each a :class:`vaerep.claim.Claim` whose check is a tree of conditions with their course
over training (per epoch from history.csv, or the null control and the final model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..claim import NULL_FINAL, Claim, Group, Leaf, course, every, frame
from ..device import model_device
from ..latent2d.evaluate import knn_accuracy
from .evaluate import mnist_to_float

SOURCE = {"arch": "§5.1.1 (Figs 5.1–5.2)", "normal": "§5.1.1 (Fig 5.1)", "overfit": "§5.1.1",
          "collapse": "§5.1.2 (Fig 5.3)", "reweight": "§5.1.2", "losses": "§5.1.2 (Fig 5.4)"}
RECON_NAMES = {"bce": "BCE summed over pixels", "mse_sum": "MSE summed over pixels (x784)",
               "mse_mean": "MSE per-pixel mean (un-weighted)"}


def terms_and_means(model, images: torch.Tensor, seed: int, batch_size: int = 2048) -> tuple[dict, np.ndarray]:
    """Per-image means of every loss term over uint8 ``images`` (model in eval mode, one posterior sample
    per image, the sampling seed fixed as in ``vaerep.train.evaluate``) and the posterior means mu
    (N, z_dim), from one encoder pass over the images."""
    was_training = model.training
    model.eval()
    torch.manual_seed(seed)
    device = model_device(model)  # a GPU when the rule found one
    sums, means = {}, []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            x = mnist_to_float(images[start:start + batch_size].to(device))
            mu, logvar = model.encode(x)
            for key, value in model.terms_given(x, mu, logvar).items():
                sums[key] = sums.get(key, 0.0) + value.float() * x.shape[0]
            means.append(mu.cpu())
    model.train(was_training)
    return {key: float(value) / images.shape[0] for key, value in sums.items()}, torch.cat(means).numpy()


def evaluate_vae2d(model, test_x: torch.Tensor, test_y: torch.Tensor, train_x: torch.Tensor, train_y: torch.Tensor,
                   seed: int, knn_k: int) -> tuple[dict, dict]:
    """(metrics, arrays) of one trained model on uint8 test images: every loss term averaged per image
    (one posterior sample per image, fixed seed), the Bernoulli -ELBO (summed BCE + KL, comparable
    across models), the same -ELBO on the given training images (for the generalisation gap), the test
    latent means, their spread, and the k-NN accuracy of the test means (the train-image means vote)."""
    terms, z_test = terms_and_means(model, test_x, seed)
    train_terms, z_train = terms_and_means(model, train_x, seed)
    mean_image = mnist_to_float(train_x).mean(0, keepdim=True)
    mse_mean_image = float((mnist_to_float(test_x) - mean_image).pow(2).mean())
    y_test = test_y.numpy()
    dims = sorted(k for k in terms if k.startswith("kl_z"))
    metrics = {
        "n_test": int(len(test_x)), "n_knn_train": int(len(train_x)), "knn_k": knn_k,
        **{f"test_{k}": v for k, v in terms.items() if k != "loss"},
        "test_neg_elbo_bernoulli": terms["bce"] + terms["kl"], "train_neg_elbo": train_terms["neg_elbo"],
        "test_mse_mean_image": mse_mean_image,
        "kl_per_dim": [terms[k] for k in dims],
        "latent_mean": z_test.mean(0).tolist(), "latent_std": z_test.std(0).tolist(),
        "knn_accuracy": knn_accuracy(z_train, train_y.numpy(), z_test, y_test, knn_k),
    }
    return metrics, {"z": z_test, "labels": y_test}


def loss_table(models: dict, metrics: dict[str, dict], histories: dict[str, pd.DataFrame],
               metas: dict[str, dict]) -> pd.DataFrame:
    """One row per model: architecture, loss, training size and speed, test reconstruction error (in
    the model's own units, as per-pixel MSE and as summed BCE), KL, KL per dim, -ELBO (objective and
    Bernoulli), k-NN accuracy of the latent, and the test minus training-image -ELBO of the final model."""
    rows = []
    for name, spec in models.items():
        m, h, meta = metrics[name], histories[name].iloc[-1], metas[name]
        row = {"model": name, "label": spec["label"], "head": spec["head"], "recon": spec["recon"],
               "epochs": int(h["epoch"]), "n_train": meta["n_train"], "samples_per_s": meta["samples_per_s"],
               "train_seconds": meta["train_seconds"],
               "test_rec": m["test_rec"], "test_mse_per_pixel": m["test_mse"],
               "test_mse_mean_image": m["test_mse_mean_image"], "test_bce_sum": m["test_bce"],
               "test_kl": m["test_kl"]}
        row.update({f"test_kl_z{i + 1}": v for i, v in enumerate(m["kl_per_dim"])})
        row.update({"test_neg_elbo": m["test_neg_elbo"], "test_neg_elbo_bernoulli": m["test_neg_elbo_bernoulli"],
                    "train_neg_elbo": m["train_neg_elbo"], "generalisation_gap": m["test_neg_elbo"] - m["train_neg_elbo"],
                    "knn_accuracy": m["knn_accuracy"], "latent_mean_z1": m["latent_mean"][0],
                    "latent_mean_z2": m["latent_mean"][1], "latent_std_z1": m["latent_std"][0],
                    "latent_std_z2": m["latent_std"][1]})
        rows.append(row)
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """The loss table as Markdown."""
    head = ("| Model | Reconstruction loss | Test rec. (own units) | Test MSE / pixel | Test BCE (sum) | Test KL | "
            "KL z1 / z2 | Test −ELBO (objective) | Test −ELBO (Bernoulli) | k-NN acc. |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n")
    lines = [f"| {r.label} | {RECON_NAMES[r.recon]} | {r.test_rec:.4g} | {r.test_mse_per_pixel:.4f} | "
             f"{r.test_bce_sum:.2f} | {r.test_kl:.3f} | {r.test_kl_z1:.3f} / {r.test_kl_z2:.3f} | "
             f"{r.test_neg_elbo:.4g} | {r.test_neg_elbo_bernoulli:.2f} | {r.knn_accuracy:.3f} |"
             for r in table.itertuples()]
    note = ("\n\nAll numbers on held-out MNIST test images (one posterior sample per image, fixed seed), per image. "
            "Test rec. and −ELBO (objective) are in each model's own loss units; MSE / pixel and BCE (summed over "
            "the 784 pixels) are computed for every model from the same decoder output, and the Bernoulli −ELBO = "
            "BCE + KL compares all models on one likelihood. KL in nats, summed over the 2 latent dims. k-NN "
            "accuracy: digit predicted from the nearest training-image latent means.")
    return head + "\n".join(lines) + note


class C1Inputs:
    """C1's table (one row per model) and per-epoch histories; ``null_table``/``null_histories``: the null
    control's table and epoch-0 histories, which put epoch 0 in front of every course (None: the courses lack it)."""

    def __init__(self, table: pd.DataFrame, histories: dict[str, pd.DataFrame], null_table: pd.DataFrame | None = None,
                 null_histories: dict[str, pd.DataFrame] | None = None):
        self.t = table.set_index("model")
        self.n = None if null_table is None else null_table.set_index("model")
        self.last = {m: h.iloc[-1] for m, h in histories.items()}  # the final epoch of each run
        self.raw = histories
        self.h = {m: (pd.concat([null_histories[m], h], ignore_index=True) if null_histories else h).set_index("epoch")
                  for m, h in histories.items()}
        self.null = NULL_FINAL if null_table is not None else "final model (no null control given)"

    def two(self, model: str, fn) -> dict:
        """fn(table indexed by model) of the null control (epoch 0, when given) and of the final model."""
        return course(None if self.n is None else fn(self.n), fn(self.t), int(self.t.loc[model, "epochs"]))

    def column(self, model: str, col: str, name: str, cmp: str, thr: float, source: str, definitional=False) -> Leaf:
        """A condition on a table column, its course from the null control to the final model."""
        return Leaf(f"{name} ({model})", float(self.t.loc[model, col]), cmp, thr, source, definitional,
                    self.two(model, lambda t: t.loc[model, col]), self.null)

    def logged(self, model: str, series, value: float, name: str, cmp: str, thr: float, source: str,
               definitional=False, what: str = "") -> Leaf:
        """A condition whose quantity history.csv logs per epoch: ``series`` (indexed by epoch) or a function of
        the histories giving it; a history without the column gives no course."""
        if callable(series):
            try:
                series = series(self.h)
            except KeyError:
                series = pd.Series(dtype=float)
        zero = ", epoch 0 = null control" if self.n is not None else ""
        return Leaf(f"{name} ({model})", float(value), cmp, thr, source, definitional,
                    {int(e): float(v) for e, v in series.items()}, f"history.csv {what}{zero}")


def claims(c: C1Inputs, roles: dict, thr: dict, thesis_epochs: int) -> list[Claim]:
    """The thesis's C1 statements (§5.1.1, §5.1.2) against the table. ``roles`` names the models: fc_bce,
    conv_bce, fc_mse (re-weighted), collapse; ``thr`` holds the thresholds from config. Each claim says why its
    threshold is what it is (tolerance_source); every check fails on the models at initialisation."""
    t = c.t
    out = []

    def add(cid, source, claim, evidence, check, tolerance_source):
        out.append(Claim(cid, claim, SOURCE[source], evidence, check, tolerance_source=tolerance_source))

    fc, conv, mse, col = roles["fc_bce"], roles["conv_bce"], roles["fc_mse"], roles["collapse"]
    role_of = {fc: "fc_bce", conv: "conv_bce", mse: "fc_mse"}
    epochs = int(t.loc[fc, "epochs"])
    sep, act, dead = thr["separates_knn"], thr["active_kl_per_dim"], thr["collapse_kl_per_dim"]
    rv, ms, same = thr["reconstructs_vs_mean_image"], thr["much_smaller"], thr["same_recon_ratio"]
    knn_src = (f"separates = k-NN accuracy >= {sep}: chance is 0.1 and the untrained encoders' random 2-D features "
               "reach about 0.2, so 0.4 asks for twice what an untrained encoder gets")
    kl_src = (f"collapsed = KL below {dead} nats per dim (the untrained models' level); in use = at least {act} nats "
              "per dim (about 0.7 bit: the dim tells at least two groups of images apart); between the two neither")

    def kl_dim(model, i, cmp, value, source):
        return c.logged(model, lambda h: h[model][f"val_kl_z{i}"], t.loc[model, f"test_kl_z{i}"], f"test KL of z{i}",
                        cmp, value, source, what=f"val_kl_z{i}")

    def in_use(model):
        return every(*(kl_dim(model, i, ">=", act, "active_kl_per_dim") for i in (1, 2)))

    def recon_ratio(model):
        return t.loc[model, "test_mse_per_pixel"] / t.loc[model, "test_mse_mean_image"]

    def recon(model):
        mean_image = float(t.loc[model, "test_mse_mean_image"])
        return c.logged(model, lambda h: h[model]["val_mse"] / mean_image, recon_ratio(model),
                        "test MSE / mean-image MSE", "<=", rv, "reconstructs_vs_mean_image", what="val_mse")

    def ratio(a, b, col_, final, name, cmp, value, source):
        """A ratio of two models' quantity: ``final`` the claim's value, its course the ratio of the logged ``col_``."""
        return c.logged(f"{a}/{b}", lambda h: h[a][col_] / h[b][col_], final, name, cmp, value, source, what=col_)

    knn = {n: t.loc[n, "knn_accuracy"] for n in (fc, conv)}
    gap = Leaf(f"k-NN accuracy FC minus conv ({fc}-{conv})", float(knn[fc] - knn[conv]), ">", 0.0, "better = higher", True,
               c.two(fc, lambda x: x.loc[fc, "knn_accuracy"] - x.loc[conv, "knn_accuracy"]), c.null)
    add("C1.fc_separates_better", "arch",
        "With a 2-D latent the FC-head VAE separates the digit classes better than the conv-head VAE (Figs 5.1, 5.2)",
        f"k-NN accuracy of the test latent means (training-image means vote): FC (BCE) {knn[fc]:.3f}, conv (BCE) "
        f"{knn[conv]:.3f} (chance 0.1)", every(gap, c.column(fc, "knn_accuracy", "k-NN accuracy", ">=", sep, "separates_knn")),
        knn_src + "; better = higher, with the FC latent itself separating")
    add("C1.conv_separates", "arch", "The conv-head VAE also separates some classes",
        f"k-NN accuracy of the conv (BCE) latent {knn[conv]:.3f} (threshold {sep})",
        c.column(conv, "knn_accuracy", "k-NN accuracy", ">=", sep, "separates_knn"), knn_src)
    lo, hi = thr["normal_std"]
    for name in (fc, conv):
        mean, std = t.loc[name, ["latent_mean_z1", "latent_mean_z2"]], t.loc[name, ["latent_std_z1", "latent_std_z2"]]
        parts = []
        for i in (1, 2):
            m = c.column(name, f"latent_mean_z{i}", f"mean of the latent means z{i}", "<=", thr["normal_mean_abs"],
                         "normal_mean_abs")
            m.value, m.series = abs(m.value), {e: abs(v) for e, v in m.series.items()}
            m.name = "|" + m.name.replace(" (", "| (", 1)
            parts += [m, c.column(name, f"latent_std_z{i}", f"std of the latent means z{i}", ">=", lo, "normal_std"),
                      c.column(name, f"latent_std_z{i}", f"std of the latent means z{i}", "<=", hi, "normal_std")]
        add(f"C1.latent_normal.{role_of[name]}", "normal",
            f"The latent means of the {t.loc[name, 'label']} model look roughly normal (Fig 5.1)",
            f"mean of the test latent means ({mean.iloc[0]:.2f}, {mean.iloc[1]:.2f}), std ({std.iloc[0]:.2f}, "
            f"{std.iloc[1]:.2f})", every(*parts),
            f"roughly N(0, I) = |mean| <= {thr['normal_mean_abs']} and std in {thr['normal_std']} per axis: half a "
            "prior std off-centre, spread within a factor of about 3 of the prior's")
    d = float(t.loc[conv, "generalisation_gap"] - t.loc[fc, "generalisation_gap"])
    add("C1.conv_overfits", "overfit", "Conv models are too complex for MNIST and tend to overfit (the thesis's explanation)",
        f"test −ELBO minus −ELBO on training images, final model: FC (BCE) {t.loc[fc, 'generalisation_gap']:.2f}, "
        f"conv (BCE) {t.loc[conv, 'generalisation_gap']:.2f} nats; the conv head has fewer parameters (no dense layer)",
        every(Leaf(f"generalisation gap conv minus FC ({conv}-{fc}, nats)", d, ">", thr["overfit_margin_nats"],
                   "overfit_margin_nats", False,
                   c.two(conv, lambda x: x.loc[conv, "generalisation_gap"] - x.loc[fc, "generalisation_gap"]), c.null),
              c.column(conv, "generalisation_gap", "generalisation gap (nats)", ">", 0.0, "overfits = positive", True)),
        f"overfits more = its gap is positive and exceeds the FC head's by more than {thr['overfit_margin_nats']} nats: "
        "the untrained models' gaps already differ by 0.8-1.5 nats (test and training images differ, and the "
        "untrained conv decoder is more sensitive to it)")
    kc, km = t.loc[col, ["test_kl_z1", "test_kl_z2"]], t.loc[mse, ["test_kl_z1", "test_kl_z2"]]
    add("C1.mse_collapse", "collapse",
        "An un-weighted (per-pixel-mean) MSE makes the posterior collapse: every image encodes to the centre (Fig 5.3)",
        f"test KL per dim of the collapse model: {kc.iloc[0]:.4f}, {kc.iloc[1]:.4f} nats; of the same FC model with the "
        f"re-weighted MSE: {km.iloc[0]:.3f}, {km.iloc[1]:.3f}; k-NN accuracy of the collapsed latent "
        f"{t.loc[col, 'knn_accuracy']:.3f} (chance 0.1)",
        every(*(kl_dim(col, i, "<", dead, "collapse_kl_per_dim") for i in (1, 2)), in_use(mse)),
        kl_src + "; the collapse is the weighting's only if the re-weighted twin is in use (an untrained model is "
        "'collapsed' too)")
    add("C1.reweighted_avoids_collapse", "reweight", "Re-weighting the MSE (summed over the 784 pixels) avoids the collapse",
        f"test KL per dim of the re-weighted MSE model: {km.iloc[0]:.3f}, {km.iloc[1]:.3f} nats; k-NN accuracy "
        f"{t.loc[mse, 'knn_accuracy']:.3f}", in_use(mse), kl_src)
    h_mse, h_fc = c.last[mse], c.last[fc]
    both = every(recon(mse), recon(fc))
    rec_src = (f"reconstructs = test MSE per pixel <= {rv} x that of the training mean "
               "image, the best a model ignoring its input can do (ratio 1)")
    add("C1.mse_loss_much_smaller", "losses", "The re-weighted MSE loss is much smaller than the BCE loss (Fig 5.4)",
        f"final-epoch training loss: re-weighted MSE {h_mse['train_loss']:.2f}, BCE {h_fc['train_loss']:.2f}; both "
        f"models reconstruct: {both.passes()} (test MSE / mean-image MSE {recon_ratio(mse):.2f}, {recon_ratio(fc):.2f})",
        every(recon(mse), recon(fc), ratio(mse, fc, "train_loss", h_mse["train_loss"] / h_fc["train_loss"],
                                           "training loss ratio", "<=", ms, "much_smaller")),
        f"much smaller = ratio <= {ms}; judged only on models that reconstruct ({rec_src}): the two "
        "losses are in different units, so the ratio holds even for untrained models")
    for name in (fc, mse):
        h, role = c.raw[name], role_of[name]
        used = in_use(name)
        add(f"C1.kl_much_smaller.{role}", "losses",
            f"In the {t.loc[name, 'label']} run the KL term is much smaller than the reconstruction term (Fig 5.4)",
            f"final-epoch training KL {h['train_kl'].iloc[-1]:.2f} vs reconstruction {h['train_rec'].iloc[-1]:.2f}; "
            f"latent in use: {used.passes()}",
            every(used, c.logged(name, lambda hs, n=name: hs[n]["train_kl"] / hs[n]["train_rec"],
                                 h["train_kl"].iloc[-1] / h["train_rec"].iloc[-1], "training KL / reconstruction", "<=",
                                 ms, "much_smaller", what="train_kl / train_rec")),
            f"much smaller = ratio <= {ms}, judged only on a latent in use ({kl_src}): a KL of an "
            "unused latent is trivially small")
        kl = h["train_kl"].reset_index(drop=True)  # the claim reads the trained epochs only
        # grows <=> the last KL is above the minimum (so the minimum came before the last epoch); either it rose at
        # the last epoch (the trend of the per-epoch change says whether a rise is coming) or it rose earlier and is
        # still above the minimum
        add(f"C1.kl_grows.{role}", "losses",
            f"In the {t.loc[name, 'label']} run the KL term grows after some iterations (Fig 5.4)",
            "training KL per epoch: " + ", ".join(f"{v:.2f}" for v in h["train_kl"])
            + f" (logged per epoch, {epochs} epochs here, thesis {thesis_epochs})",
            Group("any", [
                Leaf(f"training KL minus its minimum at the end ({name})", float(kl.iloc[-1] - kl.min()), ">", 0.0,
                     "grows = ends above its minimum", True),
                c.logged(name, lambda hs, n=name: hs[n]["train_kl"].diff().dropna(),
                         float(kl.diff().iloc[-1]) if len(kl) > 1 else float("nan"),
                         "training KL change per epoch at the end", ">", 0.0, "grows = rises after its minimum", True,
                         what="train_kl differences")]),
            "grows = ends above its minimum, reached before the last epoch (no tolerance)")
    r = float(t.loc[mse, "test_mse_per_pixel"] / t.loc[fc, "test_mse_per_pixel"])
    add("C1.same_reconstructions", "losses", "Reconstructions of the BCE and the re-weighted MSE model are practically the same",
        f"test MSE per pixel: BCE {t.loc[fc, 'test_mse_per_pixel']:.4f}, re-weighted MSE "
        f"{t.loc[mse, 'test_mse_per_pixel']:.4f} (ratio {r:.2f}); mean training image "
        f"{t.loc[fc, 'test_mse_mean_image']:.4f}",
        every(recon(mse), recon(fc),
              ratio(mse, fc, "val_mse", r, "test MSE ratio re-weighted MSE / BCE", ">=", 1 / same, "same_recon_ratio"),
              ratio(mse, fc, "val_mse", r, "test MSE ratio re-weighted MSE / BCE", "<=", same, "same_recon_ratio")),
        f"same = MSE ratio within 1/{same} .. {same}, and both reconstruct "
        f"({rec_src}); two untrained models give the same (useless) output")
    return out


def check_claims(table: pd.DataFrame, histories: dict[str, pd.DataFrame], roles: dict, thr: dict,
                 thesis_epochs: int) -> pd.DataFrame:
    """claims.csv of C1 (id, source, claim, evidence, verdict, tolerance_source): :func:`claims` on the table
    and the per-epoch histories of the models."""
    return frame(claims(C1Inputs(table, histories), roles, thr, thesis_epochs), ("tolerance_source",))
