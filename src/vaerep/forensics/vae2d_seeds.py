"""Study C's seed hypothesis (H-C1-seed): the thesis trained each 2-D VAE of C1 once, and so does the study. A 2-D
latent's fate (a dimension left unused, where the digit classes land) can hang on the initialisation, so a C1
claim that differs may be the study's draw rather than the model's. The models the claims read are trained at
other seeds too; each C1 claim that differs is checked at every seed:

- *explains* when the claim holds at more than half of the seeds (the study's own run is the exception);
- *partly* when it holds at some seeds, but not at most;
- *does not explain* when it holds at none.

The same per-seed checks give each condition its between-seed spread (:func:`with_spreads`), the noise a
threshold gap is judged against when the study's own row is classed (:mod:`vaerep.forensics.classify`)."""

from __future__ import annotations

import numpy as np

from ..claim import Claim, Group, Leaf


def leaves(tree: Leaf | Group) -> list[Leaf]:
    """The conditions of a check, depth first."""
    if isinstance(tree, Leaf):
        return [tree]
    return [x for part in tree.parts for x in leaves(part)]


def _aligned(trees: list[Leaf | Group]) -> list[list[Leaf]]:
    """Per condition, its leaf in every tree (the same claim's check at each seed: one shape)."""
    per_tree = [leaves(t) for t in trees]
    shapes = {tuple(x.name for x in ls) for ls in per_tree}
    if len(shapes) != 1:
        raise ValueError(f"the seeds' checks differ in their conditions: {sorted(shapes)}")
    return [list(column) for column in zip(*per_tree)]


def with_spreads(own: Leaf | Group, others: list[Leaf | Group]) -> Leaf | Group:
    """``own`` with each condition's ``spread`` set to the between-seed std (ddof 1) of its value over ``own`` and
    ``others`` (the same claim at the other seeds); a condition with fewer than two finite values keeps NaN."""
    for column in _aligned([own, *others]):
        values = np.array([x.value for x in column], dtype=float)
        values = values[np.isfinite(values)]
        column[0].spread = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return own


def seed_row(claims: list[Claim], seeds: list[int], hyp: dict, k: float, experiment: str) -> dict:
    """The H-C1-seed row of one differing C1 claim. ``claims``: the claim evaluated at each of ``seeds`` (the
    study's own seed first); ``k``: the noise multiplier of the between-seed spread (the noise column)."""
    checks = [c.check for c in claims]
    holds = [s for s, c in zip(seeds, checks) if c.passes()]
    n = len(seeds)
    failing = [i for i, x in enumerate(leaves(checks[0])) if not x.passes()]
    columns = _aligned(checks)
    values = {i: [x.value for x in columns[i]] for i in failing}

    def per_seed(i):
        leaf = columns[i][0]
        return (f"{leaf.name}: " + ", ".join(f"{v:.4g}" for v in values[i])
                + f" (needs {leaf.op} {leaf.threshold:g})")

    def noise(i):
        finite = [v for v in values[i] if np.isfinite(v)]
        return f"{k:g} × seed std {k * np.std(finite, ddof=1):.3g}" if len(finite) > 1 else "not measured (one seed)"

    def move(i):
        others = [v for v in values[i][1:] if np.isfinite(v)]
        if not others:
            return "no finite value at another seed"
        return f"{np.mean(others) - values[i][0]:+.3g} (mean of seeds {seeds[1:]})"

    if len(holds) * 2 > n:
        verdict = "explains"
        reason = (f"the claim holds at {len(holds)} of {n} seeds ({', '.join(map(str, holds))}): the study's own "
                  f"seed {seeds[0]} is the exception, so one run, as in the thesis, can land either way")
    elif holds:
        verdict = "partly"
        reason = (f"the claim holds at {len(holds)} of {n} seeds ({', '.join(map(str, holds))}): it depends on "
                  "the seed, but fails at most of them")
    else:
        verdict = "does not explain"
        reason = f"the claim fails at every one of the {n} seeds: the difference is not the study's draw"
    return {"study": "C vqvae", "source": claims[0].source, "claim_id": claims[0].id, "target": claims[0].sentence,
            "thesis_value": "holds",
            "hypothesis": f"{hyp['hypothesis']}: the thesis's one run and the study's are draws of the seed",
            "experiment": experiment,
            "measured": f"holds at {len(holds)} of {n} seeds {seeds}; " + "; ".join(per_seed(i) for i in failing),
            "baseline": "; ".join(f"{values[i][0]:.4g} (seed {seeds[0]})" for i in failing),
            "move": "; ".join(move(i) for i in failing),
            "noise": "; ".join(noise(i) for i in failing), "verdict": verdict, "reason": reason}

