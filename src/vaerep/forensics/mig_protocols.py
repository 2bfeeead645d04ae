"""Table 2.4's pattern (MIG ~ 1e-4, Shape = Scale = 0.0000): MIG of a trained beta-VAE under
estimator/protocol hypotheses. Each protocol names which images (a random sample of the grid or the first
N rows of its canonical order), which codes (posterior means, sampled z, or i.i.d. noise = fully collapsed
latents) and which estimator (20-bin histogram, or raw floats with every distinct value its own bin)."""

from __future__ import annotations

import numpy as np
import torch

from ..data import dsprites
from ..dsprites_beta import mig
from ..dsprites_beta.evaluate import MIG_FACTORS
from ..models.beta_vae import to_float


def rows_for(order: str, n: int, seed: int) -> torch.Tensor:
    """``n`` grid rows: 'random' (seeded sample, the study's protocol) or 'first' (canonical order)."""
    if order == "first":
        return torch.arange(n)
    if order == "random":
        return torch.randperm(dsprites.N_IMAGES, generator=torch.Generator().manual_seed(seed))[:n]
    raise ValueError(f"unknown image order '{order}': choose random or first")


@torch.no_grad()
def encode(model, imgs: torch.Tensor, device="cpu", batch_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior (mu, logvar) of uint8 images (eval mode), float64 on the CPU."""
    model.eval()
    mus, lvs = [], []
    for i in range(0, len(imgs), batch_size):
        mu, logvar = model.encode(to_float(imgs[i:i + batch_size].to(device)))
        mus.append(mu.double().cpu())
        lvs.append(logvar.double().cpu())
    return torch.cat(mus), torch.cat(lvs)


def codes_for(mu: torch.Tensor, logvar: torch.Tensor, kind: str, seed: int) -> torch.Tensor:
    """Codes from the posteriors: 'mean' (posterior means), 'sample' (one z ~ q(z|x) each) or 'collapsed'
    (i.i.d. N(0, 1): the codes of a model whose posterior equals the prior)."""
    gen = torch.Generator().manual_seed(seed)
    if kind == "mean":
        return mu
    if kind == "sample":
        return mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=gen, dtype=mu.dtype)
    if kind == "collapsed":
        return torch.randn(mu.shape, generator=gen, dtype=mu.dtype)
    raise ValueError(f"unknown code kind '{kind}': choose mean, sample or collapsed")


def raw_float_bins(codes: torch.Tensor) -> torch.Tensor:
    """'No discretisation': every distinct float value of a latent is its own label."""
    return torch.stack([torch.unique(c, return_inverse=True)[1] for c in codes.T], 1)


def mig_scores(codes: torch.Tensor, classes: torch.Tensor, estimator: str, bins: int) -> dict[str, float]:
    """Per-factor and overall MIG of ``codes`` against the dSprites class table. A factor that is constant
    in the sample (entropy 0) scores 0, as an implementation dividing by H + eps would report it."""
    labels = (mig.discretize(codes, bins) if estimator == "hist" else raw_float_bins(codes) if estimator == "raw"
              else None)
    if labels is None:
        raise ValueError(f"unknown MIG estimator '{estimator}': choose hist or raw")
    out = {}
    for name, col in MIG_FACTORS.items():
        v = classes[:, col]
        ent = mig.entropy(v)
        if ent == 0:
            out[name] = 0.0
            continue
        mi = np.sort([mig.mutual_info(labels[:, i], v) for i in range(labels.shape[1])])[::-1]
        out[name] = float((mi[0] - mi[1]) / ent)
    out["mig"] = float(np.mean([out[f] for f in MIG_FACTORS]))
    return out


def pattern_match(scores: dict[str, dict], thesis: dict[str, dict], ceiling: float) -> dict:
    """How many of the thesis's per-factor cells a protocol reproduces: a cell printed 0.0000 must be
    below 0.00005 (rounds to 0.0000); a non-zero cell must be above 0 and at most ``ceiling`` (the
    thesis's ~1e-4 magnitude; four printed decimals cannot separate 2e-5 from 1e-4 sampling noise)."""
    n = hit = zeros_hit = zeros = 0
    for beta, t in thesis.items():
        if beta not in scores:
            continue
        for f in MIG_FACTORS:
            n += 1
            v = scores[beta][f]
            if t[f] < 0.00005:
                zeros += 1
                ok = abs(v) < 0.00005
                zeros_hit += ok
            else:
                ok = 0.0 < v <= ceiling
            hit += ok
    return {"cells": n, "matched": hit, "zero_cells": zeros, "zeros_matched": zeros_hit}
