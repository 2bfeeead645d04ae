"""Shared plotting helpers: image tiling and figure saving (headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def tile(images: torch.Tensor | np.ndarray, nrow: int, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile (N, H, W) images row-major into one (rows*H, nrow*W) array with ``pad`` pixels between them."""
    imgs = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    n, h, w = imgs.shape
    ncol = nrow
    rows = int(np.ceil(n / ncol))
    out = np.full((rows * (h + pad) - pad, ncol * (w + pad) - pad), pad_value, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncol)
        out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = imgs[i]
    return out


def show_tiles(ax, images, nrow: int, title: str | None = None, vmin: float = 0.0, vmax: float = 1.0):
    """Draw tiled grayscale images on ``ax`` (white separators, no ticks)."""
    ax.imshow(tile(images, nrow), cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def save(fig, path: Path | str, dpi: int = 110) -> Path:
    """Save and close a figure, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
