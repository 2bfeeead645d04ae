"""Study D figures (thesis Figs 5.1, 5.8–5.14, B.1/B.2, C.1 and a transitions figure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..models.conv2d_vae import to_float
from ..plotting import plt, save, show_tiles, tile

TERMS = {"total": "total loss", "rec": "reconstruction (summed BCE)", "kl": "KL"}


def mnist_samples(images: torch.Tensor, labels: torch.Tensor, n: int, path: Path) -> None:
    """Fig 5.1: the first ``n`` images of the (test) split."""
    nrow = int(np.ceil(np.sqrt(n)))
    fig, ax = plt.subplots(figsize=(0.55 * nrow, 0.55 * nrow + 0.4))
    show_tiles(ax, images[:n].float() / 255.0, nrow, f"MNIST test digits (labels: {''.join(map(str, labels[:nrow].tolist()))}...)")
    save(fig, path)


def _curve(ax, h: pd.DataFrame, key: str, label: str, max_epoch: int | None = None, **kw):
    if max_epoch is not None:
        h = h[h["epoch"] <= max_epoch]
    ax.plot(h["epoch"], h[key], marker="o" if len(h) <= 20 else None, ms=3, label=label, **kw)


def loss_curve(logged: pd.DataFrame, key: str, thesis_value: float, thesis_epochs: int, title: str, path: Path) -> None:
    """Figs 5.8 / 5.9: one logged training term per epoch, the thesis's final value dashed."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    _curve(ax, logged, key, "replication (training-set mean per epoch)")
    ax.axhline(thesis_value, color="k", ls="--", lw=1, label=f"thesis after {thesis_epochs} epochs: {thesis_value}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(TERMS[key])
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    save(fig, path)


def loss_panels(logged: dict[str, pd.DataFrame], labels: dict[str, str], max_epoch: int | None, title: str, path: Path) -> None:
    """Figs B.1 / B.2: total, reconstruction and KL per epoch of every variant (up to ``max_epoch``)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for ax, key in zip(axes, TERMS):
        for v, h in logged.items():
            _curve(ax, h, key, labels[v], max_epoch)
        ax.set_xlabel("epoch")
        ax.set_title(TERMS[key] + (" (as logged: per dim for the printed code)" if key == "kl" else ""), fontsize=9)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=7, bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(title, fontsize=10)
    save(fig, path)


def limits(zs: list[np.ndarray], margin: float = 0.05) -> tuple:
    """Common axis limits of several 2-D point sets (0.5th to 99.5th percentile, plus a margin)."""
    allz = np.concatenate(zs)
    lo, hi = np.percentile(allz, 0.5, axis=0), np.percentile(allz, 99.5, axis=0)
    pad = (hi - lo) * margin
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


def _scatter(ax, z, y, lims=None, s=2):
    sc = ax.scatter(z[:, 0], z[:, 1], c=y, cmap="tab10", vmin=-0.5, vmax=9.5, s=s, alpha=0.7, linewidths=0)
    if lims:
        ax.set_xlim(*lims[0])
        ax.set_ylim(*lims[1])
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    return sc


def latent_scatter(z: np.ndarray, y: np.ndarray, title: str, path: Path) -> None:
    """Fig 5.10: test latent means coloured by digit."""
    fig, ax = plt.subplots(figsize=(6, 5))
    sc = _scatter(ax, z, y)
    fig.colorbar(sc, ax=ax, ticks=range(10), label="digit")
    for c in np.unique(y):
        cz = z[y == c].mean(0)
        ax.text(cz[0], cz[1], str(c), fontsize=12, weight="bold", ha="center", va="center",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", alpha=0.7))
    ax.set_title(title, fontsize=9)
    save(fig, path)


def latent_row(panels: dict[str, np.ndarray], y: np.ndarray, title: str, path: Path) -> None:
    """Several latent maps side by side (panel title -> 2-D points), identical axes and colours, panels
    lettered (a), (b), ..."""
    lims = limits(list(panels.values()))
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 4), squeeze=False)
    for i, (ax, (name, z)) in enumerate(zip(axes[0], panels.items())):
        sc = _scatter(ax, z, y, lims, s=1.5)
        if i:
            ax.set_ylabel("")
        ax.set_title(f"({chr(97 + i)}) {name}", fontsize=9)
    fig.colorbar(sc, ax=axes[0].tolist(), ticks=range(10), label="digit")
    fig.suptitle(title, fontsize=10, y=1.02)
    save(fig, path)


def latent_by_epoch(zs: dict[int, np.ndarray], y: np.ndarray, accs: dict[int, float], title: str, path: Path) -> None:
    """Fig 5.11: the latent map of every kept checkpoint, identical axes and colours."""
    latent_row({f"epoch {e}: k-NN acc {accs[e]:.2f}": z for e, z in zs.items()}, y, title, path)


def latent_samples(z: np.ndarray, samples: np.ndarray, title: str, path: Path) -> None:
    """Fig 5.12: the latent map in black, the sampled points in red."""
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(z[:, 0], z[:, 1], c="k", s=2, alpha=0.5, linewidths=0, label="test latent means")
    ax.scatter(samples[:, 0], samples[:, 1], c="red", s=14, label="samples from N(0, I)")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    save(fig, path)


@torch.no_grad()
def decoded_grid(model, samples: np.ndarray, title: str, path: Path) -> None:
    """Fig 5.13: the decoded sampled points, in sampling order."""
    imgs = model.decode(torch.as_tensor(samples, dtype=torch.float32))[:, 0]
    nrow = int(np.ceil(np.sqrt(len(samples))))
    fig, ax = plt.subplots(figsize=(0.6 * nrow, 0.6 * nrow + 0.4))
    show_tiles(ax, imgs, nrow, title)
    save(fig, path)


@torch.no_grad()
def manifold(model, x_range: tuple, y_range: tuple, n: int, title: str, path: Path) -> None:
    """Fig C.1: decoded n x n grid over a rectangle of the latent plane (z2 increasing upwards)."""
    xs = np.linspace(*x_range, n)
    ys = np.linspace(*y_range, n)[::-1]
    z = torch.tensor([[x, yv] for yv in ys for x in xs], dtype=torch.float32)
    img = tile(model.decode(z)[:, 0], n, pad=0)
    fig, ax = plt.subplots(figsize=(7, 7))
    hx, hy = (x_range[1] - x_range[0]) / (2 * (n - 1)), (y_range[1] - y_range[0]) / (2 * (n - 1))
    # each tile is centred on the latent point it decodes
    ax.imshow(img, cmap="gray", vmin=0, vmax=1,
              extent=(x_range[0] - hx, x_range[1] + hx, y_range[0] - hy, y_range[1] + hy))
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title(title, fontsize=9)
    save(fig, path)


@torch.no_grad()
def reconstructions(model, images: torch.Tensor, title: str, path: Path) -> None:
    """Fig 5.14: test digits (top) and their reconstructions decoded from the posterior mean (bottom),
    each reconstruction titled with its latent coordinates."""
    x = to_float(images)
    mu, _ = model.encode(x)
    rec = model.decode(mu)
    n = images.shape[0]
    fig, axes = plt.subplots(2, n, figsize=(1.25 * n, 3.0))
    for i in range(n):
        for row, im in ((0, x[i, 0]), (1, rec[i, 0])):
            ax = axes[row, i]
            ax.imshow(im.numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[1, i].set_title(f"({mu[i, 0]:.2f}, {mu[i, 1]:.2f})", fontsize=7)
    axes[0, 0].set_ylabel("test", fontsize=8)
    axes[1, 0].set_ylabel("recon.", fontsize=8)
    fig.suptitle(title, fontsize=10)
    save(fig, path)


@torch.no_grad()
def transitions(model, paths: list[dict], n_steps: int, title: str, path: Path) -> None:
    """Decoded points on straight lines between class centroids (one row per pair)."""
    rows = []
    t = torch.linspace(0, 1, n_steps + 1).unsqueeze(1)
    for p in paths:
        z = torch.tensor(p["start"]) * (1 - t) + torch.tensor(p["end"]) * t
        rows.append(model.decode(z.float())[:, 0])
    fig, ax = plt.subplots(figsize=(0.6 * (n_steps + 1) + 1, 0.7 * len(paths) + 0.6))
    show_tiles(ax, torch.cat(rows), n_steps + 1, title)
    ax.set_yticks([(28 + 1) * i + 14 for i in range(len(paths))])
    ax.set_yticklabels([f"{p['from']} -> {p['to']}\n(max step {p['max_step_fraction']:.2f})" for p in paths], fontsize=7)
    save(fig, path)
