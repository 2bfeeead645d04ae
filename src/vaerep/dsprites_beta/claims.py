"""The thesis's qualitative claims about MIG and the PCA of the latent means (extraction §3-4), each a
:class:`vaerep.claim.Claim` with a stable ID, where the thesis makes it, its evidence and its check as a tree of
conditions against Table 2.4 and the evaluation codes; claims.csv: id, source, claim, evidence, verdict
(replicates / differs), and why the threshold is what it is (tolerance_source). Every threshold is a multiple
of a chance level measured at the same N (random Gaussian codes), so a model whose latents carry no
information fails each check."""

from __future__ import annotations


import numpy as np
import pandas as pd
import torch

from ..claim import Claim, Leaf, every, flag, frame, measured
from . import mig
from .evaluate import MIG_FACTORS, pca2

POSITION_ORIENTATION = ("orientation", "posX", "posY")
SHAPE_SCALE = ("shape", "scale")
# Where the thesis makes each claim (extraction §3-4).
SOURCE = {"mig": "Table 2.4, Fig 2.10 (§2.1.7)", "gains": "Table 2.4 (§2.1.7)", "pca": "Figs 2.11–2.15 (§2.1.8)"}


def eta_squared(proj: torch.Tensor, labels: torch.Tensor) -> float:
    """Correlation ratio of a factor in a projection: the fraction of the total variance of the points
    ``proj`` (n, d) explained by the means of the groups of equal ``labels`` (0 = no separation of the
    factor's values, 1 = every value is a point)."""
    x = proj.double() - proj.double().mean(0)
    inv = torch.unique(torch.as_tensor(labels), return_inverse=True)[1]
    k = int(inv.max()) + 1
    sums = torch.zeros(k, x.shape[1], dtype=torch.float64).index_add_(0, inv, x)
    counts = torch.bincount(inv, minlength=k).double()
    between = float((sums.pow(2).sum(1) / counts).sum())
    total = float(x.pow(2).sum())
    return between / total if total > 0 else 0.0


def pca_separation(means: torch.Tensor, classes: torch.Tensor, draws: int, seed: int = 0) -> dict:
    """Per factor: eta^2 of the factor's values in the 2-D PCA of the latent means, and its chance level
    (mean and std of eta^2 of i.i.d. Gaussian 2-D points with the same labels, ``draws`` draws)."""
    proj, explained = pca2(means)
    gen = torch.Generator().manual_seed(seed)
    noise = [torch.randn(len(proj), 2, generator=gen, dtype=torch.float64) for _ in range(draws)]
    out = {"explained": explained, "n": int(len(proj)), "factors": {}}
    for name, col in MIG_FACTORS.items():
        labels = classes[:, col]
        null = np.array([eta_squared(z, labels) for z in noise])
        out["factors"][name] = {"eta2": eta_squared(proj, labels), "chance": float(null.mean()),
                                "chance_std": float(null.std(ddof=1 if draws > 1 else 0))}
    return out


def _within_band(name: str, eta2: float, band: float) -> Leaf:
    """"No structure": eta² not above the chance band, as a leaf ``eta2 <= band``. Where that comparison is
    undefined (NaN), eta² is not above the band either: a condition that holds."""
    if np.isnan(eta2) or np.isnan(band):
        return flag(name, True, "eta² not comparable with the chance band, so not above it")
    return Leaf(name, measured(eta2), "<=", float(band), "at_chance_k")


def _fmt_chance(v, mean, std):
    return f"{v:.4f} (chance {mean:.4f} ± {std:.4f})"


