"""The whole scorecard in one figure, for the front page: every thesis number's distance from the thesis in
units of its tolerance, with its null control beside it and the verdict as colour, and the claims' verdicts
counted, grouped by study."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .scorecard import AT_CHANCE, NOT_INFORMATIVE, VERDICTS, is_claim  # noqa: E402

COLOURS = {"replicates": "#2e8b57", "differs": "#d62728", "not comparable": "#a0a0a0",
           NOT_INFORMATIVE: "#ff9f1c", AT_CHANCE: "#8e6cbf"}
CLIP = 1000.0  # distances beyond ±CLIP tolerances are drawn at the edge
DOT, CROSS = 28, 16  # marker areas of a number and of its null control


def _in_tolerances(difference: pd.Series, tol: pd.Series) -> pd.Series:
    """``difference / tol``; with tolerance 0 (an exact count, such as a parameter count) an exact match is 0
    and any miss lies beyond every plotted distance (drawn at the edge)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = difference / tol  # a miss over tolerance 0 is already ±inf; only 0 / 0 needs saying
    return ratio.mask((tol == 0) & (difference == 0), 0.0)


def distances(card: pd.DataFrame) -> pd.DataFrame:
    """The number rows (not the claims) with ``distance`` = difference / tolerance (the difference being
    replicated − thesis) and ``null_distance`` = (null control − thesis) / tolerance; rows without a thesis
    value, a replicated value or a tolerance are left out."""
    nums = card[~is_claim(card)].copy()
    tol = pd.to_numeric(nums["tolerance"], errors="coerce")
    nums["distance"] = _in_tolerances(pd.to_numeric(nums["difference"], errors="coerce"), tol)
    nums["null_distance"] = _in_tolerances(pd.to_numeric(nums["null_value"], errors="coerce")
                                           - pd.to_numeric(nums["thesis_value"], errors="coerce"), tol)
    return nums[nums["distance"].notna()][["study", "claim_id", "verdict", "scale", "distance", "null_distance"]]


def claim_counts(card: pd.DataFrame) -> pd.DataFrame:
    """Verdict counts of the qualitative claims per study (studies in letter order, verdicts as columns)."""
    claims = card[is_claim(card)]
    studies = sorted(set(card["study"]))
    return (claims.groupby(["study", "verdict"]).size().unstack(fill_value=0)
            .reindex(index=studies, columns=list(VERDICTS), fill_value=0))


def draw(card: pd.DataFrame, title: str = "") -> plt.Figure:
    """The figure: left, one dot per thesis number at its distance from the thesis (symmetric log scale,
    the shaded band is ±1 tolerance), its null control as a grey cross on the same line; right, the claims'
    verdicts per study as stacked bars. One row band per study, verdict as colour."""
    studies = sorted(set(card["study"]))
    nums, counts = distances(card), claim_counts(card)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 0.9 + 0.9 * len(studies)), sharey=True,
                                 gridspec_kw={"width_ratios": [3, 1]})
    rng = np.random.default_rng(0)  # vertical spread of the dots within a study's band, the same every time
    for i, study in enumerate(studies):
        rows = nums[nums["study"] == study]
        y = i + rng.uniform(-0.3, 0.3, len(rows))
        x = rows["distance"].clip(-CLIP, CLIP).to_numpy()
        nx = rows["null_distance"].clip(-CLIP, CLIP).to_numpy()
        for xi, ni, yi in zip(x, nx, y):
            if np.isfinite(ni):
                ax.plot([xi, ni], [yi, yi], color="#cccccc", lw=0.6, zorder=1)
        ax.scatter(nx, y, marker="x", s=CROSS, color="#555555", lw=0.8, zorder=2)
        ax.scatter(x, y, s=DOT, c=[COLOURS[v] for v in rows["verdict"]], edgecolors="black", linewidths=0.3,
                   zorder=3)
        left = 0
        for verdict in VERDICTS:
            n = counts.loc[study, verdict]
            if n:
                bx.barh(i, n, left=left, color=COLOURS[verdict], edgecolor="white", height=0.6)
                bx.text(left + n / 2, i, str(n), ha="center", va="center", fontsize=8)
                left += n
    ax.axvspan(-1, 1, color="#2e8b57", alpha=0.12, zorder=0)
    ax.axvline(0, color="#2e8b57", lw=0.8)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(-CLIP * 1.5, CLIP * 1.5)
    ax.set_xlabel("(replicated − thesis) / tolerance   (shaded: within tolerance)")
    ax.set_yticks(range(len(studies)), studies)
    ax.set_ylim(len(studies) - 0.5, -0.5)
    ax.set_title(f"Thesis numbers ({len(nums)} with a thesis value and a tolerance)", fontsize=10)
    bx.set_xlabel("claims")
    bx.set_title(f"Qualitative claims ({int(counts.to_numpy().sum())})", fontsize=10)
    shown = [v for v in VERDICTS if v in set(nums["verdict"]) or counts[v].sum()]
    handles = [Patch(color=COLOURS[v], label=v) for v in shown]
    handles.append(Line2D([], [], marker="x", color="#555555", lw=0, label="null control (untrained model)"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def png(card: pd.DataFrame, title: str = "", dpi: int = 110) -> bytes:
    """:func:`draw` as PNG bytes (for a report page, whatever matplotlib backend the kernel has)."""
    fig = draw(card, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
