"""MNIST splits for Study D: uint8 images (N, 28, 28) and labels, optionally a seeded subset."""

from __future__ import annotations

from pathlib import Path

import torch

from ..data.mnist import load_tensors
from ..errors import PipelineError


def load_split(path: Path | str, split: str, n_images: int | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    """``split`` ('train' or 'test') of the cached MNIST file; a seeded random ``n_images`` subset
    (all images, in file order, when ``n_images`` is None or too large)."""
    if split not in ("train", "test"):
        raise PipelineError(f"unknown MNIST split '{split}'")
    tensors, _ = load_tensors(path)
    images, labels = tensors[f"{split}_images"], tensors[f"{split}_labels"]
    n = images.shape[0]
    if n_images is not None and n_images < n:
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:n_images].sort().values
        images, labels = images[idx], labels[idx]
    return {"images": images, "labels": labels}
