"""Study C1 figures beyond Study D's latent plots (reused for Figs 5.1, 5.2 and 5.3a): reconstructions
of several models (Fig 5.3b), KL per latent dimension (Fig 5.3c), loss curves BCE vs re-weighted MSE
(Fig 5.4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..plotting import plt, save


@torch.no_grad()
def reconstruction_rows(models: dict[str, torch.nn.Module], x: torch.Tensor, title: str, path: Path) -> None:
    """Row 1: test digits (float, (B, 1, 28, 28)); one row per model: decoded posterior means."""
    rows = [("test digits", x)] + [(label, m(x)) for label, m in models.items()]
    n = x.shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(0.9 * n + 1.6, 0.95 * len(rows) + 0.4), squeeze=False)
    for r, (label, imgs) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            ax.imshow(imgs[i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    save(fig, path)


def kl_per_dim_bars(table: pd.DataFrame, title: str, path: Path) -> None:
    """Test KL per latent dimension of every model (log scale): a collapsed dimension carries ~0 nats."""
    dims = sorted(c for c in table.columns if c.startswith("test_kl_z"))
    x = np.arange(len(table))
    width = 0.8 / len(dims)
    fig, ax = plt.subplots(figsize=(1.6 * len(table) + 2, 3.6))
    for j, d in enumerate(dims):
        vals = table[d].to_numpy()
        bars = ax.bar(x + (j - (len(dims) - 1) / 2) * width, np.maximum(vals, 1e-6), width, label=d.replace("test_kl_", ""))
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, max(v, 1e-6) * 1.15, f"{v:.2g}", ha="center", fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels(table["label"], fontsize=7, rotation=15, ha="right")
    ax.set_ylabel("test KL per dimension (nats)")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    save(fig, path)


def loss_curves(histories: dict[str, pd.DataFrame], title: str, path: Path) -> None:
    """One panel per model: total (-ELBO objective), reconstruction and KL per epoch; training-set
    means (solid) and held-out test means (dashed), log scale."""
    n = len(histories)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 3.6), squeeze=False)
    colours = {"loss": "k", "rec": "tab:blue", "kl": "tab:red"}
    names = {"loss": "total", "rec": "reconstruction", "kl": "KL"}
    for i, (ax, (label, h)) in enumerate(zip(axes[0], histories.items())):
        for key, c in colours.items():
            ax.plot(h["epoch"], h[f"train_{key}"], color=c, marker="o", ms=3, label=f"{names[key]} (train)")
            if f"val_{key}" in h:
                ax.plot(h["epoch"], h[f"val_{key}"], color=c, ls="--", label=f"{names[key]} (test)")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss per image")
        ax.set_title(f"({chr(97 + i)}) {label}", fontsize=9)
        ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=10, y=1.02)
    save(fig, path)