def claims(t24: pd.DataFrame, pca: dict | None, pca_beta: float, thr: dict) -> list[Claim]:
    """The thesis's MIG and PCA claims. ``t24``: Table 2.4 with chance columns (see
    :func:`evaluate.table_2_4`); ``pca``: :func:`pca_separation` of the ``pca_beta`` model (None: not trained, no PCA claim); ``thr``:
    ``at_chance_k`` (a score within k chance spreads of the chance mean is at chance) and ``rise_k``
    (a rise of MIG between betas counts when it exceeds k chance spreads)."""
    t = t24.sort_values("beta").reset_index(drop=True)
    k, rk = thr["at_chance_k"], thr["rise_k"]
    out = []

    def add(cid, source, sentence, evidence, check, tolerance_source):
        out.append(Claim(cid, sentence, source, evidence, check, tolerance_source=tolerance_source))

    rise_src = (f"a step counts when it exceeds {rk} x the spread of MIG over random Gaussian codes (same N, same "
                "bins): smaller steps are within the estimator's noise; a model whose MIG does not change fails")
    betas = [f"{b:g}" for b in t["beta"]]
    steps = np.diff(t["mig"].to_numpy())
    noise = t["chance_mig_std"].to_numpy()[1:]
    add("B.mig_rises", SOURCE["mig"], "MIG increases continuously with β (Table 2.4, Fig 2.10)",
        "overall MIG at β = " + ", ".join(f"{b}: {_fmt_chance(v, c, s)}" for b, v, c, s in
                                         zip(betas, t["mig"], t["chance_mig"], t["chance_mig_std"]))
        + "; steps " + ", ".join(f"{d:+.4f}" for d in steps),
        every(flag("more than one β", len(t) > 1, "a rise needs two models"),
              *(Leaf(f"MIG step β = {a} -> {b}", measured(d), ">", float(rk * n), "rise_k")
                for a, b, d, n in zip(betas, betas[1:], steps, noise))), rise_src)
    gains = {f: float(t[f].iloc[-1] - t[f].iloc[0]) for f in MIG_FACTORS}
    spread = {f: float(t[f"chance_{f}_std"].iloc[-1]) for f in MIG_FACTORS}
    big = min(gains[f] for f in POSITION_ORIENTATION)
    add("B.mig_gains_position", SOURCE["gains"],
        "The largest MIG gains with β are in orientation and position (posX, posY), not shape or scale",
        f"per-factor MIG gain from β = {betas[0]} to {betas[-1]}: "
        + ", ".join(f"{f} {gains[f]:+.4f} (chance spread {spread[f]:.4f})" for f in MIG_FACTORS),
        every(flag("more than one β", len(t) > 1, "a gain needs two models"),
              flag("every orientation/position gain above every shape/scale gain",
                   bool(big > max(gains[f] for f in SHAPE_SCALE)), "largest gains in orientation and position"),
              *(Leaf(f"MIG gain of {f}", measured(gains[f]), ">", rk * spread[f], "rise_k")
                for f in POSITION_ORIENTATION)),
        rise_src)
    if pca is None:
        return out
    f = pca["factors"]
    band = {n: mig.chance_band(f[n]["chance"], f[n]["chance_std"], k) for n in f}
    structured = {n: f[n]["eta2"] > band[n] for n in f}
    add("B.pca_structure", SOURCE["pca"],
        f"In the 2-D PCA of the β = {pca_beta:g} latent means, position and orientation show structure while "
        "shape and scale show none (Figs 2.11-2.15)",
        f"variance of the 2-D PCA explained by each factor's values (eta², {pca['n']} images; PCs explain "
        f"{pca['explained'][0]:.2f} + {pca['explained'][1]:.2f} of the latent variance): "
        + ", ".join(f"{n} {_fmt_chance(f[n]['eta2'], f[n]['chance'], f[n]['chance_std'])}"
                    f"{' structure' if structured[n] else ' none'}" for n in f),
        every(*(Leaf(f"eta² of {n} in the 2-D PCA (structure: above the chance band)", measured(f[n]["eta2"]), ">",
                     float(band[n]), "at_chance_k") for n in POSITION_ORIENTATION),
              *(_within_band(f"eta² of {n} in the 2-D PCA (none: within the chance band)", f[n]["eta2"], band[n])
                for n in SHAPE_SCALE)),
        f"structure = eta² above the chance band (mean + {k} x spread of eta² of random Gaussian points with the "
        "same labels); none = within it. Latents that ignore the image show no structure for any factor")
    return out


def check_claims(t24: pd.DataFrame, pca: dict | None, pca_beta: float, thr: dict) -> pd.DataFrame:
    """claims.csv of Study B (see :func:`claims` for the inputs), with each threshold's tolerance_source."""
    return frame(claims(t24, pca, pca_beta, thr), ("tolerance_source",))
