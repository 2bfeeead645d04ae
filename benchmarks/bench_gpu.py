"""The training step of every study at its `full` settings, eager against each speed-up, side by side.

Per study (the time plan's jobs, ``vaerep.plan``: each study's real models at their batch sizes and input
shapes, inputs drawn at random in the data's range), it times the eager step (forward, backward, Adam)
and says whether it is launch-bound or compute-bound: the counted FLOPs per step at the device's peak
(workflow/config/plan.yaml) against the step time, and on CUDA the GPU busy fraction (kernel time over
wall time, torch.profiler). Then, in the same run, each speed-up:

- ``cuda_graph``: the whole step replayed as one CUDA graph (``vaerep.train.make_step`` with graphs on, capturable
  Adam: exactly what ``train: {cuda_graphs: true}`` runs). Its row also says whether it trains like the eager step
  (``graph_gap``, :func:`trajectory_gap`): two copies of the model from one initialisation, trained
  ``--check-steps`` steps on the same batches with the same noise seeds, one eagerly and one through the graph;
  their parameters' distance over the distance the eager copy travelled. The speed-up choice
  (``vaerep.speedups``) switches graphs on only where this gap is within ``speedups.cuda_graph_max_gap``;
- ``host_fed``: the batch copied from host memory each step (the pipeline keeps data resident on the device:
  this shows what residency saves);
- ``batched_xK``: K runs of the study (A's seeds, B's three beta, D's two runs) as one vmapped model
  (``torch.func``), samples/s counting all K members;
- ``bf16``: bf16 autocast of the forward pass;
- ``compile_ro`` (``--compile``): ``torch.compile(mode="reduce-overhead")`` of the loss.

On the CPU the CUDA-only options report "unavailable" and the rest run (tiny ``--steps`` for a test).

    python benchmarks/bench_gpu.py [--scale full] [--steps 50] [--jobs first|all] [--out results/bench_gpu]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from vaerep.config import study_settings
from vaerep.device import pick_device
from vaerep.plan import JOBS, Job, full_config, load_settings
from vaerep.provenance import environment
from vaerep.train import TrainSettings, bf16_autocast, make_optimizer, make_step

# Runs of one shape that the pipeline trains separately and could batch (A's seeds per variant, B's betas, D's
# variants); C's models differ in shape.
MEMBERS = {"smvae": 3, "dsprites_beta": 3, "latent2d": 2}
LAUNCH_BOUND = 0.5  # GPU busy below this fraction of the step: the step waits on kernel launches, not arithmetic


class Unavailable(Exception):
    """A speed-up that cannot run here (the reason is reported in its row)."""


def _optimizer(params, device):
    kwargs = {"lr": 1e-3}
    if device.type == "cuda":
        kwargs["fused"] = True
    return torch.optim.Adam(params, **kwargs)


def _pool(job: Job, batch: int, device, rotate: int = 4) -> list[torch.Tensor]:
    """``rotate`` input batches (rotated through, so repeated steps do not read one cached buffer)."""
    torch.manual_seed(0)
    return [job.batch(batch).to(device) for _ in range(rotate)]


def time_steps(step, inputs, device, steps: int, warmup: int) -> float:
    """Median seconds of one step (device events on CUDA, the host clock on the CPU), after ``warmup`` steps."""
    for i in range(warmup):
        step(inputs[i % len(inputs)])
    times = []
    for i in range(steps):
        x = inputs[i % len(inputs)]
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            t0 = time.perf_counter()
            step(x)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def busy_fraction(step, inputs, device, steps: int = 5) -> float | None:
    """Kernel time over wall time of ``steps`` steps (torch.profiler); None off CUDA or where it fails."""
    if device.type != "cuda":
        return None
    try:
        from torch.profiler import ProfilerActivity, profile

        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            t0 = time.perf_counter()
            for i in range(steps):
                step(inputs[i % len(inputs)])
            torch.cuda.synchronize()
            wall = time.perf_counter() - t0
        kernels = sum(getattr(e, "self_device_time_total", getattr(e, "self_cuda_time_total", 0))
                      for e in prof.key_averages())
        return kernels / 1e6 / wall
    except Exception:  # noqa: BLE001 - a profiler that does not work here only loses this column
        return None


def eager_step(model, optimizer, bf16=False):
    def step(x):
        optimizer.zero_grad(set_to_none=True)
        with bf16_autocast(x.device, bf16):
            terms = model.loss_terms(x)
        terms["loss"].backward()
        optimizer.step()
        return terms
    return step


def pipeline_step(job: Job, batch: int, device, graphs: bool, notes: list[str]):
    """``make(model) -> step(x)``: the pipeline's own training step (``vaerep.train.make_step``, the study's
    precision), eager or replayed as a CUDA graph; the graph's log lines go to ``notes``."""
    settings = TrainSettings(epochs=1, batch_size=batch, autocast_bf16=job.precision == "bf16",
                             tf32=job.precision == "tf32", cuda_graphs=graphs)

    def make(model):
        step = make_step(model, make_optimizer(model, settings, capturable=graphs), settings, device,
                         lambda x: x, graphs, notes.append)
        made.append(step)
        return lambda x: step([x])

    made: list = []
    make.made = made  # the steps built, to ask a graphed one whether it captured
    return make


