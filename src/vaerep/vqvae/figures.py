"""Figures of Study C: original | code map | manipulated code | reconstruction panels (Figs 5.5-5.12,
5.15-5.19) and plain reconstructions (C2, 5.13/5.14)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..plotting import save
from . import manipulations
from .registry import MNIST_FIGURES


def _img(t: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> array for imshow."""
    a = t.detach().cpu().clamp(0, 1).numpy()
    return a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)


def _show(ax, t, title=None, code=False, k=None):
    if code:
        ax.imshow(t.detach().cpu().numpy(), cmap="nipy_spectral", vmin=0, vmax=k - 1, interpolation="nearest")
    else:
        ax.imshow(_img(t), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


@torch.no_grad()
def panel(model, x: torch.Tensor, op: str, shift_cells: int, title: str, partner: torch.Tensor | None = None,
          col_titles=None, cell: float = 1.6):
    """One row per image. Unary ops: original | code | reconstruction | manipulated code | decoded.
    Splices: original a | original b | code a | code b | spliced code | decoded. ``cell``: inches per image."""
    k = model.quantizer.codebook_size
    z, idx = model.encode(x)
    rec = model.decode(z).clamp(0, 1)
    rows = len(x)
    if op.startswith("splice"):
        fn = manipulations.splice_x if op == "splice_x" else manipulations.splice_y
        zb, idxb = model.encode(partner)
        out = model.decode(fn(z, zb)).clamp(0, 1)
        cols = [(x, "original a", False), (partner, "original b", False), (idx, "code a", True),
                (idxb, "code b", True), (fn(idx, idxb), f"{op} code", True), (out, "decoded", False)]
    else:
        if op == "invert":
            zm = manipulations.invert(z)
            code_m, code_t = model.quantizer.indices(zm), "nearest codes of -z_q (display only)"
        else:
            lat = manipulations.unary_ops(shift_cells)[op][0]
            zm, code_m, code_t = lat(z), lat(idx), f"{op} code"
        out = model.decode(zm).clamp(0, 1)
        cols = [(x, "original", False), (idx, "code (indices)", True), (rec, "reconstruction", False),
                (code_m, code_t, True), (out, f"decoded {op}", False)]
    fig, axes = plt.subplots(rows, len(cols), figsize=(cell * len(cols), cell * rows + 0.5), squeeze=False)
    for r in range(rows):
        for c, (t, name, is_code) in enumerate(cols):
            _show(axes[r, c], t[r], name if r == 0 else None, is_code, k)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def mnist_manipulation_figures(model, x: torch.Tensor, partner: torch.Tensor, shift_cells: int, paths) -> list:
    """Figs 5.5-5.12 on MNIST test digits ``x`` (splices with ``partner``); ``paths``: operation -> file (the
    rule's output)."""
    saved = []
    for op, num in MNIST_FIGURES.items():
        what = {"shift_y": f"cyclic shift along y by {shift_cells} cells", "shift_x": f"cyclic shift along x by {shift_cells} cells",
                "rot90": "rotation of the code grid by 90 deg", "flip_x": "flip along x (left-right)",
                "flip_y": "flip along y (top-bottom)", "splice_x": "left half of a + right half of b",
                "splice_y": "top half of a + bottom half of b",
                "invert": "value inversion -z_q, decoded without re-quantising"}[op]
        fig = panel(model, x, op, shift_cells, f"Fig {num} (MNIST VQ-VAE): {what}", partner)
        saved.append(save(fig, paths[op]))
    return saved


@torch.no_grad()
def code_figure(model, x: torch.Tensor, title: str, path):
    """original | code map | reconstruction for each image (C2)."""
    k = model.quantizer.codebook_size
    z, idx = model.encode(x)
    rec = model.decode(z).clamp(0, 1)
    fig, axes = plt.subplots(len(x), 3, figsize=(5, 1.6 * len(x) + 0.5), squeeze=False)
    for r in range(len(x)):
        for c, (t, name, code) in enumerate([(x, "original", False), (idx, "code (indices)", True),
                                             (rec, "reconstruction", False)]):
            _show(axes[r, c], t[r], name if r == 0 else None, code, k)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save(fig, path)


@torch.no_grad()
def image_row(images: list, titles: list, suptitle: str, path, k: int | None = None):
    """A row of images (tensors (C, H, W)) or code maps (2-D index tensors)."""
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.4), squeeze=False)
    for ax, t, name in zip(axes[0], images, titles):
        _show(ax, t, name, code=t.dim() == 2, k=k)
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    return save(fig, path)
