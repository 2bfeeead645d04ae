"""Small building blocks shared by the models."""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


def at_least_float32(t: torch.Tensor) -> torch.Tensor:
    """``t`` in float32 when it is a half-precision tensor (a bf16 autocast output), else unchanged
    (float64 stays float64): loss terms and their sums stay in float32 under autocast."""
    return t.float() if t.dtype in (torch.bfloat16, torch.float16) else t


def mlp(sizes: list[int], activation=nn.ReLU) -> nn.Sequential:
    """Fully connected layers ``sizes[0] -> ... -> sizes[-1]`` with ``activation`` between them
    (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def bce_with_logits_sum(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood summed over all but the batch dimension."""
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).sum(1)


def bce_with_logits_sum_samples(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """:func:`bce_with_logits_sum` of ``logits`` (samples..., B, P) against one ``target`` (B, P) per image,
    as softplus(l) - x * l summed over pixels: the same Bernoulli NLL without copying the target per sample
    (the IWAE pass: half the time of the copying form, equal to it within float32 round-off)."""
    return F.softplus(logits).sum(-1) - torch.einsum("...bp,bp->...b", logits, target)


def bce_prob_sum(prob: torch.Tensor, target: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Bernoulli negative log-likelihood of probabilities clamped into [eps, 1 - eps], summed per image."""
    p = prob.clamp(eps, 1.0 - eps)
    return -(target * p.log() + (1.0 - target) * torch.log1p(-p)).flatten(1).sum(1)


def bce_prob_sum_samples(prob: torch.Tensor, target: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """:func:`bce_prob_sum` of ``prob`` (samples..., B, P) against one ``target`` (B, P) per image, without
    copying the target per sample: -(sum log(1 - p) + x . (log p - log(1 - p)))."""
    p = prob.clamp(eps, 1.0 - eps)
    log_q = torch.log1p(-p)
    return -(log_q.sum(-1) + torch.einsum("...bp,bp->...b", p.log() - log_q, target))


def bce_prob_author_sum(prob: torch.Tensor, target: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """The author's reconstruction term for clamp(max=1) outputs: torch's binary_cross_entropy, whose
    logs are clamped at -100 (so x_hat = 1 costs 100 * (1 - x) nats per pixel), summed per image."""
    p = prob.clamp(max=1.0)
    return F.binary_cross_entropy(p, target, reduction="none").flatten(1).sum(1)
