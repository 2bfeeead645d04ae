"""Study A forensics: the runs its hypotheses need, and their seed-batched jobs, from the settings alone."""

import pytest

from vaerep.config import study_settings
from vaerep.plan import full_config
from vaerep.smvae import forensics_runs as fa_runs


def section(scale="full", **forensics):
    s = study_settings(full_config(scale), "smvae")
    return s["variants"], {**s["forensics"], **forensics}


def batched_runs(variants, forensics, study_seeds):
    return sorted((v, s) for names, seeds in fa_runs.batches(variants, forensics, study_seeds).values()
                  for v in names for s in seeds)


@pytest.mark.parametrize("study_seeds, count_seeds", [([0, 1, 2], [3, 4, 5]), ([0, 1, 2, 3, 4], [3, 4, 5]),
                                                      ([0], []), ([0, 1, 2], [2, 3])])
def test_batches_hold_every_run_once(study_seeds, count_seeds):
    variants, forensics = section(count_seeds=count_seeds)
    runs = fa_runs.hypothesis_runs(variants, forensics) + fa_runs.baseline_runs(variants, forensics, study_seeds)
    assert len(set(runs)) == len(runs)
    assert batched_runs(variants, forensics, study_seeds) == sorted(runs)


def test_the_thesis_settings_runs():
    variants, forensics = section()
    assert fa_runs.counted(variants, forensics) == ["pre_gamma1_author_kl", "pre_gamma3_author_kl"]
    assert fa_runs.hypothesis_seeds(variants, forensics, "pre_gamma1_author_kl") == [0, 1, 2, 3, 4, 5]
    assert fa_runs.hypothesis_seeds(variants, forensics, "post_lognormal_author_clamp") == [0, 1, 2]
    # the baselines the study trains itself (seeds 0-2) are not trained again; seed 2 counted twice is one run
    assert fa_runs.baseline_runs(variants, forensics, [0, 1, 2]) == [(b, s) for b in ("pre_gamma1", "pre_gamma3")
                                                                     for s in (3, 4, 5)]
    assert fa_runs.baseline_runs(variants, {**forensics, "count_seeds": [2, 3, 3]}, [0, 1, 2]) == [
        ("pre_gamma1", 3), ("pre_gamma3", 3)]
    spec = fa_runs.spec(variants, forensics, "pre_gamma3_author_kl")
    assert spec == {**variants["pre_gamma3"], "kl": "author_code"}
    assert fa_runs.spec(variants, forensics, "pre_gamma3") is variants["pre_gamma3"]
