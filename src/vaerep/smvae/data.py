"""Loading the cached c-MNIST file for Study A."""

from __future__ import annotations

from pathlib import Path

import torch

from ..data import cmnist
from ..data.mnist import load_tensors


def load_split(path: Path | str, split: str, n_images: int | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    """One split ('train' or 'test') of c-MNIST: pixels (uint8), contrast, label, base_index."""
    tensors, _ = load_tensors(path)
    rows = {k[len(split) + 1:]: v for k, v in tensors.items() if k.startswith(split + "_")}
    return cmnist.subset(rows, n_images, seed)


def images(split: dict[str, torch.Tensor]) -> torch.Tensor:
    """Float images (N, 784) in [0, 1] of a loaded split."""
    return cmnist.to_float(split["pixels"], split["contrast"])
