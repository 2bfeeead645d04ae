"""Why a claim or number "differs": split its check into the conditions it failed and class each as
a *scale artefact* (the run is smaller than the thesis's and the quantity still moves toward its threshold, by a
slope beyond ``noise_k`` of its standard errors, fast enough to cross it within the thesis's training budget), a
*threshold choice* (it misses a chosen threshold by less than the configured margin and by less than ``noise_k``
times the quantity's measured noise; the threshold at which the verdict flips is the measured value) or a *real
difference* (neither). The rules' numbers come from config (``rules``: noise_k, threshold_margin, trend_points,
min_trend_points, max_extrapolation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..claim import Leaf

VERDICT_ORDER = ("explains", "partly", "does not explain")


@dataclass
class Budget:
    """The run's training size against the thesis's: ``reduced`` is the scorecard's reduced-scale reason
    ('' at the thesis's scale); epochs and training images of the run and of the thesis."""
    reduced: str
    epochs: int
    n_train: int
    thesis_epochs: int
    thesis_n_train: int

    def remaining_samples(self) -> int:
        return self.thesis_epochs * self.thesis_n_train - self.epochs * self.n_train


@dataclass
class Trend:
    """A least-squares line through the last kept values of a quantity: slope per epoch, its standard error and
    the residual standard deviation (both from the fit's residuals, n - 2 degrees of freedom; NaN with two
    points or fewer), the epochs used and the first of their values."""
    slope: float
    se: float
    resid_std: float
    epochs: list
    start: float

    @property
    def n(self) -> int:
        return len(self.epochs)


def trend(series: dict, points: int) -> Trend:
    """The :class:`Trend` of the last ``points`` entries of ``series`` (epoch -> value)."""
    e = sorted(series)[-points:]
    if len(e) < 2:
        return Trend(float("nan"), float("nan"), float("nan"), e, float(series[e[0]]) if e else float("nan"))
    x, y = np.array(e, dtype=float), np.array([series[k] for k in e], dtype=float)
    slope, icpt = np.polyfit(x, y, 1)
    if len(e) > 2:
        resid = np.sqrt(np.sum((y - (slope * x + icpt)) ** 2) / (len(e) - 2))
        se = resid / np.sqrt(np.sum((x - x.mean()) ** 2))
    else:
        resid = se = float("nan")
    return Trend(float(slope), float(se), float(resid), e, float(y[0]))


def _scale(leaf: Leaf, budget: Budget, rules: dict) -> tuple[str, str]:
    """(verdict, why) of the scale-artefact hypothesis for one failing condition: the slope must point at the
    threshold and exceed ``noise_k`` times its own standard error."""
    if not budget.reduced:
        return "does not explain", "the run is at the thesis's scale"
    if len(leaf.series) < 2:
        return "does not explain", "no trend: the run keeps fewer than 2 values of this quantity"
    t = trend(leaf.series, rules["trend_points"])
    slope, n, k = t.slope, t.n, rules["noise_k"]
    up = leaf.op in (">=", ">")
    gap = abs(leaf.threshold - leaf.value)
    where = f"slope {slope:+.3g} ± {t.se:.3g} per epoch over epochs {t.epochs} ({leaf.series_from})"
    if not np.isfinite(t.se):
        return "does not explain", f"{where}: no trend, {n} points leave no residuals to measure its uncertainty"
    flat = abs(slope) <= 1e-9 * max(1.0, abs(leaf.value), abs(leaf.threshold))  # round-off of a constant series
    if flat or not abs(slope) > k * t.se:
        return "does not explain", f"{where}: no trend, the slope lies within {k:g} standard errors of 0"
    if (slope > 0) != up:
        return "does not explain", f"{where}: moves away from the threshold"
    epochs = gap / abs(slope)
    need = epochs * budget.n_train
    left = budget.remaining_samples()
    at = (f"{where}: at that slope it crosses after {epochs:.3g} more epochs of {budget.n_train:,} images "
          f"({need / budget.thesis_n_train:.3g} thesis epochs); the thesis trained {left / budget.thesis_n_train:.3g} "
          f"epochs' worth more than this run")
    if need > left:
        return "does not explain", at + ": too slow to close the gap"
    if epochs > rules["max_extrapolation"] * budget.epochs:
        return "partly", at + (f", but that is more than {rules['max_extrapolation']}x the {budget.epochs} epochs the "
                               "trend was measured over")
    if n < rules["min_trend_points"]:
        return "partly", at + f", but the trend rests on {n} points (fewer than {rules['min_trend_points']})"
    return "explains", at


def noise_of(leaf: Leaf, rules: dict) -> tuple[float, str]:
    """The quantity's measured noise and its name: the between-seed std where it was measured per seed, else the
    residual std of its last kept values about their trend (NaN where neither exists)."""
    if np.isfinite(leaf.spread):
        return float(leaf.spread), "seed std"
    return trend(leaf.series, rules["trend_points"]).resid_std, "residual std"


def _threshold(leaf: Leaf, rules: dict) -> tuple[str, str]:
    """(verdict, why) of the threshold-choice hypothesis for one failing condition: the gap must lie within the
    chosen threshold's margin and within ``noise_k`` times the quantity's measured noise (:func:`noise_of`);
    without a noise estimate it is no threshold choice."""
    if leaf.definitional:
        return "does not explain", f"the threshold {leaf.threshold:g} is the claim's meaning, not a choice"
    if not np.isfinite(leaf.value):
        return "does not explain", "no finite value"
    gap = abs(leaf.value - leaf.threshold)
    rel = gap / max(abs(leaf.threshold), 1e-12)
    flip = f"the verdict flips at a threshold of {leaf.value:.4g} ({rel:.0%} from {leaf.threshold:g})"
    if rel > rules["threshold_margin"]:
        return "does not explain", flip + f", beyond the margin {rules['threshold_margin']:.0%}"
    (std, what), k = noise_of(leaf, rules), rules["noise_k"]
    if not np.isfinite(std):
        n = trend(leaf.series, rules["trend_points"]).n
        return "does not explain", flip + f", within the margin, but no noise estimate ({n} kept values, one seed)"
    if gap > k * std:
        return "does not explain", flip + f", within the margin but beyond the noise ({gap:.3g} > {k:g} × {what} {std:.3g})"
    return "explains", flip + (f", within the margin {rules['threshold_margin']:.0%} and within the noise "
                               f"({gap:.3g} <= {k:g} × {what} {std:.3g})")


def classify_leaf(leaf: Leaf, budget: Budget, rules: dict) -> dict:
    """One failing condition: the verdict of each hypothesis, the one that explains it (if any), the text."""
    sv, swhy = _scale(leaf, budget, rules)
    tv, twhy = _threshold(leaf, rules)
    if sv == "explains":
        cat, verdict = "scale artefact", "explains"
    elif tv == "explains":
        cat, verdict = "threshold choice", "explains"
    elif sv == "partly":
        cat, verdict = "scale artefact", "partly"
    else:
        cat, verdict = "real difference", "does not explain"
    text = (f"{leaf.name} = {leaf.value:.4g}, needs {leaf.op} {leaf.threshold:g} ({leaf.source}); "
            f"scale: {swhy}; threshold: {twhy}")
    return {"leaf": leaf, "category": cat, "verdict": verdict, "text": text,
            "trend": trend(leaf.series, rules["trend_points"]) if leaf.series else None}


def category(verdict: str, leaves: list[dict]) -> str:
    """The class of a check from its classed failing conditions: the hypotheses that explain them (marked
    "(in part)" when only some are explained), or "real difference"."""
    if verdict == "does not explain":
        return "real difference"
    named = " + ".join(sorted({x["category"] for x in leaves if x["verdict"] != "does not explain"}))
    return named if verdict == "explains" else f"{named} (in part)"


def classify(cond, budget: Budget, rules: dict) -> dict:
    """The failing conditions of a check, each classed; the check's category and verdict: *explains* when
    every failing condition of an 'all' group (or one of an 'any' group) is explained, *partly* when some
    are, *does not explain* (a real difference) when none is. A passing check raises ValueError."""
    if cond.passes():
        raise ValueError("the check passes: there is no difference to explain")
    if isinstance(cond, Leaf):
        out = classify_leaf(cond, budget, rules)
        verdict, leaves = out["verdict"], [out]
    else:
        parts = [classify(p, budget, rules) for p in cond.parts if not p.passes()]
        if cond.kind == "any":
            return min(parts, key=lambda p: VERDICT_ORDER.index(p["verdict"]))
        leaves = [x for p in parts for x in p["leaves"]]
        verdicts = {p["verdict"] for p in parts}
        verdict = ("explains" if verdicts == {"explains"} else
                   "does not explain" if verdicts == {"does not explain"} else "partly")
    return {"category": category(verdict, leaves), "verdict": verdict, "leaves": leaves}
