"""A time plan before the long work starts: per study, the training runs, their samples, the FLOPs per
sample (counted from the models on one batch), samples/s measured on this device with a few timed
steps, the projected hours here and a projected time on one H100-class GPU.

    python -m vaerep.plan --scale full [--device auto] [--json results/full/plan.json]
    python -m vaerep.plan --scale cpu --compare      # projection next to the measured training time

At the start of a snakemake run (:func:`gate`) a run projected to train longer than ``stop_hours`` here
stops before any job with the plan and the ways forward (``--config scale=cpu`` or
``--config allow_long_run=true``); a dry run shows the same projection. The projection is kept in
``results/<scale>/plan.json`` and reused while the settings, device and host are the same. The
environment variable ``VAEREP_PLAN_SAMPLES_PER_S`` replaces the timing by one rate for every model (tests,
what-if questions).

A plan is a few seconds of work (one counted and ``timed_steps`` timed steps per model), never a
benchmark. The GPU figure is a projection: total FLOPs / (peak x utilisation), at least the run's
steps x a per-step floor (workflow/config/plan.yaml states both).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from .config import CONFIG_DIR, SCHEMA_DIR, deep_merge, load_config, read_yaml, study_settings, validate, with_studies
from .device import pick_device
from .errors import PipelineError
from .train import bf16_autocast

MNIST_TRAIN = 60_000
RATE_ENV = "VAEREP_PLAN_SAMPLES_PER_S"  # samples/s for every model instead of timing (tests, what-if)


@dataclass
class Job:
    """Training runs of one model shape: ``runs`` runs of ``epochs`` x ``n_train`` samples (``n_train``: the
    rows trained on per epoch)."""

    study: str
    name: str
    runs: int
    epochs: int
    n_train: int
    batch_size: int
    build: Callable[[], torch.nn.Module]
    batch: Callable[[int], torch.Tensor]  # a float input batch of the given size
    precision: str = "fp32"  # fp32 | tf32 (GPU) | bf16 (autocast, GPU or CPU): the study's train settings
    members: int = 1  # runs trained together as one seed-batched model (smvae.batch_seeds)

    @property
    def samples(self) -> int:
        return self.runs * self.epochs * self.n_train

    @property
    def steps(self) -> int:
        """Optimizer steps, a seed-batched job's members stepping together."""
        return -(-self.runs // self.members) * self.epochs * -(-self.n_train // self.batch_size)


def _rows(n: int, train: dict) -> int:
    """Rows trained on per epoch: ``n``, or fewer in a rehearsal (``max_steps_per_epoch``)."""
    steps = train.get("max_steps_per_epoch")
    return n if steps is None else min(n, steps * train["batch_size"])


def _precision(train: dict) -> str:
    return "bf16" if train.get("autocast_bf16") else "tf32" if train.get("tf32") else "fp32"


def _images(*shape):
    return lambda b: torch.rand(b, *shape)


def _jobs_smvae(s: dict) -> list[Job]:
    from .models.smvae import build_smvae

    n = (s["n_train_images"] or MNIST_TRAIN) * len(s["contrasts"])
    jobs = []
    for name, v in s["variants"].items():
        spec = {k: v[k] for k in ("mix", "c_dist", "alpha") if k in v}
        runs = len(s["seeds"] if v["table"] else s["extra_seeds"])
        jobs.append(Job("smvae", name, runs, s["train"]["epochs"], _rows(n, s["train"]), s["train"]["batch_size"],
                        lambda spec=spec: build_smvae(spec), _images(784), _precision(s["train"]),
                        members=runs if s.get("batch_seeds") else 1))
    return jobs


def _jobs_dsprites_beta(s: dict) -> list[Job]:
    from .models.beta_vae import build_beta_vae

    n = round(s["n_images"] * (1 - s["val_fraction"]))
    return [Job("dsprites_beta", f"beta{b}", 1, s["train"]["epochs"], _rows(n, s["train"]), s["train"]["batch_size"],
                lambda b=b: build_beta_vae({"beta": float(b), **s["model"]}),
                lambda k: (torch.rand(k, 1, 64, 64) > 0.5).float(), _precision(s["train"])) for b in s["betas"]]


def _jobs_vqvae(s: dict) -> list[Job]:
    from .models.vae2d_mnist import build_vae2d
    from .models.vqvae import build_vqvae

    n = min(s["n_train_images"] or MNIST_TRAIN, MNIST_TRAIN)
    m = s["mnist"]
    jobs = [Job("vqvae", "C3 mnist vq-vae", 1, m["train"]["epochs"], _rows(n, m["train"]), m["train"]["batch_size"],
                lambda: build_vqvae(dict(m["model"])), _images(1, 28, 28), _precision(m["train"]))]
    c1 = s["vae2d"]
    n1 = min(c1["n_train_images"] or MNIST_TRAIN, MNIST_TRAIN)
    for name, model in c1["models"].items():
        spec = {**c1["architecture"], "head": model["head"], "recon": model["recon"]}
        jobs.append(Job("vqvae", f"C1 {name}", 1, c1["train"]["epochs"], _rows(n1, c1["train"]),
                        c1["train"]["batch_size"],
                        lambda spec=spec: build_vae2d(spec), _images(1, 28, 28), _precision(c1["train"])))
    sub = s["pretrained"]["substitute"]
    if s["pretrained"]["source"] != "dalle":  # trained only when the DALL-E weights are not used
        crop = sub["crop"]
        jobs.append(Job("vqvae", "C4 substitute (without DALL-E)", 1, sub["train"]["epochs"],
                        _rows(sub["n_crops"], sub["train"]),
                        sub["train"]["batch_size"], lambda: build_vqvae(dict(sub["model"])),
                        _images(sub["model"]["in_channels"], crop, crop), _precision(sub["train"])))
    return jobs


def _jobs_latent2d(s: dict) -> list[Job]:
    from .models.conv2d_vae import build_conv2d_vae

    n = min(s["n_train_images"] or MNIST_TRAIN, MNIST_TRAIN)
    jobs = []
    for name, v in s["variants"].items():
        train = {**s["train"], **(v.get("train") or {})}
        jobs.append(Job("latent2d", name, 1, train["epochs"], _rows(n, train), train["batch_size"],
                        lambda v=v: build_conv2d_vae(dict(v["model"])), _images(1, 28, 28), _precision(train)))
    return jobs


JOBS = {"smvae": _jobs_smvae, "dsprites_beta": _jobs_dsprites_beta, "vqvae": _jobs_vqvae,
        "latent2d": _jobs_latent2d}


def load_settings(path: Path | str | None = None) -> dict:
    """The plan's own settings (workflow/config/plan.yaml), validated."""
    path = Path(path) if path else CONFIG_DIR / "plan.yaml"
    settings = (read_yaml(path) or {}).get("plan")
    if settings is None:
        raise PipelineError(f"{path} has no 'plan' section")
    validate(settings, SCHEMA_DIR / "plan.schema.yaml", where=str(path))
    return settings


def full_config(scale: str, overrides: dict | None = None) -> dict:
    """The workflow's config at ``scale``: config.yaml, each study's file, then ``overrides``."""
    return deep_merge(with_studies(load_config(overrides={"scale": scale})), overrides or {})


def _step(model, x, optimizer, bf16: bool = False):
    with bf16_autocast(x.device, bf16):  # as the training loop runs the study (bf16 autocast on CUDA or the CPU)
        terms = model.loss_terms(x)
    optimizer.zero_grad(set_to_none=True)
    terms["loss"].backward()
    optimizer.step()


_FLOPS: dict = {}  # (device type, job, model, input shape) -> FLOPs per sample: each model is counted once
CACHE_ENV = "VAEREP_CACHE_DIR"


def flop_cache_path() -> Path:
    """The FLOP counts kept between runs: ``$VAEREP_CACHE_DIR`` (default ``$XDG_CACHE_HOME/vaerep``, else
    ``~/.cache/vaerep``) / ``flop_counts.json``."""
    root = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vaerep"
    return Path(root) / "flop_counts.json"


def _read_flop_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, unreadable or damaged: count again (a cache never stops a run)
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=None)
def _flop_cache(path: Path) -> dict:
    """The cache file's counts, read once per process."""
    return _read_flop_cache(path)


