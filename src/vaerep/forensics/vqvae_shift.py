"""Study C's shift hypothesis (H-C-shift): the C3 claim "the VQ-VAE is robust to shifts of its latent grid" judged at
another shift than the study's. Each VQ-VAE seed gives its manipulation table at the study's shift (the
baseline) and at the hypothesis's; every condition of the claim (``ratio`` and ``ratio_vs_no_op`` of
``shift_x`` and ``shift_y``, each at most its threshold) that fails at either shift becomes one row, judged by
the forensics stage's one rule (:func:`vaerep.forensics.control.judge`) against the between-seed spread: a
condition the hypothesis breaks shows up as a move away from the thesis. A row explains only when the op's other
condition holds at the hypothesis's shift too: a model that ignores its code (untrained, or fed a random code)
scores ``ratio`` about 1, within its bound, and only ``ratio_vs_no_op`` (about 1 there) tells it apart."""

from __future__ import annotations

import pandas as pd

from ..vqvae.claims import SOURCE
from .control import Estimate, Target, judge

CLAIM_ID = "C3.shift_robust"
OPS = ("shift_x", "shift_y")
WHAT = {"ratio": "MSE(decode(shift z), shifted image) / reconstruction MSE",
        "ratio_vs_no_op": "MSE(decode(shift z), shifted image) / MSE(reconstruction, shifted image)"}


def shift_rows(tables: list[pd.DataFrame], study_shift: int, hyp: dict, thresholds: dict, k: float,
               experiment: str) -> list[dict]:
    """The H-C-shift rows. ``tables``: one manipulation table per seed holding the shift rows at both shifts (column
    ``shift_cells``); ``hyp``: the config's ``forensics.shift`` (hypothesis, shift_cells, seeds);
    ``thresholds``: column -> the largest value that respects the op (the claim's respect_ratio and
    respect_anchor); ``k``: the noise multiplier of the between-seed spread."""
    def values(op, column, shift):
        return Estimate.of(float(t[(t["operation"] == op) & (t["shift_cells"] == shift)][column].iloc[0])
                           for t in tables)

    rows = []
    for op in OPS:
        for column, limit in thresholds.items():
            base, moved = values(op, column, study_shift), values(op, column, hyp["shift_cells"])
            target = Target("at_most", limit)
            if target.lands(base.mean) and target.lands(moved.mean):
                continue  # a condition that holds at both shifts: nothing to explain, nothing broken
            verdict = judge(base, moved, target, k, ".3g")
            others = {c: values(op, c, hyp["shift_cells"]) for c in thresholds if c != column}
            unmet = [f"{c} {e.mean:.3g} > {thresholds[c]:g}" for c, e in others.items()
                     if not Target("at_most", thresholds[c]).lands(e.mean)]
            if verdict["verdict"] == "explains" and unmet:  # the op must be carried out too: a null passes `ratio`
                verdict["verdict"] = "partly"
                verdict["reason"] += f", but the op's other condition fails at this shift ({'; '.join(unmet)})"
            if target.lands(base.mean):
                verdict["reason"] = (f"moves away from the thesis: the study's shift meets it ({base.mean:.3g}), the "
                                     f"hypothesis's breaks it ({moved.mean:.3g}, needs {target.text()})")
            rows.append({"study": "C vqvae", "source": SOURCE["shift"], "claim_id": CLAIM_ID,
                         "target": f"{op}: {WHAT[column]} (respected)", "thesis_value": f"<= {limit:g}",
                         "hypothesis": f"{hyp['hypothesis']}: the thesis shifted by {hyp['shift_cells']} "
                                       f"cell{'s' if hyp['shift_cells'] != 1 else ''}, not {study_shift}",
                         "experiment": experiment, "measured": moved.text(".3g"),
                         **{c: verdict[c] for c in ("baseline", "move", "noise", "verdict", "reason")}})
    return rows
