"""benchmarks/bench_gpu.py runs on the CPU with tiny settings: every study's eager step is timed and analysed,
the CUDA-only speed-ups say they are unavailable, and the CPU-capable ones (batched members, bf16) run."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU report")
def test_bench_gpu_runs_on_the_cpu_with_tiny_settings(bench, tmp_path, capsys):
    assert bench.main(["--scale", "smoke", "--device", "cpu", "--steps", "1", "--warmup", "1", "--batch-size", "4",
                       "--studies", "smvae", "latent2d", "--out", str(tmp_path / "bench")]) == 0
    out = capsys.readouterr().out
    assert "CUDA is not available here" in out
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written["complete"] is True and written["seconds"] > 0
    rows = written["rows"]
    by = {(r["study"], r["variant"]): r for r in rows}
    for study, members in (("smvae", 3), ("latent2d", 2)):
        eager = by[(study, "eager")]
        assert eager["step_ms"] > 0 and eager["flops_per_step"] > 0
        assert eager["note"] in ("overhead-bound", "compute-bound")
        assert by[(study, "cuda_graph")]["note"] == "unavailable: needs CUDA"
        assert by[(study, "host_fed")]["note"].startswith("unavailable")
        batched = by[(study, f"batched_x{members}")]
        assert "note" not in batched and batched["samples_per_s"] > 0
        assert by[(study, "bf16")]["speedup"] > 0
    assert (tmp_path / "bench.csv").read_text().startswith("study,job,variant")


def test_batched_members_compute_each_members_own_loss(bench):
    """The vmapped K-member step is K separate models: each member's loss equals its model's own loss."""
    from torch.func import functional_call, stack_module_state, vmap

    from vaerep.models.conv2d_vae import build_conv2d_vae

    torch.manual_seed(0)
    models = [bench._LossOf(build_conv2d_vae({"z_dim": 2})).eval() for _ in range(2)]
    params, buffers = stack_module_state(models)
    x = torch.rand(2, 3, 1, 28, 28)
    torch.manual_seed(1)
    losses = vmap(lambda p, b, xs: functional_call(models[0], (p, b), (xs,)), randomness="same")(params, buffers, x)
    for k in range(2):
        torch.manual_seed(1)
        assert torch.allclose(losses[k], models[k](x[k]), rtol=1e-4)


def test_a_benchmark_stopped_by_its_time_limit_keeps_the_models_it_timed(bench, tmp_path, monkeypatch):
    """The JSON is written after every model: a benchmark killed by its time limit leaves what it measured
    (marked incomplete), which the speed-up choice then reads."""
    timed = []

    def stop_after_first(job, *args):
        if timed:
            raise KeyboardInterrupt  # the time limit
        timed.append(job.study)
        return [{"study": job.study, "job": job.name, "variant": "eager", "step_ms": 1.0}]

    monkeypatch.setattr(bench, "bench_job", stop_after_first)
    with pytest.raises(KeyboardInterrupt):
        bench.main(["--scale", "smoke", "--device", "cpu", "--studies", "smvae", "latent2d",
                    "--out", str(tmp_path / "bench")])
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written["complete"] is False and [r["study"] for r in written["rows"]] == ["smvae"]


def _variant(bench_module, job, batch, kind):
    """The pipeline's eager step, or one that trains wrongly in a known way (what a broken CUDA graph could do)."""
    from vaerep.train import TrainSettings, make_optimizer, make_step

    lr = {"twice_the_lr": 2e-3, "lr_one_percent_higher": 1.01e-3}.get(kind, 1e-3)
    settings = TrainSettings(epochs=1, batch_size=batch, lr=lr)
    cpu = torch.device("cpu")

    def make(model):
        step = make_step(model, make_optimizer(model, settings), settings, cpu, lambda x: x, False, print)
        seen = []

        def run(x):
            seen.append(x)
            if kind == "no_update":
                with torch.no_grad():
                    return model.loss_terms(x)
            if kind == "other_noise":
                torch.manual_seed(10_000 + len(seen))
            if kind == "one_stale_batch" and len(seen) == 19:  # the 19th of 20 steps sees the 18th step's batch
                return step([seen[-2]])
            return step([seen[0] if kind == "stale_batch" else x])
        return run
    return make


@pytest.mark.parametrize("study", ["smvae", "latent2d"])
def test_the_graph_agreement_check_passes_the_same_training_and_rejects_each_wrong_one(bench, study):
    """trajectory_gap, judged by the speed-up rule with its configured gap: the pipeline's eager step against
    itself switches graphs on; a step that does not update, doubles the learning rate, draws other noise or
    trains on a stale batch keeps the study eager, whatever its speed, and so do the smallest slips measured (a
    learning rate 1 % higher; one stale batch in 20 steps, gap 0.04-0.06), which a looser gap would let through."""
    from vaerep import speedups
    from vaerep.config import study_settings
    from vaerep.plan import JOBS, full_config

    config = full_config("full")
    job = JOBS[study](study_settings(config, study))[0]
    inputs = bench._pool(job, 32, torch.device("cpu"))
    verdicts = {}
    for kind in ("same", "no_update", "twice_the_lr", "other_noise", "stale_batch", "lr_one_percent_higher",
                 "one_stale_batch"):
        gap = bench.trajectory_gap(job, torch.device("cpu"), [_variant(bench, job, 32, "same"),
                                                              _variant(bench, job, 32, kind)], inputs, 20)
        row = {"study": study, "job": job.name, "variant": "cuda_graph", "speedup": 3.0, "graph_gap": gap}
        verdicts[kind] = speedups.choose({"environment": {"device": "cuda:0"}, "rows": [row]}, [study])[study]
    assert verdicts.pop("same").startswith("cuda_graphs"), verdicts
    for kind, verdict in verdicts.items():
        assert verdict.startswith("eager: the graph step trains differently"), (kind, verdict)


def test_the_agreement_check_refuses_copies_that_start_apart(bench):
    """A model whose initialisation does not follow the seed cannot be compared step for step: the check says so
    instead of reporting the two initialisations' distance as a training difference."""
    from vaerep.config import study_settings
    from vaerep.plan import JOBS, full_config

    job = JOBS["smvae"](study_settings(full_config("full"), "smvae"))[0]
    inputs = bench._pool(job, 8, torch.device("cpu"))
    built = []

    class Unseeded:
        def build(self):
            model = job.build()
            with torch.no_grad():
                next(model.parameters()).add_(len(built))
            built.append(model)
            return model

    with pytest.raises(RuntimeError, match="one initialisation"):
        bench.trajectory_gap(Unseeded(), torch.device("cpu"), [_variant(bench, job, 8, "same")] * 2, inputs, 2)
