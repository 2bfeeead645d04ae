"""Forensics rows for the scorecard rows that "differ": one row per such row, classed by
:func:`vaerep.forensics.classify.classify` as a scale artefact, a threshold choice or a real difference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import REHEARSAL, dotted, study_settings
from . import figures, table
from .classify import Budget, classify

ALL_TRAINING_IMAGES = None  # a study setting n_train_images: null means every training image


def budget(section: dict, scale: str, part: dict, reduced: str) -> Budget:
    """The run's and the thesis's training size for one part of a study (``part``: dotted setting names of its
    ``epochs`` and ``n_train``, and ``thesis_n_train``, the size of the training split a null setting means).
    A part without ``epochs`` trains nothing of its own (a pretrained model): it counts as the thesis's scale."""
    if "epochs" not in part:
        return Budget("", 0, 0, 0, 0)
    # A rehearsal trains the `full` scale's epochs on its full sizes (only its steps per epoch are cut, which
    # ``reduced`` says), so its budget reads as the full one's.
    now = study_settings({"scale": "full" if scale == REHEARSAL else scale, "study": section}, "study")
    full = study_settings({"scale": "full", "study": section}, "study")

    def n(tree):
        v = dotted(tree, part["n_train"])
        return part["thesis_n_train"] if v is ALL_TRAINING_IMAGES else int(v)

    return Budget(reduced, int(dotted(now, part["epochs"])), n(now), int(dotted(full, part["epochs"])), n(full))


def forensics_row(card_row: dict, cond, budget_: Budget, rules: dict, experiment: str) -> dict:
    """The forensics row of one scorecard row that differs, its hypothesis named after the row's claim ID
    ('H-<claim ID>'); ``cond``: the row's check (None: it has no condition tree)."""
    hypothesis_id = f"H-{card_row['claim_id']}"
    base = {"study": card_row["study"], "source": card_row["source"], "claim_id": card_row["claim_id"],
            "target": card_row["claim"], "thesis_value": card_row["thesis_value"], "experiment": experiment}
    if cond is None:
        return {**base, "hypothesis": f"{hypothesis_id} (not classified)", "measured": str(card_row["replicated_value"]),
                "baseline": "not classified", "move": "not classified", "noise": "not measured",
                "verdict": "does not explain", "reason": "the check has no condition tree"}
    out = classify(cond, budget_, rules)
    leaves = out["leaves"]
    return {**base, "hypothesis": f"{hypothesis_id} ({out['category']})", **trend_columns(leaves, rules["noise_k"]),
            "measured": "; ".join(f"{x['leaf'].name} = {x['leaf'].value:.4g} (needs {x['leaf'].op} {x['leaf'].threshold:g})"
                                  for x in leaves),
            "verdict": out["verdict"],
            "reason": " | ".join(f"{x['category']}: {x['text']}" for x in leaves)
                      + (f" | settings: {budget_.reduced}" if budget_.reduced else ""),
            "_leaves": leaves}


def trend_columns(leaves: list[dict], k: float) -> dict:
    """The baseline, move and noise columns of a classified row, one entry per failing condition: the first of the
    values the trend was fitted to, the slope per epoch ± its standard error, and k × that standard error with the
    residual std of the values (what a trend and a threshold gap are judged against), and k × the between-seed std
    where the quantity was measured per seed (Study C1); a quantity measured per seed without a kept course (Study
    A, trained at the thesis's scale) has no trend and shows k × its seed std."""
    def one(x, what):
        t, spread = x["trend"], x["leaf"].spread
        if np.isfinite(spread) and (t is None or t.n < 2):  # measured per seed, no kept course (Study A)
            return {"baseline": "final models of the seeds (no course kept)",
                    "move": "none: trained at the thesis's scale, no trend to extrapolate",
                    "noise": f"{k:g} × seed std {k * spread:.3g} (seed std {spread:.3g})"}[what]
        if t is None or t.n < 2:
            return {"baseline": "no kept series", "move": "no trend", "noise": "not measured"}[what]
        if what == "baseline":
            return f"{t.start:.4g} at epoch {t.epochs[0]}"
        if what == "move":
            return f"{t.slope:+.3g} per epoch over epochs {t.epochs}"
        seeds = f"; {k:g} × seed std {k * spread:.3g}" if np.isfinite(spread) else ""  # a threshold gap's noise
        if not np.isfinite(t.se):
            return f"not measured ({t.n} kept values: no residuals){seeds}"
        return f"slope {k:g} × SE {k * t.se:.3g}; residual std {t.resid_std:.3g}{seeds}"

    return {c: "; ".join(one(x, c) for x in leaves) for c in ("baseline", "move", "noise")}


def differs(rows: list[dict]) -> list[dict]:
    """The scorecard rows whose verdict is 'differs'."""
    return [r for r in rows if r["verdict"] == "differs"]


def write(rows: list[dict], output, study: str) -> pd.DataFrame:
    """A study's forensics rows as ``output.csv``, its "Why it differs" snippet as ``output.md`` and the trend
    figure as ``output.figure`` (``study``: "Study C", "Study D")."""
    frame = pd.DataFrame(rows, columns=table.COLUMNS)
    frame.to_csv(output.csv, index=False)
    Path(output.md).write_text(table.snippet(f"{study}: why the numbers differ", frame, output.figure))
    figures.trends(rows, output.figure, f"{study}: the failing quantities over training")
    return frame
