"""The Study B data file: seeded train/validation subset of dSprites plus an evaluation sample for MIG
and PCA, drawn from the resolved source (official file or procedural generator)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..data import dsprites
from ..data.mnist import load_tensors, save_tensors
from ..errors import PipelineError


def choose_rows(n_images: int, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random subset of the 737,280 rows (never the first n): (train rows, validation rows)."""
    if not 0 < n_images <= dsprites.N_IMAGES:
        raise PipelineError(f"n_images must be in 1..{dsprites.N_IMAGES}, got {n_images}")
    rows = torch.randperm(dsprites.N_IMAGES, generator=torch.Generator().manual_seed(seed))[:n_images]
    n_val = max(1, round(val_fraction * n_images))
    return rows[n_val:], rows[:n_val]


def eval_rows(n_images: int, seed: int) -> torch.Tensor:
    """Seeded random rows of the whole grid for MIG/PCA (as disentanglement_lib samples the dataset)."""
    return torch.randperm(dsprites.N_IMAGES, generator=torch.Generator().manual_seed(seed))[:n_images]


class CachedGrid:
    """Rows of the full-grid cache written by rule dsprites_grid (bit-packed images)."""

    def __init__(self, path: Path | str):
        tensors, self.meta = load_tensors(path)
        self.packed = tensors["packed"]

    def images(self, rows):
        return dsprites.unpack(self.packed[torch.as_tensor(rows)])


def build(source, train_rows, val_rows, ev_rows) -> dict[str, torch.Tensor]:
    """Images and factors of the three row sets from ``source`` (dsprites.Source or CachedGrid)."""
    out = {}
    for name, rows in (("train", train_rows), ("val", val_rows), ("eval", ev_rows)):
        out[f"{name}_rows"] = rows
        out[f"{name}_imgs"] = source.images(rows)
        vals, cls = dsprites.latents(rows)
        out[f"{name}_values"] = torch.from_numpy(vals)
        out[f"{name}_classes"] = torch.from_numpy(cls)
    return out


def save(path, tensors, meta):
    save_tensors(path, tensors, meta)


def load(path) -> tuple[dict, dict]:
    return load_tensors(path)
