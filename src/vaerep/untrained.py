"""Null controls: a run "trained" for zero epochs keeps its seeded initial weights (``fit`` with
``epochs: 0`` saves them as model.pt). Its history then has no rows; :func:`init_history` gives it
one, epoch 0, with the loss terms of the initial weights, so the same evaluation code reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import torch

from .train import evaluate


def init_history(model, out_dir: Path | str, train: Sequence[torch.Tensor], device, prepare: Callable,
                 val: Sequence[torch.Tensor] | None = None, batch_size: int = 1024) -> pd.DataFrame:
    """Write ``history.csv`` with one row (epoch 0): every loss term of ``model`` as initialised, on the
    training tensors (``train_*``) and the validation tensors (``val_*``, when given), in eval mode,
    sampling seed 0; 0 seconds of training."""
    row = {"epoch": 0}
    row.update({f"train_{k}": v for k, v in evaluate(model, train, device, prepare, batch_size, seed=0).items()})
    if val is not None:
        row.update({f"val_{k}": v for k, v in evaluate(model, val, device, prepare, batch_size, seed=0).items()})
    row.update({"seconds": 0.0, "samples_per_s": float("nan")})
    frame = pd.DataFrame([row])
    frame.to_csv(Path(out_dir) / "history.csv", index=False)
    return frame