def _remember_flops(key: str, flops: float) -> None:
    """Add one count to the cache file (written whole to a temporary file, then renamed: concurrent runs never
    read half a file); a cache that cannot be written is skipped."""
    path = flop_cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**_read_flop_cache(path), key: flops}
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        pass


def _count(model: torch.nn.Module, x: torch.Tensor) -> float:
    counter = FlopCounterMode(display=False)
    with counter:
        model.loss_terms(x)["loss"].backward()
    return counter.get_total_flops() / len(x)


def count_flops(job: Job, device: torch.device, batch: int = 2) -> float:
    """FLOPs per sample of one training step (forward + backward), counted on a small batch: on the meta
    device (shapes only, no arithmetic) where every op of the model has a meta kernel, else on ``device``.
    A count is kept in :func:`flop_cache_path` under the torch version, device type, model and input shape,
    and read from there by later runs."""
    torch.manual_seed(0)
    model = job.build().train()
    x = job.batch(batch)
    key = (device.type, job.study, job.name, repr(model), tuple(x.shape))
    if key not in _FLOPS:
        disk_key = hashlib.sha256(json.dumps([torch.__version__, *key]).encode()).hexdigest()
        cached = _flop_cache(flop_cache_path()).get(disk_key)
        if isinstance(cached, (int, float)):
            _FLOPS[key] = float(cached)
            return _FLOPS[key]
        try:
            _FLOPS[key] = _count(job.build().to("meta").train(), x.to("meta"))
        except (NotImplementedError, RuntimeError):  # e.g. the Gamma sampler's gradient, .item() in the VQ layer
            _FLOPS[key] = _count(model.to(device), x.to(device))
        _remember_flops(disk_key, _FLOPS[key])
    return _FLOPS[key]


