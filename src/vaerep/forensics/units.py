"""Table 2.3's unknown unit: the loss conventions a Keras script could have logged, and the
arithmetic each implies for the thesis's numbers (no training). Per image, s is the BCE summed over the
pixels and k the KL summed over the latent dimensions; a convention logs rec = f_rec * s, kl = f_kl * k
and loss = rec + w * kl (w = beta, or 1 where the logged total leaves beta out)."""

from __future__ import annotations

import math

import numpy as np
from dataclasses import dataclass

N_PIXELS = 64 * 64
KERAS_EPS = 1e-7
COIN_FLIP = N_PIXELS * math.log(2.0)                  # 2,839 nats: a sigmoid decoder at p = 0.5 (its start)
KERAS_PIXEL_CAP = -math.log(2 * KERAS_EPS)             # 15.42 nats: Keras BCE of a clipped wrong pixel


@dataclass(frozen=True)
class Convention:
    name: str
    description: str
    f_rec: float            # logged rec = f_rec * s
    f_kl: float             # logged kl = f_kl * k
    beta_in_total: bool     # logged loss = rec + beta * kl (else rec + kl)
    s_cap: float            # the largest per-image s a trained decoder of this kind can plausibly have
    trainable: str | None   # BetaVAE.loss_convention that trains with it (None: not a training convention)


def conventions(batch_size: int = 256, latent_dim: int = 16) -> list[Convention]:
    """Every candidate convention for the thesis's batch size and latent dimension."""
    side = int(math.isqrt(N_PIXELS))
    return [
        Convention("image_sum", "BCE summed over pixels and KL over latents, per image, batch mean",
                   1, 1, True, COIN_FLIP, "image_sum"),
        Convention("batch_sum", f"per-image sums summed over the batch ({batch_size})",
                   batch_size, batch_size, True, COIN_FLIP, "batch_sum"),
        Convention("row_mean_x4096", "Keras binary_crossentropy (mean over the last image axis) x 4096, "
                   "summed over the other axis; KL per image", N_PIXELS / side, 1, True, COIN_FLIP, "row_mean_x4096"),
        Convention("pixel_x4096_sum", "per-pixel BCE x 4096 (original_dim), summed over the pixels; KL per image",
                   N_PIXELS, 1, True, COIN_FLIP, "pixel_x4096_sum"),
        Convention("keras_blog_kl_mean", "old Keras VAE example: mean BCE x 4096, KL averaged over the latents",
                   1, 1 / latent_dim, True, COIN_FLIP, None),
        Convention("keras_clipped_linear", "decoder outputs not squashed (linear), Keras clips them into "
                   "[1e-7, 1 - 1e-7]: a wrong pixel costs 15.4 nats; per-image sums",
                   1, 1, True, N_PIXELS * KERAS_PIXEL_CAP, "keras_clipped_linear"),
        Convention("total_without_beta", "logged loss = rec + KL (beta applied only to the gradient)",
                   1, 1, False, COIN_FLIP, None),
    ]


def check(conv: Convention, beta: float, loss: float, rec: float, kl: float, rounding: float = 0.005) -> dict:
    """The arithmetic tests of one convention on one thesis row: does the logged total add up (within
    the table's rounding: 0.005 per printed number, the KL's times beta), and is the implied per-image s within
    [0, s_cap] and k >= 0?"""
    w = beta if conv.beta_in_total else 1.0
    residual = loss - (rec + w * kl)
    adds_up = abs(residual) <= rounding * (2.0 + w)
    s, k = rec / conv.f_rec, kl / conv.f_kl
    magnitude_ok = 0.0 <= s <= conv.s_cap and k >= 0.0
    return {"convention": conv.name, "beta": beta, "residual": residual, "adds_up": adds_up,
            "s_per_image": s, "k_per_image": k, "s_cap": conv.s_cap, "magnitude_ok": magnitude_ok,
            "survives": adds_up and magnitude_ok}


def arithmetic_table(thesis: dict, batch_size: int = 256, latent_dim: int = 16) -> list[dict]:
    """``check`` for every convention and every thesis row ({beta: {loss, rec, kl, ...}})."""
    rows = []
    for conv in conventions(batch_size, latent_dim):
        for beta, t in sorted(thesis.items(), key=lambda kv: float(kv[0])):
            rows.append({**check(conv, float(beta), t["loss"], t["rec"], t["kl"]), "description": conv.description,
                         "trainable": conv.trainable})
    return rows


def survivors(rows: list[dict]) -> list[str]:
    """Conventions whose every thesis row passes the arithmetic tests."""
    names = dict.fromkeys(r["convention"] for r in rows)
    return [n for n in names if all(r["survives"] for r in rows if r["convention"] == n)]


def pattern_checks(final: dict[float, dict], patterns: dict, run_batch: int, thesis_batch: int,
                   batch_summed: bool) -> dict:
    """Table 2.3's patterns on one convention's runs. ``final``: {beta: last history row (train_/val_
    loss, rec, kl)} for two betas (the lower one plays beta = 5). A batch-summed loss is rescaled to the
    thesis's batch size before the magnitude check."""
    lo_b, hi_b = sorted(final)[:2]
    lo, hi = final[lo_b], final[hi_b]
    scale = thesis_batch / run_batch if batch_summed else 1.0
    kl_ratio = lo["train_kl"] / hi["train_kl"] if hi["train_kl"] else float("inf")
    val_ratio = float(np.mean([r["val_loss"] / r["train_loss"] for r in (lo, hi)]))
    magnitude = float(np.mean([r["train_loss"] for r in (lo, hi)])) * scale
    checks = {"rec_hi_below_lo": hi["train_rec"] < lo["train_rec"],
              "kl_ratio": patterns["kl_ratio"][0] <= kl_ratio <= patterns["kl_ratio"][1],
              "val_ratio": patterns["val_ratio"][0] <= val_ratio <= patterns["val_ratio"][1],
              "magnitude": patterns["magnitude"][0] <= magnitude <= patterns["magnitude"][1]}
    return {"checks": checks, "kl_ratio": kl_ratio, "val_ratio": val_ratio, "magnitude": magnitude,
            "rec": {lo_b: lo["train_rec"], hi_b: hi["train_rec"]}}
