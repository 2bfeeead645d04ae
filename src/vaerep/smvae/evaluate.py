"""Test-set evaluation of one trained SMVAE: Table 4.1 terms, an importance-weighted log-likelihood,
posterior moments per contrast level, and contrast-invariance numbers."""

from __future__ import annotations

import math
import numpy as np
import pandas as pd
import torch

from ..train import evaluate
from .data import images


@torch.no_grad()
def table_terms(model, split: dict, device, seed: int, iwae_k: int, batch_size: int = 4096,
                iwae_images: int | None = None) -> dict[str, float]:
    """-ELBO, reconstruction BCE and KL per test image (one posterior sample per image), and the
    IWAE estimate of -log p(x) with ``iwae_k`` samples, with its standard error over images. ``iwae_images``:
    estimate the IWAE term on that many test images (a seeded random subset) instead of all of them."""
    x = images(split)
    terms = evaluate(model, [x], device, batch_size=batch_size, seed=seed)
    torch.manual_seed(seed)
    rows = iwae_subset(x.shape[0], iwae_images, seed)
    xi = x if rows is None else x[rows]
    chunk = max(1, 32768 // iwae_k)
    ll = torch.cat([model.iw_log_likelihood(xi[i:i + chunk].to(device), iwae_k).cpu()
                    for i in range(0, xi.shape[0], chunk)]).double()
    se = float(ll.std() / math.sqrt(ll.numel())) if ll.numel() > 1 else float("nan")
    return {"neg_elbo": terms["loss"], "rec": terms["rec"], "kl": terms["kl"],
            "neg_log_lik_iw": float(-ll.mean()), "neg_log_lik_iw_se": se, "iwae_k": iwae_k,
            "iwae_n": int(ll.numel()), "n_test": int(x.shape[0])}


def iwae_subset(n: int, size: int | None, seed: int) -> torch.Tensor | None:
    """Row indices of the IWAE subset (a seeded random ``size`` of ``n`` rows), or None for every row."""
    if size is None or size >= n:
        return None
    if size < 2:
        raise ValueError(f"an IWAE subset needs at least 2 images for its standard error, got {size}")
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size].sort().values


