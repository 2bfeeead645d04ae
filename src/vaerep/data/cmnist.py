"""c-MNIST: every MNIST image at every contrast level c in C, with contrast and digit label kept."""

from __future__ import annotations

import torch


def build(images: torch.Tensor, labels: torch.Tensor, contrasts: list[float]) -> dict[str, torch.Tensor]:
    """Stack ``c * image`` for every contrast (contrast-major order). Pixels stay uint8 (exact), the
    float image is ``pixels / 255 * contrast`` (see :func:`to_float`)."""
    n = images.shape[0]
    k = len(contrasts)
    return {
        "pixels": images.reshape(n, -1).repeat(k, 1),
        "base_index": torch.arange(n).repeat(k),
        "contrast": torch.tensor(contrasts, dtype=torch.float32).repeat_interleave(n),
        "label": labels.repeat(k),
    }


def to_float(pixels: torch.Tensor, contrast: torch.Tensor) -> torch.Tensor:
    """Float images in [0, 1]: ``pixels / 255 * contrast`` (as ToTensor() then multiplication by c)."""
    return pixels.float().div_(255.0).mul_(contrast.unsqueeze(1))


def subset(split: dict[str, torch.Tensor], n_images: int | None, seed: int) -> dict[str, torch.Tensor]:
    """Keep a seeded random set of ``n_images`` base MNIST images, each at every contrast (all when
    ``n_images`` is None or too large), so that every kept digit still appears at all contrasts."""
    n_base = int(split["base_index"].max()) + 1
    if n_images is None or n_images >= n_base:
        return split
    chosen = torch.zeros(n_base, dtype=torch.bool)
    chosen[torch.randperm(n_base, generator=torch.Generator().manual_seed(seed))[:n_images]] = True
    keep = chosen[split["base_index"]]
    return {k: v[keep] for k, v in split.items()}
