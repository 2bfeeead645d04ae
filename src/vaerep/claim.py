"""A thesis claim defined once: a stable ID, its sentence, where the thesis makes it, the evidence shown to the
reader, and its check as a small tree of conditions (:class:`Leaf`, :class:`Group`) with thresholds from config.
Evaluating the tree gives the verdict; the forensics stage (vaerep.forensics.classify) classes the failing
leaves of the same tree. Scorecard rows, null controls and forensics join on the ID, never on the sentence."""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
BEYOND_THESIS = ("holds", "does not hold")  # verdicts of checks the pipeline adds, not thesis claims
NULL_FINAL = "null control (epoch 0) and final model"  # where a two-point course comes from
_ID = re.compile(r"^[A-D][0-9]?(\.[a-z0-9_]+)+$")


@dataclass
class Leaf:
    """One condition of a check: ``value op threshold`` passes. ``definitional``: the threshold is the claim's
    own meaning (0 for "better", "grows"), not a choice, so it cannot be a threshold choice. ``series``: the
    quantity per epoch (epoch -> value) where the run kept it; ``series_from`` says where it was read.
    ``spread``: the quantity's between-seed standard deviation (ddof 1) where it was measured per seed (NaN
    otherwise): the noise a threshold gap is judged against."""
    name: str
    value: float
    op: str
    threshold: float
    source: str
    definitional: bool = False
    series: dict = field(default_factory=dict)
    series_from: str = ""
    spread: float = float("nan")

    def passes(self) -> bool:
        if self.op not in OPS:
            raise ValueError(f"condition '{self.name}': unknown comparison '{self.op}' (choose from {list(OPS)})")
        return bool(np.isfinite(self.value) and OPS[self.op](self.value, self.threshold))


def course(null: float | None, final: float, epochs: int | None) -> dict:
    """A quantity's course over training as far as it is known: the null control's value at epoch 0 (when
    given) and the final model's at ``epochs`` (when known)."""
    out = {} if null is None else {0: float(null)}
    return out if epochs is None else {**out, int(epochs): float(final)}


def measured(x) -> float:
    """A measured value for a leaf: an infinite one as the largest finite float of its sign, so the leaf
    compares it with a finite threshold as a plain comparison does (a leaf fails every non-finite value);
    NaN stays NaN and fails."""
    x = float(x)
    return (sys.float_info.max if x > 0 else -sys.float_info.max) if math.isinf(x) else x


def flag(name: str, ok: bool, meaning: str) -> Leaf:
    """A yes/no condition (an order, a set equality) as a leaf: 1 when it holds, needs >= 1; its threshold is
    the claim's meaning, never a choice."""
    return Leaf(name, 1.0 if ok else 0.0, ">=", 1.0, meaning, True)


@dataclass
class Group:
    """Conditions that must all pass (``kind`` 'all') or of which one must pass ('any')."""
    kind: str
    parts: list

    def passes(self) -> bool:
        if self.kind not in ("all", "any"):
            raise ValueError(f"unknown condition group '{self.kind}' (choose 'all' or 'any')")
        hits = [p.passes() for p in self.parts]
        return all(hits) if self.kind == "all" else any(hits)


def every(*parts) -> Group:
    """All of ``parts`` must pass."""
    return Group("all", list(parts))


@dataclass
class Claim:
    """A claim and its check. ``id``: stable, '<study>.<name>' (e.g. 'D.neighbours_4_9'); ``source``: where the
    thesis makes it; ``comparable`` False (with ``why``) when no verdict on the thesis can be given at all, the
    check still says whether it holds on the model that ran; ``beyond_thesis``: a check the pipeline adds
    (verdict holds / does not hold, not on the scorecard); ``tolerance_source``: why the threshold is what it is."""
    id: str
    sentence: str
    source: str
    evidence: str
    check: Leaf | Group
    comparable: bool = True
    why: str = ""
    beyond_thesis: bool = False
    tolerance_source: str = ""

    def __post_init__(self):
        if not _ID.match(self.id):
            raise ValueError(f"claim ID '{self.id}' is not '<study>.<lower_case_name>[.<...>]'")

    def holds(self) -> bool:
        return self.check.passes()

    def verdict(self) -> str:
        ok = self.holds()
        if self.beyond_thesis:
            return BEYOND_THESIS[0] if ok else BEYOND_THESIS[1]
        if not self.comparable:
            return "not comparable" + (f" ({self.why})" if self.why else "")
        return "replicates" if ok else "differs"


def frame(claims: list[Claim], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """claims.csv: id, source, claim, evidence, verdict and the ``extra`` columns asked for
    ('holds_on_this_model', 'tolerance_source'). Two claims with one ID raise ValueError."""
    _unique([c.id for c in claims])
    rows = []
    for c in claims:
        row = {"id": c.id, "source": c.source, "claim": c.sentence, "evidence": c.evidence, "verdict": c.verdict()}
        if "holds_on_this_model" in extra:
            row["holds_on_this_model"] = c.holds()
        if "tolerance_source" in extra:
            row["tolerance_source"] = c.tolerance_source
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", "source", "claim", "evidence", "verdict", *extra])


def checks(claims: list[Claim]) -> dict:
    """Claim ID -> its check (the condition tree), for the forensics stage; two claims with one ID raise
    ValueError."""
    _unique([c.id for c in claims])
    return {c.id: c.check for c in claims}


def _unique(ids: list[str]) -> None:
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"claim IDs used twice: {dup}")


def covers(target: str, claim_id: str) -> bool:
    """Whether a forensics row aimed at ``target`` (a claim ID, or an ID prefix such as 'B.table_2_3' for
    every row of a table) concerns the row ``claim_id``."""
    return claim_id == target or claim_id.startswith(target + ".")
