"""Study B evaluation: posterior means, MIG per factor, PCA of the means, Tables 2.3 and 2.4."""

from __future__ import annotations

import pandas as pd
import torch

from ..models.beta_vae import to_float
from . import mig as M

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
    return M.mig(means, classes[:, cols], list(MIG_FACTORS), bins)


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


def table_2_4(rows: list[dict], thesis: dict) -> pd.DataFrame:
    """MIG overall and per factor per beta, with the thesis's Table 2.4 in the thesis_* columns."""
    out = []
    for r in rows:
        t = thesis.get(f"{r['beta']:g}", {})
        row = {"beta": r["beta"], "mig": r["mig"], **r["mig_per_factor"], "chance_mig": r.get("mig_chance"),
               "thesis_mig": t.get("overall")}
        row.update({f"thesis_{f}": t.get(f) for f in MIG_FACTORS})
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
