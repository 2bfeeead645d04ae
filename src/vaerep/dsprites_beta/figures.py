"""Study B figures: dataset samples (2.1), loss curves (2.4/2.6/2.7), reconstructions (2.5/2.8/2.9),
MIG vs beta (2.10) and PCA scatters of the latent means coloured by each factor (2.11-2.15)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from .. import plotting
from ..models.beta_vae import to_float
from .evaluate import MIG_FACTORS


def sample_grid(imgs: torch.Tensor, source: str, path, n: int = 64):
    nrow = int(np.ceil(np.sqrt(n)))
    fig, ax = plt.subplots(figsize=(7, 7))
    plotting.show_tiles(ax, imgs[:n].float(), nrow, f"dSprites samples ({source} source; random rows)")
    plotting.save(fig, path)


def loss_curves(history: pd.DataFrame, beta: float, path):
    """Train and validation total / reconstruction / KL per epoch (per image)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (key, title) in zip(axes, [("loss", f"total (rec + {beta:g}·KL)"), ("rec", "reconstruction (BCE)"),
                                       ("kl", "KL")]):
        ax.plot(history["epoch"], history[f"train_{key}"], "o-", label="train")
        if f"val_{key}" in history:
            ax.plot(history["epoch"], history[f"val_{key}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per image")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle(f"β = {beta:g}: loss terms per epoch", fontsize=11)
    plotting.save(fig, path)


@torch.no_grad()
def reconstructions(model, imgs: torch.Tensor, beta: float, path):
    """Row 1: held-out inputs; row 2: mean reconstructions sigmoid(decoder(mu))."""
    model.eval()
    rec = model.reconstruct(to_float(imgs))[:, 0]
    n = imgs.shape[0]
    fig, ax = plt.subplots(figsize=(1.2 * n, 2.7))
    plotting.show_tiles(ax, torch.cat([imgs.float(), rec]), n, f"β = {beta:g}: validation images (top) and reconstructions (bottom)")
    plotting.save(fig, path)


def mig_vs_beta(table: pd.DataFrame, path, at_chance_k: float):
    """Overall MIG vs beta next to the thesis's, with the chance band (random Gaussian codes, same N and bins:
    mean +- ``at_chance_k`` spreads, the scorecard's "at chance" region); per-factor MIG, hollow where a
    factor's value is at chance."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    betas = table["beta"].to_numpy()
    lo = (table["chance_mig"] - at_chance_k * table["chance_mig_std"]).clip(lower=0)
    hi = table["chance_mig"] + at_chance_k * table["chance_mig_std"]
    axes[0].fill_between(betas, lo, hi, color="0.85", label=f"chance: random codes, mean ± {at_chance_k:g} spreads")
    axes[0].plot(betas, table["chance_mig"], ":", color="0.5")
    axes[0].plot(betas, table["mig"], "o-", label="replication")
    if table["thesis_mig"].notna().any():
        axes[0].plot(betas, table["thesis_mig"], "x--", label="thesis (Table 2.4)")
    axes[0].set_xlabel("β")
    axes[0].set_ylabel("overall MIG")
    axes[0].set_title("overall MIG vs β", fontsize=10)
    axes[0].legend(fontsize=8)
    for f in MIG_FACTORS:
        line, = axes[1].plot(betas, table[f], "-", label=f)
        at_chance = table[f"{f}_at_chance"].astype(bool).to_numpy()
        axes[1].plot(betas[~at_chance], table[f].to_numpy()[~at_chance], "o", color=line.get_color())
        axes[1].plot(betas[at_chance], table[f].to_numpy()[at_chance], "o", mfc="none", color=line.get_color())
    axes[1].set_xlabel("β")
    axes[1].set_ylabel("MIG")
    axes[1].set_title(f"per-factor MIG (replication; hollow: within {at_chance_k:g} spreads of chance)", fontsize=10)
    axes[1].legend(fontsize=8)
    plotting.save(fig, path)


def pca_scatter(proj: torch.Tensor, values: torch.Tensor, factor: str, beta: float, explained, ax):
    c = values.numpy()
    cmap = "twilight" if factor == "orientation" else ("brg" if factor == "shape" else "viridis")
    sc = ax.scatter(proj[:, 0].numpy(), proj[:, 1].numpy(), c=c, s=4, cmap=cmap, alpha=0.7)
    ax.set_xlabel(f"PC1 ({100 * explained[0]:.0f}% var.)")
    ax.set_ylabel(f"PC2 ({100 * explained[1]:.0f}% var.)")
    ax.set_title(f"β = {beta:g}: PCA of μ coloured by {factor}", fontsize=9)
    cb = plt.colorbar(sc, ax=ax)
    if factor == "shape":
        cb.set_ticks([1, 2, 3])
        cb.set_ticklabels(["square", "ellipse", "heart"])


def pca_single(proj, values, factor, beta, explained, path):
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    pca_scatter(proj, values, factor, beta, explained, ax)
    plotting.save(fig, path)


def pca_panel(proj, values_by_factor: dict, beta, explained, path):
    fig, axes = plt.subplots(1, len(values_by_factor), figsize=(5.8 * len(values_by_factor), 4.2))
    for ax, (factor, values) in zip(axes, values_by_factor.items()):
        pca_scatter(proj, values, factor, beta, explained, ax)
    plotting.save(fig, path)
