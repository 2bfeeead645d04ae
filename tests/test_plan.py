"""The time plan: rows per study consistent with the config, counted FLOPs, advice, projection vs measured."""

import dataclasses
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from vaerep import plan, plan_measure
from vaerep.config import study_settings

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def smoke():
    config = plan.full_config("smoke")
    settings = plan.load_settings()
    return config, settings, plan.make_plan(config, CPU, settings)


def test_smoke_plan_has_a_consistent_row_per_study(smoke):
    config, _, rows = smoke
    assert [r["study"] for r in rows] == config["studies"]
    a = study_settings(config, "smvae")
    n_runs = sum(len(a["seeds"] if v["table"] else a["extra_seeds"]) for v in a["variants"].values())
    n_runs += len(a["forensics"]["variants"]) * len(a["forensics"]["seeds"])  # smoke: no count seeds
    smvae = rows[0]
    assert smvae["runs"] == n_runs
    assert smvae["samples"] == n_runs * a["train"]["epochs"] * a["n_train_images"] * len(a["contrasts"])
    d = study_settings(config, "latent2d")
    assert rows[3]["runs"] == len(d["variants"])
    assert rows[3]["samples"] == len(d["variants"]) * d["train"]["epochs"] * d["n_train_images"]
    for r in rows:
        for key in ("runs", "samples", "flops_per_sample", "samples_per_s", "hours_here", "hours_gpu"):
            assert r[key] > 0, (r["study"], key)
        assert r["hours_here"] == pytest.approx(r["samples"] / r["samples_per_s"] / 3600)
        assert r["flops"] == pytest.approx(r["samples"] * r["flops_per_sample"])