@torch.no_grad()
def posterior_moments(model, split: dict, device, batch_size: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior mean and std (N, 3) of every test image."""
    x = images(split)
    means, stds = [], []
    for i in range(0, x.shape[0], batch_size):
        m, s = model.posterior_mean_std(x[i:i + batch_size].to(device))
        means.append(m.cpu())
        stds.append(s.cpu())
    return torch.cat(means), torch.cat(stds)


def latent_names(mix: str) -> list[str]:
    """Names of the three latent dimensions."""
    return ["z1", "z2", "z3"] if mix == "none" else ["z1", "z2", "c"]


def posterior_by_contrast(mean: torch.Tensor, std: torch.Tensor, contrast: torch.Tensor, mix: str) -> pd.DataFrame:
    """Average posterior mean and std of every latent dimension at every contrast level (Figs 4.9/4.12/4.16)."""
    rows = []
    for c in sorted(contrast.unique().tolist()):
        sel = contrast == c
        for d, name in enumerate(latent_names(mix)):
            rows.append({"contrast": c, "dim": name, "mean": float(mean[sel, d].mean()),
                         "std": float(std[sel, d].mean())})
    return pd.DataFrame(rows)


def _quadratic_features(v: torch.Tensor) -> torch.Tensor:
    v = v.double()
    cols = [torch.ones(v.shape[0], 1, dtype=v.dtype), v]
    for i in range(v.shape[1]):
        for j in range(i, v.shape[1]):
            cols.append((v[:, i] * v[:, j]).unsqueeze(1))
    return torch.cat(cols, 1)


def held_out_r2(features: torch.Tensor, target: torch.Tensor, seed: int = 0) -> float:
    """R^2 on a held-out half of a least-squares fit of ``target`` on quadratic features of ``features``:
    how much of the target (contrast) a smooth function of these latents predicts."""
    n = features.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    fit, test = perm[: n // 2], perm[n // 2:]
    phi = _quadratic_features(features)
    y = target.double()
    coef = torch.linalg.lstsq(phi[fit], y[fit].unsqueeze(1)).solution
    pred = (phi[test] @ coef).squeeze(1)
    ss_res = float(((y[test] - pred) ** 2).sum())
    ss_tot = float(((y[test] - y[test].mean()) ** 2).sum())
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    ra = pd.Series(a.double().numpy()).rank().to_numpy()
    rb = pd.Series(b.double().numpy()).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def direction_knn_digit(shape: torch.Tensor, split: dict, k: int = 5, chunk: int = 2048) -> float:
    """Accuracy of a k-NN vote that reads the digit of an image at a lower contrast from the directions
    (unit shape-latent means) of the other images at the highest contrast (its own image excluded):
    whether the direction encodes the digit across contrasts. Chance 0.1."""
    contrast, base, label = split["contrast"], split["base_index"], split["label"]
    unit = shape / shape.norm(dim=1, keepdim=True).clamp_min(1e-12)
    top = contrast == contrast.max()
    ref, ref_y, ref_b = unit[top], label[top], base[top]
    q, q_y, q_b = unit[~top], label[~top], base[~top]
    correct = 0
    for i in range(0, q.shape[0], chunk):
        d = torch.cdist(q[i:i + chunk], ref)
        d[q_b[i:i + chunk, None] == ref_b[None]] = float("inf")
        votes = ref_y[d.topk(min(k, ref.shape[0] - 1), largest=False).indices]
        correct += int((torch.mode(votes, 1).values == q_y[i:i + chunk]).sum())
    return correct / max(q.shape[0], 1)


def invariance(mean: torch.Tensor, std: torch.Tensor, split: dict, mix: str, seed: int = 0) -> dict[str, float]:
    """Contrast-invariance numbers of one model.

    - ``contrast_r2_shape``: held-out R^2 of contrast predicted from the shape latents' means (z1, z2;
      all three z for the standard VAE): 0 = the shape code carries no contrast.
    - ``shape_drift``: mean distance between the shape-latent means of the same digit at contrast c
      and at the highest contrast, relative to the mean distance between different digits at the
      highest contrast: 0 = invariant, 1 = as different as another digit.
    - ``contrast_r2_c`` / ``c_spearman``: how well the contrast latent's posterior mean tracks
      contrast (NaN for the standard VAE).
    - ``radius_spearman``: rank correlation of the norm of the z means with contrast.
    - ``direction_cos_same_digit`` / ``_other_digit``: mean cosine between the shape-latent mean of a
      digit at contrast c and the same (another) digit at the highest contrast.
    - ``direction_knn_digit``: :func:`direction_knn_digit` (needs ``split['label']``).
    """
    contrast, base = split["contrast"], split["base_index"]
    shape = mean if mix == "none" else mean[:, :2]
    out = {"contrast_r2_shape": held_out_r2(shape, contrast, seed),
           "radius_spearman": spearman(shape.norm(dim=1), contrast)}
    top = contrast.max()
    ref_rows = (contrast == top).nonzero().squeeze(1)
    ref = torch.full((int(base.max()) + 1, shape.shape[1]), float("nan"))
    ref[base[ref_rows]] = shape[ref_rows]
    others = contrast != top
    drift = (shape[others] - ref[base[others]]).norm(dim=1).mean()
    gen = torch.Generator().manual_seed(seed)
    pairs = ref_rows[torch.randint(len(ref_rows), (2, min(20000, len(ref_rows) * 4)), generator=gen)]
    spread = (shape[pairs[0]] - shape[pairs[1]]).norm(dim=1).mean()
    out["shape_drift"] = float(drift / spread)
    unit = shape / shape.norm(dim=1, keepdim=True).clamp_min(1e-12)
    ref_unit = ref / ref.norm(dim=1, keepdim=True).clamp_min(1e-12)
    out["direction_cos_same_digit"] = float((unit[others] * ref_unit[base[others]]).sum(1).mean())
    out["direction_cos_other_digit"] = float((unit[pairs[0]] * unit[pairs[1]]).sum(1).mean())
    out["direction_knn_digit"] = direction_knn_digit(shape, split)
    if mix == "none":
        out["contrast_r2_c"], out["c_spearman"] = float("nan"), float("nan")
    else:
        out["contrast_r2_c"] = held_out_r2(mean[:, 2:3], contrast, seed)
        out["c_spearman"] = spearman(mean[:, 2], contrast)
    return out
