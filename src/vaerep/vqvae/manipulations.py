"""The latent-grid manipulations of seed_002.md §2.2 (thesis Figs 5.5-5.12 and 5.15-5.19), one small
function each. Every function acts on the last two (spatial: y = rows, x = columns) dimensions, so it
works on a quantised grid z_q (B, D, H, W), on an index map (B, H, W) and on a single (H, W) map alike.

Conventions (stated because the thesis does not): shifts are cyclic (``torch.roll``), positive = towards
larger x (right) / larger y (down); rot90 turns counter-clockwise as ``torch.rot90`` over (y, x);
"flip along x" mirrors the x axis (left <-> right), "flip along y" mirrors the y axis (top <-> bottom);
splicing takes the first ``split`` columns (rows) from ``a`` and the rest from ``b`` with
``split = W // 2`` (``H // 2``) unless given; value inversion negates the quantised vectors, which are
then decoded without re-quantising.
"""

from __future__ import annotations

import torch


def shift_x(z: torch.Tensor, cells: int) -> torch.Tensor:
    """Cyclic shift by ``cells`` columns (to the right for cells > 0)."""
    return torch.roll(z, shifts=cells, dims=-1)


def shift_y(z: torch.Tensor, cells: int) -> torch.Tensor:
    """Cyclic shift by ``cells`` rows (downwards for cells > 0)."""
    return torch.roll(z, shifts=cells, dims=-2)


def rot90(z: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Rotate the grid by k x 90 degrees counter-clockwise."""
    return torch.rot90(z, k, dims=(-2, -1))


def flip_x(z: torch.Tensor) -> torch.Tensor:
    """Mirror along x (left <-> right)."""
    return torch.flip(z, dims=(-1,))


def flip_y(z: torch.Tensor) -> torch.Tensor:
    """Mirror along y (top <-> bottom)."""
    return torch.flip(z, dims=(-2,))


def splice_x(a: torch.Tensor, b: torch.Tensor, split: int | None = None) -> torch.Tensor:
    """Columns [0, split) from ``a``, the rest from ``b`` (halves joined along x)."""
    split = a.shape[-1] // 2 if split is None else split
    return torch.cat([a[..., :split], b[..., split:]], dim=-1)


def splice_y(a: torch.Tensor, b: torch.Tensor, split: int | None = None) -> torch.Tensor:
    """Rows [0, split) from ``a``, the rest from ``b`` (halves joined along y)."""
    split = a.shape[-2] // 2 if split is None else split
    return torch.cat([a[..., :split, :], b[..., split:, :]], dim=-2)


def invert(z_q: torch.Tensor) -> torch.Tensor:
    """Value inversion: -z_q (decode it directly; re-quantising would undo the operation)."""
    return -z_q


def transplant(target: torch.Tensor, source: torch.Tensor, src_box, dst_box=None) -> torch.Tensor:
    """Copy the region ``src_box = (y0, x0, h, w)`` of ``source`` into ``target`` at ``dst_box``'s
    top-left corner (default: the same place). Returns a new tensor."""
    y0, x0, h, w = src_box
    ty, tx = (y0, x0) if dst_box is None else dst_box[:2]
    out = target.clone()
    out[..., ty:ty + h, tx:tx + w] = source[..., y0:y0 + h, x0:x0 + w]
    return out


# Single-image operations with their pixel-space counterparts: ``factor`` = pixels per latent cell.
def unary_ops(shift_cells: int) -> dict:
    """name -> (latent op, pixel op given the down-sampling factor)."""
    return {
        "shift_x": (lambda z: shift_x(z, shift_cells), lambda x, f: shift_x(x, shift_cells * f)),
        "shift_y": (lambda z: shift_y(z, shift_cells), lambda x, f: shift_y(x, shift_cells * f)),
        "rot90": (rot90, lambda x, f: rot90(x)),
        "flip_x": (flip_x, lambda x, f: flip_x(x)),
        "flip_y": (flip_y, lambda x, f: flip_y(x)),
    }