def measure(job: Job, device: torch.device, timed_steps: int) -> dict:
    """FLOPs per sample (:func:`count_flops`) and samples/s of ``timed_steps`` Adam steps at the job's
    batch size, after one warm-up step."""
    flops = count_flops(job, device)
    torch.manual_seed(0)
    model = job.build().to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = min(job.batch_size, job.n_train)
    x = job.batch(batch).to(device)
    bf16 = job.precision == "bf16"
    _step(model, x, optimizer, bf16)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(timed_steps):
        _step(model, x, optimizer, bf16)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return {"flops_per_sample": flops, "samples_per_s": timed_steps * batch / (time.perf_counter() - t0)}


def make_plan(config: dict, device: torch.device, settings: dict) -> list[dict]:
    """One row per study: runs, samples, FLOPs per sample, samples/s here, hours here, GPU hours."""
    gpu = settings["gpu"]
    rows = []
    threads = torch.get_num_threads()
    for study in config["studies"]:
        study_cfg = study_settings(config, study)
        jobs = JOBS[study](study_cfg)
        torch.set_num_threads(study_cfg.get("threads", 1))  # as the study's training jobs run
        row = {"study": study, "runs": 0, "samples": 0, "flops": 0.0, "seconds_here": 0.0, "seconds_gpu": 0.0}
        for job in jobs:
            if os.environ.get(RATE_ENV):
                m = {"flops_per_sample": count_flops(job, device), "samples_per_s": float(os.environ[RATE_ENV])}
            else:
                m = measure(job, device, settings["timed_steps"])
            flops = job.samples * m["flops_per_sample"]
            row["runs"] += job.runs
            row["samples"] += job.samples
            row["flops"] += flops
            row["seconds_here"] += job.samples / m["samples_per_s"]
            row["seconds_gpu"] += max(flops / (gpu["peak_tflops"][job.precision] * 1e12 * gpu["utilisation"]),
                                      job.steps * gpu["step_floor_ms"] / 1e3)
        row["flops_per_sample"] = row["flops"] / row["samples"] if row["samples"] else 0.0
        row["samples_per_s"] = row["samples"] / row["seconds_here"] if row["seconds_here"] else 0.0
        row["hours_here"] = row["seconds_here"] / 3600
        row["hours_gpu"] = row["seconds_gpu"] / 3600
        rows.append(row)
    torch.set_num_threads(threads)
    return rows