def _parameters(model) -> torch.Tensor:
    return torch.cat([p.detach().float().reshape(-1) for p in model.parameters()])


def trajectory_gap(job: Job, device, make_steps, inputs: list[torch.Tensor], steps: int) -> float:
    """Two copies of ``job``'s model from one initialisation, each trained ``steps`` steps on the same batches
    (``inputs``, rotated) with the same noise seeds, by its own step (``make_steps``: two ``model -> step(x)``).
    Returns the distance between their parameters over the distance the first copy travelled: 0 for the same
    training, near 1 or more for a step that trains differently (no update, another learning rate, other noise,
    a stale batch)."""
    starts, finals = [], []
    for make in make_steps:
        torch.manual_seed(0)
        model = job.build().to(device).train()
        starts.append(_parameters(model))
        step = make(model)
        for i in range(steps):
            torch.manual_seed(1 + i)
            step(inputs[i % len(inputs)])
        finals.append(_parameters(model))
    if not torch.equal(starts[0], starts[1]):
        raise RuntimeError("the two copies did not start from one initialisation")
    travelled = float((finals[0] - starts[0]).norm())
    if travelled == 0.0:
        raise RuntimeError("the eager step did not move the parameters")
    return float((finals[1] - finals[0]).norm()) / travelled


def flops_per_step(job: Job, batch: int, device) -> float:
    torch.manual_seed(0)
    model = job.build().to(device).train()
    counter = FlopCounterMode(display=False)
    with counter:
        model.loss_terms(job.batch(batch).to(device))["loss"].backward()
    return float(counter.get_total_flops())


def variants(job: Job, batch: int, device, members: int, use_compile: bool, check_steps: int = 20):
    """(name, setup) for each speed-up; ``setup()`` returns (step, inputs, samples per step[, row extras]) or
    raises Unavailable."""
    cuda = device.type == "cuda"

    def plain(bf16=False):
        torch.manual_seed(0)
        model = job.build().to(device).train()
        return eager_step(model, _optimizer(model.parameters(), device), bf16), _pool(job, batch, device), batch

    def graphed():
        if not cuda:
            raise Unavailable("needs CUDA")
        notes: list[str] = []
        make = pipeline_step(job, batch, device, True, notes)
        inputs = _pool(job, batch, device)
        gap = trajectory_gap(job, device, [pipeline_step(job, batch, device, False, notes), make], inputs,
                             check_steps)
        graph = make.made[0]  # the graphed copy's step, captured during the check: timed as it is
        if graph.graph is None:
            raise Unavailable(notes[0] if notes else "not captured")
        return (lambda x: graph([x])), inputs, batch, {"graph_gap": gap}

    def host_fed():
        if not cuda:
            raise Unavailable("needs CUDA (on the CPU the data are always in host memory)")
        step, _, _ = plain()
        host = [x.cpu().pin_memory() for x in _pool(job, batch, torch.device("cpu"))]
        return (lambda x: step(x.to(device, non_blocking=True))), host, batch

    def batched():
        if members < 2:
            raise Unavailable("the study's runs differ in shape")
        from torch.func import functional_call, stack_module_state, vmap

        torch.manual_seed(0)
        models = [_LossOf(job.build()).to(device).train() for _ in range(members)]
        params, buffers = stack_module_state(models)
        opt = _optimizer(list(params.values()), device)
        base = models[0]
        run = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), randomness="different")

        def step(x):
            opt.zero_grad(set_to_none=True)
            run(params, buffers, x).sum().backward()
            opt.step()

        inputs = [torch.stack([x] * members) for x in _pool(job, batch, device)]
        step(inputs[0])  # fails here if the model cannot be vmapped
        return step, inputs, batch * members

    def compiled():
        if not use_compile:
            raise Unavailable("pass --compile")
        if not cuda:
            raise Unavailable("reduce-overhead (CUDA graphs) needs CUDA")
        torch.manual_seed(0)
        model = job.build().to(device).train()
        model.loss_terms = torch.compile(model.loss_terms, mode="reduce-overhead", dynamic=False)
        return eager_step(model, _optimizer(model.parameters(), device)), _pool(job, batch, device), batch

    return [("eager", plain), ("cuda_graph", graphed), ("host_fed", host_fed),
            (f"batched_x{members}" if members > 1 else "batched", batched),
            ("bf16", lambda: plain(bf16=True)), ("compile_ro", compiled)]


