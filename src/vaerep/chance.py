"""Chance levels of claim checks: how often a layout or code that carries no information passes a check
(random 2-D class centroids for Study D's neighbour claims; random codes for Study A's direction k-NN)."""

from __future__ import annotations

import numpy as np
import torch

from .latent2d.evaluate import centroid_neighbours, pair_rank


def neighbour_pass_rate(pair: tuple[int, int], rank: int, draws: int = 20000, n_classes: int = 10,
                        points_per_class: int = 20, seed: int = 0) -> float:
    """Fraction of random layouts (every class's points iid standard normal in 2-D, so the class centroids
    fall at random) in which ``pair`` passes Study D's neighbour check (best rank <= ``rank``), scored by the
    pipeline's own centroid and rank code."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), points_per_class)
    hits = 0
    for _ in range(draws):
        nb = centroid_neighbours(rng.standard_normal((len(y), 2)), y)["neighbours"]
        r = pair_rank(nb, *pair)
        hits += r is not None and r <= rank
    return hits / draws


def direction_knn_random(n_base: int, contrasts: list[float], n_dims: int = 3, draws: int = 20, seed: int = 0,
                         k: int = 5) -> np.ndarray:
    """Study A's direction k-NN (vaerep.smvae.evaluate.direction_knn_digit) of random codes (iid normal shape
    latents, labels 0-9 in turn) over ``draws`` seeds: its chance distribution at this number of images."""
    from .smvae.evaluate import direction_knn_digit

    n_c = len(contrasts)
    split = {"contrast": torch.tensor(contrasts).repeat_interleave(n_base), "base_index": torch.arange(n_base).repeat(n_c),
             "label": (torch.arange(n_base) % 10).repeat(n_c)}
    g = torch.Generator().manual_seed(seed)
    return np.array([direction_knn_digit(torch.randn(n_base * n_c, n_dims, generator=g), split, k) for _ in range(draws)])