def render(rows: list[dict], scale: str, device: torch.device, settings: dict) -> str:
    """The plan as a text table with its advice."""
    gpu = settings["gpu"]
    how = (f"samples/s given by {RATE_ENV}" if os.environ.get(RATE_ENV)
           else f"samples/s measured with {settings['timed_steps']} timed steps per model")
    lines = [f"Time plan for scale={scale} on {device} ({how}; the GPU column is a projection)",
             f"{'study':15s} {'runs':>5s} {'samples':>14s} {'MFLOP/sample':>13s} {'samples/s here':>15s} "
             f"{'hours here':>11s} {'hours on ' + gpu['name'] + ' (proj.)':>22s}"]
    for r in rows:
        lines.append(f"{r['study']:15s} {r['runs']:5d} {r['samples']:14,d} {r['flops_per_sample'] / 1e6:13.1f} "
                     f"{r['samples_per_s']:15,.0f} {r['hours_here']:11.2f} {r['hours_gpu']:22.3f}")
    here = sum(r["hours_here"] for r in rows)
    on_gpu = sum(r["hours_gpu"] for r in rows)
    lines.append(f"{'total':15s} {sum(r['runs'] for r in rows):5d} {sum(r['samples'] for r in rows):14,d} "
                 f"{'':13s} {'':15s} {here:11.2f} {on_gpu:22.3f}")
    lines.append(f"GPU projection: total FLOPs / ({gpu['utilisation']:.0%} of the {gpu['name']}'s peak at the "
                 f"study's precision), at least {gpu['step_floor_ms']} ms per step; training only, jobs one "
                 "after another.")
    if device.type == "cpu" and here > settings["warn_hours"]:
        lines.append(f"This CPU would train for about {here:.1f} hours ({here / 24:.1f} days) in one job at a time. "
                     "Choose `--config scale=cpu` (about 2 hours on 2 cores) or run on GPU nodes with the SLURM "
                     "profile: `snakemake --profile workflow/profiles/slurm`.")
    return "\n".join(lines)


def flop_bound_hours(config: dict, device: torch.device, settings: dict) -> float:
    """Hours of training at ``bound_tflops`` (at least this device's peak): a lower bound, counted in
    well under a second without timing anything."""
    flops = 0.0
    for study in config["studies"]:
        for job in JOBS[study](study_settings(config, study)):
            flops += job.samples * count_flops(job, device)
    return flops / (settings["bound_tflops"][device.type] * 1e12) / 3600


def fingerprint(config: dict, device: torch.device, settings: dict) -> str:
    """What a projection depends on: every study's settings at the scale, the device, host, torch and the
    plan's settings (and an injected rate). A saved plan with the same fingerprint is reused."""
    key = {"studies": {s: study_settings(config, s) for s in config["studies"]}, "device": str(device),
           "host": platform.node(), "torch": torch.__version__, "plan": settings, "rate": os.environ.get(RATE_ENV)}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def projection(config: dict, device: torch.device, settings: dict, results_dir: Path | str,
               out: Callable[[str], None] = functools.partial(print, flush=True)) -> list[dict]:
    """The plan's rows: the saved ``results_dir/plan.json`` when its fingerprint matches, else measured now
    (a line saying so is printed before the timing starts) and saved."""
    path = Path(results_dir) / "plan.json"
    key = fingerprint(config, device, settings)
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
        except ValueError:
            saved = {}
        if saved.get("fingerprint") == key:
            out(f"time plan: reusing the projection measured on {saved.get('device')} ({path})")
            return saved["studies"]
    if os.environ.get(RATE_ENV):
        out(f"time plan: projecting the run time at {os.environ[RATE_ENV]} samples/s per model ({RATE_ENV}) ...")
    else:
        out(f"time plan: timing a few training steps to project the run time on {device} "
            f"({settings['timed_steps']} per model, about a minute on a CPU) ...")
    rows = make_plan(config, device, settings)
    save(rows, config["scale"], device, path, key)
    return rows


def stops(rows: list[dict], config: dict, settings: dict) -> bool:
    """Whether a run of this projection must stop: more than ``stop_hours`` here, and no ``allow_long_run``."""
    return sum(r["hours_here"] for r in rows) > settings["stop_hours"] and not config.get("allow_long_run")