def test_the_longest_run_bounds_the_parallel_gpu_time_from_below(monkeypatch):
    """At `full` with a flat step time, D's run (500 epochs of 469 steps) is the longest: its own projection,
    which the text sets beside the one-after-another total."""
    monkeypatch.setenv(plan.RATE_ENV, "1000")
    settings = plan.load_settings()
    config = plan.full_config("full")
    rows = plan.make_plan(config, CPU, settings)
    by = {r["study"]: r for r in rows}
    steps = 500 * -(-60_000 // study_settings(config, "latent2d")["train"]["batch_size"])
    assert by["latent2d"]["longest_run_gpu"] == pytest.approx(steps * settings["gpu"]["step_floor_ms"] / 1e3)
    assert by["latent2d"]["longest_run_gpu"] == max(r["longest_run_gpu"] for r in rows)
    for r in rows:
        assert 0 < r["longest_run_gpu"] <= r["seconds_gpu"]
    text = plan.render(rows, "full", CPU, settings)
    total_min = sum(r["hours_gpu"] for r in rows) * 60
    assert (f"Its longest single run (latent2d) projects {steps * settings['gpu']['step_floor_ms'] / 6e4:.1f} min"
            f": with the runs in parallel on one GPU, training lasts between that and {total_min:.1f} min.") in text


def test_flops_of_the_standard_vae_are_counted_exactly():
    """784-256-32-6 encoder, 3-32-256-784 decoder: forward 2 x 418,080 multiply-adds per image, backward
    the weight gradients of all six layers plus the input gradients of all but the first."""
    job = plan._jobs_smvae(study_settings(plan.full_config("full"), "smvae"))[0]
    assert job.name == "standard"
    macs = 784 * 256 + 256 * 32 + 32 * 6 + 3 * 32 + 32 * 256 + 256 * 784
    expected = 2 * macs + 2 * macs + 2 * (macs - 784 * 256)
    assert plan.count_flops(job, CPU) == expected == 2_107_072


def test_full_scale_counts_the_thesis_runs():
    config = plan.full_config("full")
    jobs = plan._jobs_smvae(study_settings(config, "smvae"))
    table = [j for j in jobs if not j.name.startswith("forensics")]
    forensics = [j for j in jobs if j.name.startswith("forensics")]
    assert sum(j.runs for j in table) == 21  # 7 variants x 3 seeds
    assert sum(j.samples for j in table) == 21 * 20 * 240_000
    # the forensics stage: H-A1 on both Gamma variants at seeds 0-5, H-A2 at 0-2, the Gamma baselines at 3-5
    assert {j.name: j.runs for j in forensics} == {
        "forensics pre_gamma1_author_kl": 6, "forensics pre_gamma3_author_kl": 6,
        "forensics post_lognormal_author_clamp": 3, "forensics pre_gamma1 (count seeds)": 3,
        "forensics pre_gamma3 (count seeds)": 3}
    assert {j.spec.get("kl") for j in forensics} == {"author_code", None}
    assert sum(j.samples for j in forensics) == 21 * 20 * 240_000
    # seed-batched: the seeds of a variant step together (1,875 steps of 128 per epoch); 7 + 5 jobs
    assert config["smvae"]["batch_seeds"]
    assert sum(j.steps for j in jobs) == 12 * 20 * 1875
    # Study C's forensics trains the MNIST VQ-VAE at the H-C-shift seeds other than the study's own (seed 0)
    c = study_settings(config, "vqvae")
    vq = {j.name: j for j in plan._jobs_vqvae(c)}
    assert vq["forensics mnist vq-vae seeds"].runs == len(c["forensics"]["shift"]["seeds"]) - 1 == 2
    assert vq["forensics mnist vq-vae seeds"].spec == vq["C3 mnist vq-vae"].spec
    # ... and the C1 models the claims read at the H-C1-seed seeds other than the study's own
    for name in ("M1", "M2", "M4", "collapse"):
        assert vq[f"forensics C1 {name} seeds"].runs == len(c["forensics"]["seeds"]["seeds"]) - 1 == 2
        assert vq[f"forensics C1 {name} seeds"].spec == vq[f"C1 {name}"].spec
    assert "forensics C1 M3 seeds" not in vq
    cpu = plan._jobs_smvae(study_settings(plan.full_config("cpu"), "smvae"))  # one run per job
    assert sum(j.steps for j in cpu) == sum(j.runs for j in cpu) * 20 * 1875
    assert sum(j.samples for j in plan._jobs_latent2d(study_settings(config, "latent2d"))) == 2 * 500 * 60_000


def test_cpu_advice_appears_only_beyond_the_warning_threshold(smoke):
    _, settings, rows = smoke
    long = [dict(r, hours_here=settings["warn_hours"]) for r in rows]  # sum = 4 x warn_hours
    text = plan.render(long, "full", CPU, settings)
    assert "scale=cpu" in text and "profiles/slurm" in text and "projection" in text
    short = [dict(r, hours_here=settings["warn_hours"] / (len(rows) + 1)) for r in rows]
    assert "scale=cpu" not in plan.render(short, "full", CPU, settings)
    at_cpu = plan.render(long, "cpu", CPU, settings)  # already the CPU's scale: only the GPU way is left
    assert "profiles/slurm" in at_cpu and "--config scale=cpu" not in at_cpu


def test_start_hook_times_nothing_for_a_smoke_run(tmp_path, smoke):
    config, settings, _ = smoke
    assert plan.flop_bound_hours(config, CPU, settings) < settings["warn_hours"] / 10
    assert plan.gate(config, tmp_path, device=CPU) is True
    assert not (tmp_path / "plan.json").exists()


def test_compare_puts_measured_time_next_to_the_projection(tmp_path):
    rows = [{"study": "smvae", "runs": 4, "seconds_here": 100.0, "hours_here": 100 / 3600}]
    plan.save(rows, "cpu", CPU, tmp_path / "plan.json")
    # a seed-batched job of three seeds (30 s wall, counted once) and a separate run of 20 s
    for seed in (0, 1, 2):
        folder = tmp_path / "smvae" / "runs" / "pre" / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "train_meta.json").write_text(json.dumps({"train_seconds": 30.0, "batched_with_seeds": [0, 1, 2]}))
    folder = tmp_path / "smvae" / "runs" / "post" / "seed0"
    folder.mkdir(parents=True)
    (folder / "train_meta.json").write_text(json.dumps({"train_seconds": 20.0}))
    assert plan.measured_seconds(tmp_path, "smvae") == (pytest.approx(50.0), 4)
    # and a forensics run of the study (its training is in the plan too)
    folder = tmp_path / "forensics" / "smvae" / "runs" / "pre_gamma1_author_kl" / "seed0"
    folder.mkdir(parents=True)
    (folder / "train_meta.json").write_text(json.dumps({"train_seconds": 10.0}))
    rows[0]["runs"] = 5
    plan.save(rows, "cpu", CPU, tmp_path / "plan.json")
    assert plan.measured_seconds(tmp_path, "smvae") == (pytest.approx(60.0), 5)
    line = plan.compare(tmp_path).splitlines()[-1].split()
    assert line[0] == "smvae" and line[1] == "5/5" and float(line[-1]) == pytest.approx(0.6)


