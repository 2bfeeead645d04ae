"""Study A forensics: the training runs its hypotheses need, from the settings alone (no torch). The workflow
(``workflow/rules/forensics.smk``) builds its jobs from these, and the time plan counts the same runs.

``forensics`` is ``smvae.forensics`` of the config, ``variants`` the study's Table 4.1 variants and
``study_seeds`` the seeds the study trains itself.
"""

from __future__ import annotations


def spec(variants: dict, forensics: dict, variant: str) -> dict:
    """The model spec of a forensics run: a Table 4.1 variant (a baseline at a seed the study does not train),
    or a hypothesis variant's base variant with the hypothesis's settings changed."""
    if variant in variants:
        return variants[variant]
    hyp = forensics["variants"][variant]
    return {**variants[hyp["base"]], **{k: v for k, v in hyp.items() if k not in ("base", "hypothesis")}}


def counted(variants: dict, forensics: dict) -> list[str]:
    """The hypothesis variants judged on a count of seeds ("training is unstable"): those of a Gamma variant."""
    return [v for v, h in forensics["variants"].items() if variants[h["base"]].get("c_dist") == "gamma"]


def hypothesis_seeds(variants: dict, forensics: dict, variant: str) -> list[int]:
    """The seeds of a hypothesis variant: ``seeds``, and ``count_seeds`` too for a counted one."""
    extra = forensics["count_seeds"] if variant in counted(variants, forensics) else []
    return list(dict.fromkeys([*forensics["seeds"], *extra]))


def baseline_runs(variants: dict, forensics: dict, study_seeds: list[int]) -> list[tuple[str, int]]:
    """(Table 4.1 variant, seed) of the baselines the forensics stage trains itself: the counted variants' bases
    at the count seeds the study does not train."""
    bases = dict.fromkeys(forensics["variants"][v]["base"] for v in counted(variants, forensics))
    return [(b, s) for b in bases for s in dict.fromkeys(forensics["count_seeds"]) if s not in study_seeds]


def hypothesis_runs(variants: dict, forensics: dict) -> list[tuple[str, int]]:
    """(hypothesis variant, seed) of every hypothesis run."""
    return [(v, s) for v in forensics["variants"] for s in hypothesis_seeds(variants, forensics, v)]


def batches(variants: dict, forensics: dict, study_seeds: list[int]) -> dict[str, tuple[list[str], list[int]]]:
    """Seed-batched training: group -> (variants, seeds), one job per variant training those seeds as one model.
    ``hyp``: the hypothesis variants not counted; ``counted``: the counted ones; ``base``: the baselines of
    :func:`baseline_runs`."""
    count = counted(variants, forensics)
    base = baseline_runs(variants, forensics, study_seeds)
    return {
        "hyp": ([v for v in forensics["variants"] if v not in count], list(forensics["seeds"])),
        "counted": (count, hypothesis_seeds(variants, forensics, count[0]) if count else []),
        "base": (list(dict.fromkeys(v for v, _ in base)), list(dict.fromkeys(s for _, s in base))),
    }
