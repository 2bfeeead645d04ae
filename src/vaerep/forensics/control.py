"""The one verdict rule of the forensics stage: a hypothesis *explains* a thesis number only against a control.

A hypothesis changes one thing about a run (the baseline). It *explains* the thesis's number when (1) the
baseline misses the thesis beyond tolerance, (2) the hypothesis moves the number toward the thesis by more
than the noise, and (3) the result lands within tolerance. *partly*: (1) and (2) without (3). *does not
explain*: anything else (a baseline that already replicates, a move away, a move within the noise, or no
noise estimate at all).

The move is ``offset(baseline) - offset(hypothesis)``, where the offset from the thesis is ``|x - thesis|``
for a number (within tolerance: lands), ``max(0, threshold - x)`` for "at least" (0: lands) and the distance
to the interval for a range (0: lands). The noise is ``k`` times the larger between-seed standard deviation (ddof 1) of the
baseline and the hypothesis: a move must exceed what a second set of seeds could give on its own. With one
seed there is no spread to judge against, so nothing can explain; the row says so."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A number measured over seeds: mean, between-seed standard deviation (NaN with one seed), seeds."""
    mean: float
    spread: float
    n: int

    @classmethod
    def of(cls, values) -> "Estimate":
        v = np.asarray(list(values), dtype=float)
        return cls(float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan"), len(v))

    def text(self, fmt: str = ".4g") -> str:
        spread = f" ± {self.spread:{fmt}}" if math.isfinite(self.spread) else ""
        return f"{self.mean:{fmt}}{spread} ({self.n} seed{'s' if self.n != 1 else ''})"


@dataclass(frozen=True)
class Target:
    """Where the thesis's number lies: ``value`` ± ``tolerance`` ('near'), at least ``value`` ('at_least'),
    at most ``value`` ('at_most') or inside [value, upper] ('range')."""
    kind: str
    value: float
    tolerance: float = 0.0
    upper: float = float("nan")

    def offset(self, x: float) -> float:
        """How far ``x`` lies from the thesis's number (or outside its band: 0 inside it)."""
        if self.kind == "near":
            return abs(x - self.value)
        if self.kind == "at_least":
            return max(0.0, self.value - x)
        if self.kind == "at_most":
            return max(0.0, x - self.value)
        if self.kind == "range":
            if not self.value <= self.upper:
                raise ValueError(f"range target [{self.value}, {self.upper}]: needs a lower and a finite upper end")
            return max(0.0, self.value - x, x - self.upper)
        raise ValueError(f"unknown target kind '{self.kind}' (choose near, at_least, at_most or range)")

    def lands(self, x: float) -> bool:
        """Whether ``x`` replicates the thesis's number (within tolerance, inside the band)."""
        return bool(np.isfinite(x)) and self.offset(x) <= (self.tolerance if self.kind == "near" else 0.0)

    def text(self) -> str:
        return {"near": f"{self.value:g} ± {self.tolerance:g}", "at_least": f">= {self.value:g}",
                "at_most": f"<= {self.value:g}", "range": f"[{self.value:g}, {self.upper:g}]"}[self.kind]


def noise(baseline: Estimate, hypothesis: Estimate, k: float) -> float:
    """k times the larger between-seed standard deviation of the two; NaN where either has one seed."""
    return k * max(baseline.spread, hypothesis.spread) if baseline.n > 1 and hypothesis.n > 1 else float("nan")


def judge(baseline: Estimate, hypothesis: Estimate, target: Target, k: float, fmt: str = ".4g") -> dict:
    """The verdict of one hypothesis on one thesis number, with the columns every forensics row shows:
    ``baseline``, ``move`` (toward the thesis, signed) and ``noise`` (as text), the numbers, and the reason."""
    d_base, d_hyp = target.offset(baseline.mean), target.offset(hypothesis.mean)
    move = d_base - d_hyp
    nz = noise(baseline, hypothesis, k)
    noise_text = (f"{nz:{fmt}} ({k:g} × seed std)" if math.isfinite(nz)
                  else f"not measured ({min(baseline.n, hypothesis.n)} seed): no between-seed spread")
    if target.lands(baseline.mean):
        verdict, why = "does not explain", f"the baseline {baseline.mean:{fmt}} already lies in the thesis's band {target.text()}"
    elif not math.isfinite(nz):
        verdict, why = "does not explain", "one seed: the move cannot be told from seed noise"
    elif move <= nz:
        how = "moves away from the thesis" if move < 0 else "moves within the noise"
        verdict, why = "does not explain", f"{how}: move {move:+{fmt}} vs noise {nz:{fmt}}"
    elif target.lands(hypothesis.mean):
        verdict, why = "explains", f"moves {move:+{fmt}} toward the thesis (noise {nz:{fmt}}) and lands in {target.text()}"
    else:
        verdict, why = "partly", (f"moves {move:+{fmt}} toward the thesis (noise {nz:{fmt}}) but lands "
                                  f"at {hypothesis.mean:{fmt}}, outside {target.text()}")
    return {"verdict": verdict, "reason": why, "baseline": baseline.text(fmt), "move": f"{move:+{fmt}}",
            "noise": noise_text, "move_value": move, "noise_value": nz}


def fisher_tail(shown_base: int, n_base: int, shown_hyp: int, n_hyp: int) -> float:
    """One-sided Fisher exact p-value that the hypothesis's seeds show a property at least as often as
    ``shown_hyp`` of ``n_hyp`` by chance, given ``shown_base`` of ``n_base`` baseline seeds (hypergeometric tail)."""
    total, shown = n_base + n_hyp, shown_base + shown_hyp
    ways = math.comb(total, n_hyp)
    return sum(math.comb(shown, j) * math.comb(total - shown, n_hyp - j)
               for j in range(shown_hyp, min(shown, n_hyp) + 1)) / ways


def judge_count(shown_base: int, n_base: int, shown_hyp: int, n_hyp: int, alpha: float, what: str) -> dict:
    """The verdict of one hypothesis on a thesis claim about seeds, "some seeds show ``what``, others do not":
    it lands when 1 to n-1 seeds show it. The move (seeds gained toward that pattern) counts only when a
    one-sided Fisher exact test of the two seed sets gives p < ``alpha`` (the count's noise); the row also
    says the best p a landing count could reach with these seeds, so a verdict that more seeds would change
    reads as such."""
    def lands(k, n):
        return 1 <= k <= n - 1

    # toward the pattern: fewer seeds showing it when the baseline's all show it, else more
    up = shown_base < n_base
    s_b, s_h = (shown_base, shown_hyp) if up else (n_base - shown_base, n_hyp - shown_hyp)
    p = fisher_tail(s_b, n_base, s_h, n_hyp)
    best = fisher_tail(s_b, n_base, n_hyp - 1, n_hyp) if n_hyp > 1 else 1.0
    move = s_h - s_b * n_hyp / n_base
    noise_text = f"Fisher p = {p:.3g} (needs < {alpha:g}; {n_base} + {n_hyp} seeds reach at best {best:.3g})"
    if n_base < 2 or n_hyp < 2:
        verdict, why = "does not explain", "fewer than 2 seeds a side: no seed can differ from another"
    elif lands(shown_base, n_base):
        verdict, why = "does not explain", f"the baseline already shows the pattern ({shown_base} of {n_base} seeds {what})"
    elif p >= alpha:
        how = "moves away from the pattern" if move < 0 else "moves within chance"
        verdict, why = "does not explain", f"{how}: {shown_hyp} of {n_hyp} seeds {what} against {shown_base} of " \
                                           f"{n_base}, p = {p:.3g} (needs < {alpha:g})"
    elif lands(shown_hyp, n_hyp):
        verdict, why = "explains", f"{shown_hyp} of {n_hyp} seeds {what} against {shown_base} of {n_base} (p = {p:.3g}): the pattern"
    else:
        verdict, why = "partly", f"{shown_hyp} of {n_hyp} seeds {what} against {shown_base} of {n_base} (p = {p:.3g}), but not some and not others"
    return {"verdict": verdict, "reason": why, "baseline": f"{shown_base} of {n_base} seeds {what}",
            "measured": f"{shown_hyp} of {n_hyp} seeds {what}", "move": f"{move:+.3g} seeds toward the pattern",
            "noise": noise_text, "move_value": move, "p": p}
