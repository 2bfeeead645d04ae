"""Figures of Study A (reconstructions, latent slices, radial lines, normalised codes, posterior
moments versus contrast), named after the thesis figure they reproduce."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..plotting import save, show_tiles
from .data import images


def pick_digits(split: dict, n: int, seed: int) -> torch.Tensor:
    """``n`` base-image indices present in the split, chosen with a fixed seed."""
    bases = split["base_index"].unique()
    gen = torch.Generator().manual_seed(seed)
    return bases[torch.randperm(len(bases), generator=gen)[:n]]


def rows_of(split: dict, base_ids: torch.Tensor, contrast: float) -> torch.Tensor:
    """Row numbers of the given base images at one contrast level (in the order of ``base_ids``)."""
    at_c = ((split["contrast"] - contrast).abs() < 1e-6).nonzero().squeeze(1)
    row_of_base = {int(b): int(i) for b, i in zip(split["base_index"][at_c], at_c)}
    return torch.tensor([row_of_base[int(b)] for b in base_ids])


@torch.no_grad()
def reconstructions(model, split: dict, contrasts: list[float], n: int, seed: int, title: str, path):
    """Originals and posterior-mean reconstructions of the same digits at every contrast (4.2/4.7/4.10/4.14)."""
    x_all = images(split)
    base_ids = pick_digits(split, n, seed)
    fig, axes = plt.subplots(len(contrasts), 1, figsize=(max(6, n * 0.55), len(contrasts) * 1.7))
    for ax, c in zip(np.atleast_1d(axes), contrasts):
        x = x_all[rows_of(split, base_ids, c)]
        mu, logvar = model.encode(x)
        z, c_lat = (mu, None) if model.mix == "none" else (mu[:, :2], posterior_c_mean(model, mu, logvar))
        recon = model.decode(z, c_lat)
        show_tiles(ax, torch.cat([x, recon]).reshape(-1, 28, 28), n, f"contrast {c}: originals (top), reconstructions (bottom)")
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def posterior_c_mean(model, mu, logvar) -> torch.Tensor:
    """The posterior mean of c under its own distribution, used to decode reconstructions."""
    return model.moments(mu, logvar)[0][:, 2]


def latent_grid(n: int, extent: float) -> torch.Tensor:
    """(n*n, 2) grid over [-extent, extent]^2, rows from top (z2 = +extent) to bottom, columns z1 ascending."""
    axis = torch.linspace(-extent, extent, n)
    z2, z1 = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], 1)


@torch.no_grad()
def slices(model, values: list[float], n: int, extent: float, title: str, path, what: str):
    """Decoded (z1, z2) grids over [-extent, extent]^2, one panel per value of the third latent
    (z3 for the standard VAE, c for the SMVAEs) (Figs 4.3, 4.8, 4.11, 4.15)."""
    grid = latent_grid(n, extent)
    fig, axes = plt.subplots(1, len(values), figsize=(3.2 * len(values), 3.4))
    for ax, v in zip(np.atleast_1d(axes), values):
        third = torch.full((grid.shape[0],), float(v))
        if model.mix == "none":
            imgs = model.decode(torch.cat([grid, third.unsqueeze(1)], 1))
        else:
            imgs = model.decode(grid, third)
        show_tiles(ax, imgs.reshape(-1, 28, 28), n, f"{what} = {v}")
    fig.suptitle(f"{title}: decoded (z1, z2) in [-{extent}, {extent}]^2 (z1 right, z2 up)", fontsize=10)
    return save(fig, path)


@torch.no_grad()
def radial_lines(model, n_lines: int, n_points: int, radius: float, seed: int, path):
    """Standard VAE decoded along lines through the origin from -r*u to r*u (Fig 4.4)."""
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(n_lines, 3, generator=gen)
    u = u / u.norm(dim=1, keepdim=True)
    t = torch.linspace(-radius, radius, n_points)
    z = (u[:, None, :] * t[None, :, None]).reshape(-1, 3)
    imgs = model.decode(z).reshape(-1, 28, 28)
    fig, ax = plt.subplots(figsize=(n_points * 0.5, n_lines * 0.55))
    show_tiles(ax, imgs, n_points, f"Standard VAE: {n_lines} random lines through the origin, "
                                   f"t from -{radius} to {radius} (one line per row)")
    return save(fig, path)


@torch.no_grad()
def normalised_codes(model, split: dict, contrasts: list[float], n: int, seed: int, path):
    """Standard VAE: decode z/||z|| * r (r = mean ||z|| at the highest contrast) of the same digits at
    every contrast: equal directions give equal decoded images (Fig 4.5)."""
    x_all = images(split)
    base_ids = pick_digits(split, n, seed)
    mu_top, _ = model.encode(x_all[split["contrast"] == max(contrasts)])
    r = float(mu_top.norm(dim=1).mean())
    fig, axes = plt.subplots(len(contrasts), 1, figsize=(max(6, n * 0.6), len(contrasts) * 1.7))
    for ax, c in zip(np.atleast_1d(axes), contrasts):
        x = x_all[rows_of(split, base_ids, c)]
        mu, _ = model.encode(x)
        dec = model.decode(mu / mu.norm(dim=1, keepdim=True) * r)
        show_tiles(ax, torch.cat([x, dec]).reshape(-1, 28, 28), n,
                   f"contrast {c}: input (top), decoded z/||z|| x {r:.2f} (bottom)")
    fig.suptitle("Standard VAE: direction-normalised codes", fontsize=10)
    return save(fig, path)


def posterior_vs_contrast(frame: pd.DataFrame, title: str, path):
    """(a) average posterior mean and (b) average posterior std of every latent dimension versus
    contrast; error bars: std over seeds (Figs 4.9, 4.12, 4.16)."""
    stats = frame.groupby(["dim", "contrast"]).agg(mean_m=("mean", "mean"), mean_s=("mean", "std"),
                                                   std_m=("std", "mean"), std_s=("std", "std")).reset_index()
    n_seeds = frame["seed"].nunique()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for dim, g in stats.groupby("dim"):
        axes[0].errorbar(g["contrast"], g["mean_m"], yerr=g["mean_s"].fillna(0), marker="o", capsize=3, label=dim)
        axes[1].errorbar(g["contrast"], g["std_m"], yerr=g["std_s"].fillna(0), marker="o", capsize=3, label=dim)
    axes[0].set(xlabel="contrast", ylabel="average posterior mean", title="(a) posterior mean")
    axes[1].set(xlabel="contrast", ylabel="average posterior std", title="(b) posterior std")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{title} ({n_seeds} seed{'s' if n_seeds > 1 else ''}; bars: std over seeds)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
