"""Figures 5.13-5.19 of Study C4 (pretrained dVAE or its substitute): photos, reconstructions, the rotated /
inverted / shifted token grid (C3's ``panel``) and the region transplant. Every title names the model."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Rectangle

from ..plotting import save
from . import manipulations
from .evaluate import per_image_mse, psnr
from .figures import _show, image_row, panel
from .registry import PRETRAINED_FIGURES

# The manipulated token grids of Figs 5.15-5.18: operation -> what the figure shows.
MANIP_TITLES = {"rot90": "token grid rotated by 90 deg (counter-clockwise)",
                "invert": "value inversion -z decoded without re-quantising",
                "shift_x": "token grid shifted along x (cyclic)",
                "shift_y": "token grid shifted along y (cyclic)"}


@torch.no_grad()
def photo_figures(model, x: torch.Tensor, names: list[str], label: str, paths: dict) -> None:
    """5.13: the two photos and their token grids; 5.14: photo | reconstruction with its PSNR (``paths``: the
    registry's key -> file, keys ``photos`` and ``reconstructions``)."""
    k = model.quantizer.codebook_size
    z, idx = model.encode(x)
    rec = model.decode(z).clamp(0, 1)
    grid = "x".join(map(str, idx.shape[1:]))
    image_row([x[0], x[1], idx[0], idx[1]], [f"(a) {names[0]}", f"(b) {names[1]}", f"(a) tokens ({grid})",
                                             f"(b) tokens ({grid})"],
              f"Fig 5.13 - {label}: input photos and their token grids (K={k})", paths["photos"], k=k)
    p = psnr(per_image_mse(rec, x))
    image_row([x[0], rec[0], x[1], rec[1]], [f"(a) {names[0]}", f"(a) reconstruction, {p[0]:.1f} dB",
                                             f"(b) {names[1]}", f"(b) reconstruction, {p[1]:.1f} dB"],
              f"Fig 5.14 - {label}: reconstructions (PSNR)", paths["reconstructions"], k=k)


@torch.no_grad()
def manipulation_figures(model, x: torch.Tensor, shift_cells: int, label: str, paths: dict) -> None:
    """5.15-5.18: original | tokens | reconstruction | manipulated tokens | decoded, one row per photo
    (``paths``: operation -> file)."""
    for op, what in MANIP_TITLES.items():
        what = what + (f" by {shift_cells} cells" if op.startswith("shift") else "")
        fig = panel(model, x, op, shift_cells, f"Fig {PRETRAINED_FIGURES[op]} - {label}:\n{what}", cell=2.4)
        save(fig, paths[op])


@torch.no_grad()
def transplant_figure(model, target, source, names, src_box, dst_yx, decoded, paste, label: str, path) -> None:
    """5.19: source photo (region boxed) | target photo | transplanted tokens | decoded | pixel paste."""
    k = model.quantizer.codebook_size
    (_, it), (_, is_) = model.encode(target[None]), model.encode(source[None])
    tokens = manipulations.transplant(it[0], is_[0], src_box, dst_yx)
    f = target.shape[-1] // it.shape[-1]
    y0, x0, h, w = src_box
    cols = [(source, f"(a) {names[1]} (source region)", (y0, x0)), (target, f"{names[0]} (target)", tuple(dst_yx)),
            (tokens, "transplanted tokens", tuple(dst_yx)), (decoded, "(b) decoded transplant", None),
            (paste, "pixel-space paste (reference)", None)]
    fig, axes = plt.subplots(1, len(cols), figsize=(2.6 * len(cols), 3.2), squeeze=False)
    for ax, (t, title, corner) in zip(axes[0], cols):
        _show(ax, t, title, code=t.dim() == 2, k=k)
        if corner is not None:
            s = 1 if t.dim() == 2 else f
            ax.add_patch(Rectangle((corner[1] * s - 0.5, corner[0] * s - 0.5), w * s, h * s, fill=False,
                                   edgecolor="yellow", linewidth=1.5))
    fig.suptitle(f"Fig 5.19 - {label}:\ntoken region (y0, x0, h, w) = {tuple(src_box)} of {names[1]} placed at "
                 f"{tuple(dst_yx)} in {names[0]}", fontsize=9)
    fig.tight_layout()
    save(fig, path)