def test_flop_counts_are_kept_between_runs_and_a_damaged_cache_is_recounted(tmp_path, monkeypatch):
    monkeypatch.setenv(plan.CACHE_ENV, str(tmp_path))
    job = plan._jobs_smvae(study_settings(plan.full_config("full"), "smvae"))[0]
    monkeypatch.setattr(plan, "_FLOPS", {})
    counted = plan.count_flops(job, CPU)
    assert json.loads(plan.flop_cache_path().read_text()) and plan.flop_cache_path().parent == tmp_path

    def no_counting(*_):
        raise AssertionError("counted again although the cache holds the count")

    monkeypatch.setattr(plan, "_FLOPS", {})  # a new process: only the file remains
    plan._flop_cache.cache_clear()
    monkeypatch.setattr(plan_measure, "counted_flops", no_counting)
    assert plan.count_flops(job, CPU) == counted
    plan.flop_cache_path().write_text("{not json")
    monkeypatch.setattr(plan, "_FLOPS", {})
    plan._flop_cache.cache_clear()
    with pytest.raises(AssertionError, match="counted again"):
        plan.count_flops(job, CPU)  # a damaged cache is ignored, so the count is made again


def test_the_flop_key_follows_the_model_its_settings_and_its_code(tmp_path, monkeypatch):
    """The cache key is computed without building a model, so it must change with everything the count depends
    on: the model's settings, the input shape, the device type and the model code."""
    config = plan.full_config("full")
    job = plan._jobs_latent2d(study_settings(config, "latent2d"))[0]
    again = plan._jobs_latent2d(study_settings(plan.full_config("full"), "latent2d"))[0]
    key = plan.flop_key(job, CPU)
    assert plan.flop_key(again, CPU) == key and plan.flop_key(job, "cpu") == key
    assert plan.flop_key(job, "cuda:0") != key
    wider = dataclasses.replace(job, spec={**job.spec, "z_dim": 16 * job.spec["z_dim"]})
    assert plan.flop_key(wider, CPU) != key
    assert plan.flop_key(dataclasses.replace(job, input_shape=(1, 32, 32)), CPU) != key
    assert plan.count_flops(wider, CPU) > plan.count_flops(job, CPU)  # and the two counts differ indeed
    code = tmp_path / "models"
    shutil.copytree(plan.MODELS_DIR, code)
    monkeypatch.setattr(plan, "MODELS_DIR", code)
    plan.models_digest.cache_clear()
    try:
        assert plan.flop_key(job, CPU) == key
        (code / "conv2d_vae.py").write_text((code / "conv2d_vae.py").read_text() + "\n# changed\n")
        plan.models_digest.cache_clear()
        assert plan.flop_key(job, CPU) != key
    finally:
        plan.models_digest.cache_clear()


def test_a_check_its_caches_answer_imports_no_torch(tmp_path):
    """The start-up check of every snakemake call: once the FLOP counts and the projection are saved, a smoke
    run (bound by FLOPs) and a `full` run (the saved projection) are judged without importing torch."""
    env = {**os.environ, plan.CACHE_ENV: str(tmp_path / "cache"), plan.RATE_ENV: "50", "VAEREP_DEVICE": "cpu"}
    script = (f"import sys; from vaerep import plan; "
              f"[plan.gate(plan.full_config(s), {str(tmp_path)!r}, dry_run=True) for s in ('smoke', 'full')]; "
              "print('torch' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
            for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-2000:]
    first, second = (r.stdout.strip().splitlines() for r in runs)
    assert first[-1] == "True" and "projecting the run time" in "\n".join(first)  # counted: torch was needed
    assert second[-1] == "False" and "reusing the projection" in "\n".join(second)
    assert "Time plan for scale=full" in "\n".join(second)


def test_torch_without_package_metadata_still_names_its_version(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    plan.torch_version.cache_clear()
    try:
        assert plan.torch_version() == torch.__version__
    finally:
        plan.torch_version.cache_clear()
