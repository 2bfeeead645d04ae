"""Why the numbers differ: hypothesis experiments for the thesis numbers the replication does
not reproduce, and the link from scorecard rows to them (:func:`explanation`)."""

from __future__ import annotations

import pandas as pd

from ..claim import covers
from .table import check


def explanation(scorecard: pd.DataFrame, forensics: pd.DataFrame, where: str = "forensics.md") -> pd.Series:
    """The scorecard's ``explanation`` column: for every scorecard row, the forensics rows aimed at its claim ID
    (or at a prefix of it: every row of a table), as "H-x: verdict" joined by "; " and pointing at ``where``;
    "" where no hypothesis was tested."""
    forensics = check(forensics)
    out = []
    for r in scorecard.to_dict("records"):
        mask = forensics["claim_id"].map(lambda t: covers(str(t), str(r["claim_id"]))).astype(bool)  # a mask even when empty
        hits = forensics[mask]
        out.append("; ".join(f"{h.split(':')[0]}: {v}" for h, v in zip(hits["hypothesis"], hits["verdict"]))
                   + (f" ({where})" if len(hits) else ""))
    return pd.Series(out, index=scorecard.index, name="explanation")