class _LossOf(torch.nn.Module):
    """``forward(x)`` = the wrapped model's training loss (functional_call calls ``forward``)."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, x):
        return self.m.loss_terms(x)["loss"]


def bench_job(job: Job, device, args, peak_tflops: float) -> list[dict]:
    batch = args.batch_size or job.batch_size
    rows, eager_sps = [], None
    flops = flops_per_step(job, batch, device)
    for name, setup in variants(job, batch, device, MEMBERS.get(job.study, 1), args.compile, args.check_steps):
        row = {"study": job.study, "job": job.name, "variant": name, "batch": batch}
        try:
            t_setup = time.perf_counter()
            step, inputs, samples, *extras = setup()
            for extra in extras:
                row.update(extra)
            row["setup_s"] = round(time.perf_counter() - t_setup, 2)
            seconds = time_steps(step, inputs, device, args.steps, args.warmup)
        except Unavailable as why:
            rows.append({**row, "note": f"unavailable: {why}"})
            continue
        except Exception as err:  # noqa: BLE001 - a speed-up that fails here is reported, the others still run
            rows.append({**row, "note": f"failed: {err.__class__.__name__}: {str(err).splitlines()[0][:160]}"})
            continue
        row.update({"step_ms": seconds * 1e3, "samples_per_s": samples / seconds})
        if name == "eager":
            eager_sps = row["samples_per_s"]
            row["flops_per_step"] = flops
            row["flop_fraction"] = flops / (peak_tflops * 1e12) / seconds  # compute time at peak / step time
            busy = busy_fraction(step, inputs, device)
            row["gpu_busy"] = busy
            bound = busy if busy is not None else row["flop_fraction"]
            slow = "launch-bound" if device.type == "cuda" else "overhead-bound"
            row["note"] = slow if bound < LAUNCH_BOUND else "compute-bound"
        if eager_sps:
            row["speedup"] = row["samples_per_s"] / eager_sps
        if "graph_gap" in row:
            row["note"] = f"parameter gap to eager after {args.check_steps} steps: {row['graph_gap']:.2g}"
        rows.append(row)
    return rows


def render(rows: list[dict]) -> str:
    lines = [f"{'study':14s} {'job':28s} {'variant':11s} {'ms/step':>9s} {'samples/s':>11s} {'x eager':>8s} "
             f"{'busy':>5s} {'FLOP%':>6s}  note"]
    for r in rows:
        def num(key, fmt):
            return format(r[key], fmt) if r.get(key) is not None else "-"
        lines.append(f"{r['study']:14s} {r['job'][:28]:28s} {r['variant']:11s} {num('step_ms', '9.3f'):>9s} "
                     f"{num('samples_per_s', '11,.0f'):>11s} {num('speedup', '8.2f'):>8s} "
                     f"{num('gpu_busy', '5.2f'):>5s} "
                     f"{(format(100 * r['flop_fraction'], '6.1f') if r.get('flop_fraction') is not None else '-'):>6s}"
                     f"  {r.get('note', '')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="full")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--studies", nargs="+", default=None)
    ap.add_argument("--jobs", choices=["first", "all"], default="first", help="each study's first model, or all")
    ap.add_argument("--steps", type=int, default=50, help="timed steps per variant (median)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--check-steps", type=int, default=20,
                    help="training steps of the graph step's agreement check against the eager step")
    ap.add_argument("--batch-size", type=int, default=None, help="override every job's batch size (tests)")
    ap.add_argument("--compile", action="store_true", help="also torch.compile(mode='reduce-overhead')")
    ap.add_argument("--out", type=Path, default=None, help="write <out>.json and <out>.csv")
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    config = full_config(args.scale)
    plan = load_settings()
    rows = []
    env = environment(device)
    t0 = time.perf_counter()
    for study in args.studies or config["studies"]:
        s = study_settings(config, study)
        threads = s.get("threads", 1)
        if device.type == "cpu":
            torch.set_num_threads(threads)
        jobs = JOBS[study](s)
        for job in jobs[:1] if args.jobs == "first" else jobs:
            if device.type == "cuda" and job.precision == "tf32":
                torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
            peak = (plan["gpu"]["peak_tflops"][job.precision] if device.type == "cuda"
                    else plan["bound_tflops"]["cpu"])
            rows += bench_job(job, device, args, peak)
            print(render([r for r in rows if r["job"] == job.name and r["study"] == study]).split("\n", 1)[1],
                  flush=True)
            if args.out:  # after every model: a run stopped by its time limit keeps what it measured
                write(args.out, env, args, rows)
    print(f"\n{env.get('device_name')} ({device}), torch {env['torch']}, commit {env['git_commit']}, scale "
          f"{args.scale}, {args.steps} timed steps per variant, {time.perf_counter() - t0:.0f} s")
    print(render(rows))
    if device.type != "cuda":
        print("CUDA is not available here: cuda_graph, host_fed and compile_ro are reported unavailable.")
    if args.out:
        write(args.out, env, args, rows, seconds=time.perf_counter() - t0)
    return 0


def write(out: Path, env: dict, args, rows: list[dict], seconds: float | None = None) -> None:
    """``<out>.json`` (environment, settings, rows; ``complete`` once every model is timed) and ``<out>.csv``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(f"{out}.json.tmp")
    tmp.write_text(json.dumps({"environment": env, "scale": args.scale, "steps": args.steps, "rows": rows,
                               "complete": seconds is not None, "seconds": seconds}, indent=1))
    tmp.replace(f"{out}.json")
    keys = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k) if k in rows[0] else 99)
    with open(f"{out}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, keys)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
