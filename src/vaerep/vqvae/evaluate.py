"""Numbers of Studies C2-C4: reconstruction quality and codebook use of a VQ-VAE, and how each latent
manipulation compares with the same operation done in pixel space."""

from __future__ import annotations

import math

import pandas as pd
import torch

from ..data.mnist import load_tensors
from ..models.vqvae import usage_stats
from . import manipulations


def mnist_to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> float (B, 1, 28, 28) in [0, 1] (``prepare=`` of the training loop)."""
    return x.float().div_(255.0).unsqueeze(1)


def load_mnist(path, split: str, n: int | None, seed: int):
    """uint8 images and labels of one MNIST split; the first ``n`` of a seeded permutation when n is set."""
    tensors, _ = load_tensors(path)
    images, labels = tensors[f"{split}_images"], tensors[f"{split}_labels"]
    if n is not None and n < len(images):
        idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
        images, labels = images[idx], labels[idx]
    return images, labels


@torch.no_grad()
def encode_all(model, x: torch.Tensor, batch: int = 1024):
    """z_q, indices and clamped reconstructions of float images ``x`` (B, C, H, W)."""
    zs, idxs, recs = [], [], []
    for s in range(0, len(x), batch):
        z, i = model.encode(x[s:s + batch])
        zs.append(z), idxs.append(i), recs.append(model.decode(z).clamp(0, 1))
    return torch.cat(zs), torch.cat(idxs), torch.cat(recs)


def per_image_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).flatten(1).mean(1)


def correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image Pearson correlation of two image batches."""
    a = a.flatten(1) - a.flatten(1).mean(1, keepdim=True)
    b = b.flatten(1) - b.flatten(1).mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-8)


def psnr(mse: torch.Tensor) -> torch.Tensor:
    """PSNR in dB for images in [0, 1]."""
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


@torch.no_grad()
def reconstruction_metrics(model, x: torch.Tensor) -> dict:
    """Test MSE (per pixel, images in [0, 1], reconstructions clamped), mean per-image PSNR, codebook
    usage and perplexity over every grid cell of ``x``."""
    _, idx, rec = encode_all(model, x)
    mse = per_image_mse(rec, x)
    out = {"n_images": len(x), "mse": float(mse.mean()), "psnr_db": float(psnr(mse).mean()),
           "psnr_of_mean_mse_db": float(10 * math.log10(1 / max(float(mse.mean()), 1e-10))),
           "grid": list(idx.shape[1:]), "codebook_size": model.quantizer.codebook_size}
    out.update(usage_stats(idx, model.quantizer.codebook_size))
    out["n_restarts_in_training"] = int(model.quantizer.n_restarts)
    return out


@torch.no_grad()
def manipulation_table(model, x: torch.Tensor, shift_cells: int, respect_ratio: float, *, respect_anchor: float,
                       seed: int = 0, batch: int = 512, operations=None) -> pd.DataFrame:
    """One row per manipulation, each against its pixel-space target t: op(x) for shift/rot/flip, the pixel
    splice of the two originals for splices, 1 - x for inversion. ``mse_vs_pixel_op`` = MSE(decode(op z), t);
    ``ratio`` = that / plain reconstruction MSE (as good as a reconstruction?); ``mse_no_op_vs_target`` =
    MSE(decode(z), t), the error left when the latent op does nothing; ``ratio_vs_no_op`` = mse_vs_pixel_op /
    mse_no_op_vs_target (1 for a model that ignores its code or its input, near 0 when the latent op does
    what the pixel op does). The grid *respects* the op when ratio <= ``respect_ratio`` and
    ratio_vs_no_op <= ``respect_anchor``. ``mse_pixel_op_vs_x`` = MSE(t, x): how much the op changes the
    image; ``corr_with_reconstruction`` (inversion): correlation of decode(-z_q) with decode(z_q).
    ``operations``: the names of the rows to measure (None: every manipulation)."""
    z, _, rec = encode_all(model, x)
    factor = x.shape[-1] // z.shape[-1]
    base = float(per_image_mse(rec, x).mean())
    rows = []

    def decoded(zz):
        return torch.cat([model.decode(zz[s:s + batch]).clamp(0, 1) for s in range(0, len(zz), batch)])

    def wanted(name):
        return operations is None or name in operations

    def row(name, out, target, **extra):
        mse, no_op = float(per_image_mse(out, target).mean()), float(per_image_mse(rec, target).mean())
        rows.append({"operation": name, "mse_vs_pixel_op": mse, "mse_reconstruction": base, "ratio": mse / base,
                     "mse_no_op_vs_target": no_op, "ratio_vs_no_op": mse / max(no_op, 1e-12),
                     "mse_pixel_op_vs_x": float(per_image_mse(target, x).mean()), **extra})

    for name, (lat, pix) in manipulations.unary_ops(shift_cells).items():
        if wanted(name):
            row(name, decoded(lat(z)), pix(x, factor))
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    for name, fn in [("splice_x", manipulations.splice_x), ("splice_y", manipulations.splice_y)]:
        split_cells = z.shape[-1] // 2 if name == "splice_x" else z.shape[-2] // 2
        if wanted(name):
            row(name, decoded(fn(z, z[perm], split_cells)), fn(x, x[perm], split_cells * factor))
    if wanted("invert"):
        out = decoded(manipulations.invert(z))
        row("invert", out, 1 - x, corr_with_reconstruction=float(correlation(rec, out).mean()))
    table = pd.DataFrame(rows)
    table["respects"] = respects(table, respect_ratio, respect_anchor)
    table["shift_cells"] = shift_cells
    table["pixels_per_cell"] = factor
    return table


def respects(table: pd.DataFrame, respect_ratio: float, respect_anchor: float) -> pd.Series:
    """Whether the latent grid carries out each op: as good as a reconstruction (ratio <= respect_ratio)
    and most of the way from the un-manipulated reconstruction to the target (ratio_vs_no_op <= respect_anchor)."""
    return (table["ratio"] <= respect_ratio) & (table["ratio_vs_no_op"] <= respect_anchor)


def to_markdown(table: pd.DataFrame, floatfmt=".4g") -> str:
    return table.to_markdown(index=False, floatfmt=floatfmt)
