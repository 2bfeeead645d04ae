"""Study B evaluation: posterior means, MIG per factor, PCA of the means, Tables 2.3 and 2.4."""

from __future__ import annotations

import pandas as pd
import torch

from ..models.beta_vae import to_float
from . import mig

# Factors scored by MIG (color has one value and is left out), columns of latents_classes.
MIG_FACTORS = {"shape": 1, "scale": 2, "orientation": 3, "posX": 4, "posY": 5}


@torch.no_grad()
def posterior_means(model, imgs: torch.Tensor, device, batch_size: int = 1024) -> torch.Tensor:
    """Encoder means mu(x) (eval mode) of uint8 images (n, 64, 64)."""
    model.eval()
    out = [model.encode(to_float(imgs[i:i + batch_size].to(device)))[0].cpu() for i in range(0, len(imgs), batch_size)]
    return torch.cat(out).double()


def mig_scores(means: torch.Tensor, classes: torch.Tensor, bins: int) -> dict:
    cols = list(MIG_FACTORS.values())
    return mig.mig(means, classes[:, cols], list(MIG_FACTORS), bins)


def mig_chance(classes: torch.Tensor, n_latents: int, bins: int, draws: int, seed: int = 0) -> dict:
    """Chance level of MIG (mean and spread over ``draws`` random Gaussian codes, same N and bins)."""
    cols = list(MIG_FACTORS.values())
    return mig.chance_level(classes[:, cols], n_latents, list(MIG_FACTORS), bins, draws, seed)


def pca2(codes: torch.Tensor) -> tuple[torch.Tensor, list[float]]:
    """Projection of the centred codes on their first two principal components (SVD), and the
    fraction of variance each explains."""
    x = codes.double() - codes.double().mean(0)
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    var = s ** 2
    return x @ vh[:2].T, (var[:2] / var.sum()).tolist()


def table_2_3(rows: list[dict], thesis: dict) -> pd.DataFrame:
    """Final-epoch loss terms per beta next to the thesis's values (where the thesis gives them)."""
    out = []
    for r in rows:
        t = thesis.get(f"{r['beta']:g}", {})
        out.append({"beta": r["beta"], "train_loss": r["train_loss"], "train_rec": r["train_rec"],
                    "train_kl": r["train_kl"], "val_loss": r["val_loss"], "val_rec": r["val_rec"],
                    "val_kl": r["val_kl"], "thesis_loss": t.get("loss"), "thesis_rec": t.get("rec"),
                    "thesis_kl": t.get("kl"), "thesis_val_loss": t.get("val_loss")})
    return pd.DataFrame(out).sort_values("beta")


def table_2_4(rows: list[dict], thesis: dict, at_chance_k: float) -> pd.DataFrame:
    """MIG overall and per factor per beta, with the thesis's Table 2.4 in the thesis_* columns and, next
    to every value, the chance level (``chance_*``: mean MIG of random Gaussian codes, same N and bins),
    its spread (``chance_*_std``) and whether the value is at chance (``*_at_chance``: at most
    mean + ``at_chance_k`` x spread)."""
    out = []
    for r in rows:
        t = thesis.get(f"{r['beta']:g}", {})
        row = {"beta": r["beta"], "mig": r["mig"], **r["mig_per_factor"], "chance_mig": r["mig_chance"],
               "chance_mig_std": r["mig_chance_std"], "thesis_mig": t.get("overall")}
        row.update({f"thesis_{f}": t.get(f) for f in MIG_FACTORS})
        row["mig_at_chance"] = mig.at_chance(r["mig"], r["mig_chance"], r["mig_chance_std"], at_chance_k)
        for f in MIG_FACTORS:
            c = r["mig_chance_per_factor"][f]
            row.update({f"chance_{f}": c["mean"], f"chance_{f}_std": c["std"],
                        f"{f}_at_chance": mig.at_chance(r["mig_per_factor"][f], c["mean"], c["std"], at_chance_k)})
        out.append(row)
    return pd.DataFrame(out).sort_values("beta")


def to_markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append("–" if v is None or (isinstance(v, float) and v != v) else
                         (f"{v:.{digits}g}" if isinstance(v, float) and c != "beta" else f"{v:g}" if isinstance(v, float) else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