def stop_message(rows: list[dict], config: dict, settings: dict) -> str:
    """Why the run stops, and the two ways forward."""
    here = sum(r["hours_here"] for r in rows)
    scale = config["scale"]
    lines = [f"STOP: scale={scale} would train for about {here:.1f} hours ({here / 24:.1f} days) on this machine, "
             f"beyond the plan's stop_hours ({settings['stop_hours']:g} h, workflow/config/plan.yaml). Nothing was run.",
             "Ways forward:"]
    if scale != "cpu":
        lines.append("  - a scale made for a CPU:         snakemake --cores all --config scale=cpu"
                     "  (about 2 hours on 2 cores)")
    lines.append("  - this run, knowingly:            snakemake --cores all --config allow_long_run=true"
                 + (f" scale={scale}" if scale != "full" else "") + "  (with your other --config values)")
    lines.append("  - or GPU nodes through the SLURM profile: snakemake --profile workflow/profiles/slurm")
    return "\n".join(lines)


def gate(config: dict, results_dir: Path | str, dry_run: bool = False, device: torch.device | None = None,
         out: Callable[[str], None] = functools.partial(print, flush=True)) -> bool:
    """The snakemake start hook: project the training time here and say whether the run may go ahead.

    A run whose FLOP-bound time is under a tenth of ``warn_hours`` (smoke) is not timed. Beyond
    ``warn_hours`` the plan is printed; beyond ``stop_hours`` (and without ``allow_long_run``) the run
    must stop (False), with the ways forward. A dry run prints the same and never stops."""
    settings = load_settings()
    device = device or pick_device(config.get("device", "auto"))
    if flop_bound_hours(config, device, settings) < settings["warn_hours"] / 10:
        return True
    rows = projection(config, device, settings, results_dir, out)
    here = sum(r["hours_here"] for r in rows)
    if here > settings["warn_hours"] or stops(rows, config, settings):
        out(render(rows, config["scale"], device, settings))
    if stops(rows, config, settings):
        out(stop_message(rows, config, settings) + ("\n(dry run: a real run would stop here)" if dry_run else ""))
        return dry_run
    if here > settings["stop_hours"]:
        out(f"allow_long_run=true: going ahead with about {here:.1f} hours of training.")
    return True


def save(rows: list[dict], scale: str, device: torch.device, path: Path, key: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"scale": scale, "device": str(device), "fingerprint": key, "studies": rows},
                               indent=1))


def measured_seconds(results_dir: Path | str, study: str) -> tuple[float, int]:
    """Training wall time of a study's finished runs (train_meta.json; a seed-batched job counted once)
    and the number of runs found."""
    total, runs = 0.0, 0
    for meta_path in sorted(Path(results_dir, study).rglob("train_meta.json")):
        meta = json.loads(meta_path.read_text())
        total += meta["train_seconds"] / len(meta.get("batched_with_seeds") or [0])
        runs += 1
    return total, runs


def compare(results_dir: Path | str) -> str:
    """The saved projection (plan.json) next to the measured training time of the runs that finished."""
    path = Path(results_dir) / "plan.json"
    if not path.is_file():
        raise PipelineError(f"no plan at {path}: it is written when a snakemake run starts "
                            "(or by `python -m vaerep.plan --json ...`)")
    plan = json.loads(path.read_text())
    lines = [f"projection ({plan['device']}) vs measured training time, scale={plan['scale']}",
             f"{'study':15s} {'runs':>9s} {'projected h':>12s} {'measured h':>11s} {'ratio':>6s}"]
    for r in plan["studies"]:
        seconds, runs = measured_seconds(results_dir, r["study"])
        ratio = f"{seconds / r['seconds_here']:6.2f}" if runs == r["runs"] and r["seconds_here"] else "     -"
        lines.append(f"{r['study']:15s} {runs:4d}/{r['runs']:<4d} {r['hours_here']:12.3f} {seconds / 3600:11.3f} {ratio}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="full")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", type=Path, help="also write the plan to this file")
    ap.add_argument("--compare", action="store_true",
                    help="print results/<scale>/plan.json next to the measured training times")
    args = ap.parse_args(argv)
    if args.compare:
        print(compare(Path("results") / args.scale))
        return
    settings = load_settings()
    device = pick_device(args.device)
    rows = make_plan(full_config(args.scale), device, settings)
    print(render(rows, args.scale, device, settings))
    if args.json:
        save(rows, args.scale, device, args.json)


if __name__ == "__main__":
    try:
        main()
    except PipelineError as err:
        raise SystemExit(f"ERROR: {err}")
