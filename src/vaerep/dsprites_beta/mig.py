"""Mutual Information Gap (Chen et al. 2018) with the standard estimator of disentanglement_lib:
each latent (the posterior mean) is discretised into equal-width histogram bins, the discrete mutual
information with every factor is computed from the contingency table (natural log), and per factor the
gap between the two most informative latents is divided by the factor's entropy. Overall MIG is the
mean over factors."""

from __future__ import annotations

import numpy as np
import torch


def discretize(codes: torch.Tensor, bins: int = 20) -> torch.Tensor:
    """Equal-width histogram bin (0..bins-1) of every value, per latent column (as
    ``np.digitize(x, np.histogram(x, bins)[1][:-1]) - 1``). A constant column falls in one bin."""
    codes = torch.as_tensor(codes, dtype=torch.float64)
    lo, hi = codes.min(0).values, codes.max(0).values
    width = (hi - lo) / bins
    safe = torch.where(width > 0, width, torch.ones_like(width))
    out = torch.floor((codes - lo) / safe).long().clamp_(0, bins - 1)
    return torch.where(width > 0, out, torch.zeros_like(out))


def mutual_info(a: torch.Tensor, b: torch.Tensor) -> float:
    """Discrete mutual information (nats) of two integer label vectors (plug-in estimate)."""
    a = torch.unique(torch.as_tensor(a), return_inverse=True)[1]
    b = torch.unique(torch.as_tensor(b), return_inverse=True)[1]
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    joint = torch.bincount(a * nb + b, minlength=na * nb).reshape(na, nb).double()
    joint /= joint.sum()
    pa, pb = joint.sum(1, keepdim=True), joint.sum(0, keepdim=True)
    nz = joint > 0
    return float((joint[nz] * (joint[nz] / (pa * pb).expand_as(joint)[nz]).log()).sum())


def entropy(a: torch.Tensor) -> float:
    """Entropy (nats) of an integer label vector."""
    return mutual_info(a, a)


def mig(codes: torch.Tensor, factors: torch.Tensor, names: list[str] | None = None, bins: int = 20) -> dict:
    """MIG of ``codes`` (n, d) against integer ``factors`` (n, k). Returns per-factor MIG, the overall
    mean, the MI matrix (d x k), factor entropies and the two top latents per factor."""
    disc = discretize(codes, bins)
    factors = torch.as_tensor(factors)
    d, k = disc.shape[1], factors.shape[1]
    names = names or [f"factor{j}" for j in range(k)]
    mi = np.array([[mutual_info(disc[:, i], factors[:, j]) for j in range(k)] for i in range(d)])
    ent = np.array([entropy(factors[:, j]) for j in range(k)])
    per_factor, top = {}, {}
    for j, name in enumerate(names):
        order = np.argsort(-mi[:, j])
        gap = mi[order[0], j] - (mi[order[1], j] if d > 1 else 0.0)
        per_factor[name] = float(gap / ent[j]) if ent[j] > 0 else float("nan")
        top[name] = [int(order[0]), int(order[1]) if d > 1 else -1]
    return {"mig": float(np.nanmean(list(per_factor.values()))), "per_factor": per_factor,
            "mi": mi.tolist(), "entropy": dict(zip(names, ent.tolist())), "top_latents": top}


def chance_level(factors: torch.Tensor, n_latents: int, names: list[str] | None = None, bins: int = 20,
                 draws: int = 20, seed: int = 0) -> dict:
    """MIG of ``draws`` i.i.d. Gaussian codes (n, n_latents) against the same ``factors`` with the same
    bins: the estimator's chance level (its positive bias at this N) and its spread. Returns per-factor
    and overall ``mean`` and ``std`` (sample std over the draws)."""
    gen = torch.Generator().manual_seed(seed)
    scores = [mig(torch.randn(len(factors), n_latents, generator=gen, dtype=torch.float64), factors, names, bins)
              for _ in range(draws)]
    keys = list(scores[0]["per_factor"])
    per = np.array([[s["per_factor"][k] for k in keys] for s in scores])
    overall = np.array([s["mig"] for s in scores])
    ddof = 1 if draws > 1 else 0
    return {"mean": float(overall.mean()), "std": float(overall.std(ddof=ddof)), "draws": draws,
            "per_factor": {k: {"mean": float(per[:, j].mean()), "std": float(per[:, j].std(ddof=ddof))}
                           for j, k in enumerate(keys)}}


def chance_band(mean: float, std: float, k: float) -> float:
    """Upper edge of the chance band: a score at or below ``mean + k * std`` is 'at chance'."""
    return mean + k * std


def at_chance(value: float, mean: float, std: float, k: float) -> bool:
    """Whether ``value`` lies within the chance band (see :func:`chance_band`)."""
    return bool(value <= chance_band(mean, std, k))
