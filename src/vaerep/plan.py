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
benchmark, and torch is imported only to count or time (:mod:`vaerep.plan_measure`): a check its caches
answer (the saved projection, the FLOP counts) takes a fraction of a second. The GPU figure is a
projection: total FLOPs / (peak x utilisation), at least the run's steps x a per-step floor
(workflow/config/plan.yaml states both).
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .config import CONFIG_DIR, SCHEMA_DIR, deep_merge, load_config, read_yaml, study_settings, validate, with_studies
from .device import device_kind
from .errors import PipelineError, run_command
from .smvae import forensics_runs as fa_runs
from .smvae import model_spec as smvae_spec

MNIST_TRAIN = 60_000
RATE_ENV = "VAEREP_PLAN_SAMPLES_PER_S"  # samples/s for every model instead of timing (tests, what-if)
MODELS_DIR = Path(__file__).parent / "models"


@dataclass
class Job:
    """Training runs of one model shape: ``runs`` runs of ``epochs`` x ``n_train`` samples (``n_train``: the
    rows trained on per epoch) of the model ``builder(spec)`` on inputs of ``input_shape``."""

    study: str
    name: str
    runs: int
    epochs: int
    n_train: int
    batch_size: int
    builder: str  # "module.function" building the model from ``spec``
    spec: dict
    input_shape: tuple
    binary_input: bool = False  # inputs of 0 and 1 (dSprites) instead of uniform grey levels
    precision: str = "fp32"  # fp32 | tf32 (GPU) | bf16 (autocast, GPU or CPU): the study's train settings
    members: int = 1  # runs trained together as one seed-batched model (smvae.batch_seeds)

    @property
    def samples(self) -> int:
        return self.runs * self.epochs * self.n_train

    @property
    def steps(self) -> int:
        """Optimizer steps, a seed-batched job's members stepping together."""
        return -(-self.runs // self.members) * self.epochs * -(-self.n_train // self.batch_size)

    def build(self):
        """The model, freshly initialised."""
        module, function = self.builder.rsplit(".", 1)
        return getattr(importlib.import_module(module), function)(copy.deepcopy(self.spec))

    def batch(self, size: int):
        """A random float input batch of ``size`` rows."""
        import torch

        x = torch.rand(size, *self.input_shape)
        return (x > 0.5).float() if self.binary_input else x


def _rows(n: int, train: dict) -> int:
    """Rows trained on per epoch: ``n``, or fewer in a rehearsal (``max_steps_per_epoch``)."""
    steps = train.get("max_steps_per_epoch")
    return n if steps is None else min(n, steps * train["batch_size"])


def _precision(train: dict) -> str:
    return "bf16" if train.get("autocast_bf16") else "tf32" if train.get("tf32") else "fp32"


def _jobs_smvae(s: dict) -> list[Job]:
    """Table 4.1's variants, then the forensics stage's runs (hypotheses, and baselines at the count seeds; Study
    B's forensics trains a few hundred steps in all and is not counted)."""
    n = (s["n_train_images"] or MNIST_TRAIN) * len(s["contrasts"])
    runs = {name: (v, len(s["seeds"] if v["table"] else s["extra_seeds"])) for name, v in s["variants"].items()}
    forensics = s.get("forensics")
    if forensics:
        base = fa_runs.baseline_runs(s["variants"], forensics, s["seeds"])
        for name in forensics["variants"]:
            runs[f"forensics {name}"] = (fa_runs.spec(s["variants"], forensics, name),
                                         len(fa_runs.hypothesis_seeds(s["variants"], forensics, name)))
        for name in dict.fromkeys(v for v, _ in base):
            runs[f"forensics {name} (count seeds)"] = (s["variants"][name], sum(v == name for v, _ in base))
    jobs = []
    for name, (v, k) in runs.items():
        jobs.append(Job("smvae", name, k, s["train"]["epochs"], _rows(n, s["train"]), s["train"]["batch_size"],
                        "vaerep.models.smvae.build_smvae", smvae_spec(v), (784,), precision=_precision(s["train"]),
                        members=k if s.get("batch_seeds") else 1))
    return jobs


def _jobs_dsprites_beta(s: dict) -> list[Job]:
    n = round(s["n_images"] * (1 - s["val_fraction"]))
    return [Job("dsprites_beta", f"beta{b}", 1, s["train"]["epochs"], _rows(n, s["train"]), s["train"]["batch_size"],
                "vaerep.models.beta_vae.build_beta_vae", {"beta": float(b), **s["model"]}, (1, 64, 64),
                binary_input=True, precision=_precision(s["train"])) for b in s["betas"]]


def _other_seeds(hypothesis: dict | None, train: dict) -> list[int]:
    """The seeds a forensics hypothesis trains beyond the study's own run (``train``'s seed)."""
    return [seed for seed in (hypothesis or {}).get("seeds", []) if seed != train.get("seed", 0)]


def _jobs_vqvae(s: dict) -> list[Job]:
    n = min(s["n_train_images"] or MNIST_TRAIN, MNIST_TRAIN)
    m = s["mnist"]
    jobs = [Job("vqvae", "C3 mnist vq-vae", 1, m["train"]["epochs"], _rows(n, m["train"]), m["train"]["batch_size"],
                "vaerep.models.vqvae.build_vqvae", dict(m["model"]), (1, 28, 28), precision=_precision(m["train"]))]
    forensics = s.get("forensics") or {}
    extra = _other_seeds(forensics.get("shift"), m["train"])
    if extra:  # the forensics stage's VQ-VAEs of other seeds (H-C-shift)
        jobs.append(replace(jobs[0], name="forensics mnist vq-vae seeds", runs=len(extra)))
    c1 = s["vae2d"]
    n1 = min(c1["n_train_images"] or MNIST_TRAIN, MNIST_TRAIN)
    c1_jobs = {}
    for name, model in c1["models"].items():
        spec = {**c1["architecture"], "head": model["head"], "recon": model["recon"]}
        c1_jobs[name] = Job("vqvae", f"C1 {name}", 1, c1["train"]["epochs"], _rows(n1, c1["train"]),
                            c1["train"]["batch_size"], "vaerep.models.vae2d_mnist.build_vae2d", spec, (1, 28, 28),
                            precision=_precision(c1["train"]))
    jobs += c1_jobs.values()
    extra = _other_seeds(forensics.get("seeds"), c1["train"])
    if extra:  # the forensics stage's C1 models of other seeds (H-C1-seed)
        jobs += [replace(c1_jobs[name], name=f"forensics C1 {name} seeds", runs=len(extra))
                 for name in forensics["seeds"]["models"]]
    sub = s["pretrained"]["substitute"]
    if s["pretrained"]["source"] != "dalle":  # trained only when the DALL-E weights are not used
        crop = sub["crop"]
        jobs.append(Job("vqvae", "C4 substitute (without DALL-E)", 1, sub["train"]["epochs"],
                        _rows(sub["n_crops"], sub["train"]), sub["train"]["batch_size"],
                        "vaerep.models.vqvae.build_vqvae", dict(sub["model"]),
                        (sub["model"]["in_channels"], crop, crop), precision=_precision(sub["train"])))
    return jobs


def _jobs_latent2d(s: dict) -> list[Job]:
    n = min(s["n_train_images"] or MNIST_TRAIN, MNIST_TRAIN)
    jobs = []
    for name, v in s["variants"].items():
        train = {**s["train"], **(v.get("train") or {})}
        jobs.append(Job("latent2d", name, 1, train["epochs"], _rows(n, train), train["batch_size"],
                        "vaerep.models.conv2d_vae.build_conv2d_vae", dict(v["model"]), (1, 28, 28),
                        precision=_precision(train)))
    return jobs


JOBS = {"smvae": _jobs_smvae, "dsprites_beta": _jobs_dsprites_beta, "vqvae": _jobs_vqvae,
        "latent2d": _jobs_latent2d}


@functools.lru_cache(maxsize=None)
def torch_version() -> str:
    """The installed torch's version, read from its package metadata without importing torch (imported only
    where no metadata describes it, e.g. a build from source on the path)."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        import torch

        return torch.__version__


def _device_type(device) -> str:
    return str(device).split(":")[0]


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


_FLOPS: dict = {}  # cache key -> FLOPs per sample, this process's: each model is counted once
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


@functools.lru_cache(maxsize=None)
def models_digest() -> str:
    """SHA-256 of the model code (vaerep/models/*.py): a changed model is counted again."""
    digest = hashlib.sha256()
    for path in sorted(MODELS_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def flop_key(job: Job, device) -> str:
    """The FLOP cache's key of ``job`` on ``device``: torch version, device type, model code, the job's model
    and its settings, and the counted input shape; computed without building the model."""
    key = [torch_version(), _device_type(device), models_digest(), job.study, job.name, job.builder, job.spec,
           list(job.input_shape), job.binary_input]
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def count_flops(job: Job, device) -> float:
    """FLOPs per sample of one training step (forward + backward): kept in :func:`flop_cache_path` under
    :func:`flop_key` and read from there by later runs, else counted (vaerep.plan_measure.counted_flops)."""
    key = flop_key(job, device)
    if key not in _FLOPS:
        cached = _flop_cache(flop_cache_path()).get(key)
        if isinstance(cached, (int, float)):
            _FLOPS[key] = float(cached)
        else:
            from . import plan_measure

            _FLOPS[key] = plan_measure.counted_flops(job, str(device))
            _remember_flops(key, _FLOPS[key])
    return _FLOPS[key]


def measure(job: Job, device, timed_steps: int, threads: int | None = None) -> float:
    """Samples/s of ``job`` here: ``timed_steps`` timed training steps (vaerep.plan_measure.samples_per_s)."""
    from . import plan_measure

    return plan_measure.samples_per_s(job, str(device), timed_steps, threads)


def make_plan(config: dict, device, settings: dict) -> list[dict]:
    """One row per study: runs, samples, FLOPs per sample, samples/s here, hours here, GPU hours. Samples/s
    are timed (:func:`measure`, with the study's thread count) unless ``$VAEREP_PLAN_SAMPLES_PER_S`` gives them."""
    gpu = settings["gpu"]
    rows = []
    for study in config["studies"]:
        study_cfg = study_settings(config, study)
        row = {"study": study, "runs": 0, "samples": 0, "flops": 0.0, "seconds_here": 0.0, "seconds_gpu": 0.0,
               "longest_run_gpu": 0.0}
        for job in JOBS[study](study_cfg):
            rate = (float(os.environ[RATE_ENV]) if os.environ.get(RATE_ENV)
                    else measure(job, device, settings["timed_steps"], study_cfg.get("threads", 1)))
            flops = job.samples * count_flops(job, device)
            row["runs"] += job.runs
            row["samples"] += job.samples
            row["flops"] += flops
            row["seconds_here"] += job.samples / rate
            job_gpu = max(flops / (gpu["peak_tflops"][job.precision] * 1e12 * gpu["utilisation"]),
                          job.steps * gpu["step_floor_ms"] / 1e3)
            row["seconds_gpu"] += job_gpu
            row["longest_run_gpu"] = max(row["longest_run_gpu"], job_gpu / -(-job.runs // job.members))
        row["flops_per_sample"] = row["flops"] / row["samples"] if row["samples"] else 0.0
        row["samples_per_s"] = row["samples"] / row["seconds_here"] if row["seconds_here"] else 0.0
        row["hours_here"] = row["seconds_here"] / 3600
        row["hours_gpu"] = row["seconds_gpu"] / 3600
        rows.append(row)
    return rows


def render(rows: list[dict], scale: str, device: str, settings: dict) -> str:
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
    longest = max(rows, key=lambda r: r.get("longest_run_gpu", 0.0), default=None)
    if longest and longest.get("longest_run_gpu"):
        lines.append(f"Its longest single run ({longest['study']}) projects {longest['longest_run_gpu'] / 60:.1f} "
                     f"min: with the runs in parallel on one GPU, training lasts between that and "
                     f"{on_gpu * 60:.1f} min.")
    if _device_type(device) == "cpu" and here > settings["warn_hours"]:
        choose = "Choose `--config scale=cpu` (about 2 hours on 2 cores) or run" if scale != "cpu" else "Or run"
        lines.append(f"This CPU would train for about {here:.1f} hours ({here / 24:.1f} days) in one job at a time. "
                     f"{choose} on GPU nodes with the SLURM profile: `snakemake --profile workflow/profiles/slurm`.")
    return "\n".join(lines)


def flop_bound_hours(config: dict, device: str, settings: dict) -> float:
    """Hours of training at ``bound_tflops`` (at least this device's peak): a lower bound, counted in
    well under a second without timing anything."""
    flops = 0.0
    for study in config["studies"]:
        for job in JOBS[study](study_settings(config, study)):
            flops += job.samples * count_flops(job, device)
    return flops / (settings["bound_tflops"][_device_type(device)] * 1e12) / 3600


def fingerprint(config: dict, device: str, settings: dict) -> str:
    """What a projection depends on: every study's settings at the scale, the device, host, torch and the
    plan's settings (and an injected rate). A saved plan with the same fingerprint is reused."""
    key = {"studies": {s: study_settings(config, s) for s in config["studies"]}, "device": str(device),
           "host": platform.node(), "torch": torch_version(), "plan": settings, "rate": os.environ.get(RATE_ENV)}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def projection(config: dict, device: str, settings: dict, results_dir: Path | str,
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


def gate(config: dict, results_dir: Path | str, dry_run: bool = False, device: str | None = None,
         out: Callable[[str], None] = functools.partial(print, flush=True), studies=None) -> bool:
    """The snakemake start hook: project the training time here and say whether the run may go ahead.

    A run whose FLOP-bound time is under a tenth of ``warn_hours`` (smoke) is not timed. Beyond
    ``warn_hours`` the plan is printed; beyond ``stop_hours`` (and without ``allow_long_run``) the run
    must stop (False), with the ways forward. A dry run prints the same and never stops. ``studies``: the
    studies with training left to run (None: every study of the scale); the others' rows are left out."""
    settings = load_settings()
    device = device or device_kind(config.get("device", "auto"))
    if flop_bound_hours(config, device, settings) < settings["warn_hours"] / 10:
        return True
    rows = projection(config, device, settings, results_dir, out)
    if studies is not None:
        keep = set(studies)
        rows = [r for r in rows if r["study"] in keep]
    here = sum(r["hours_here"] for r in rows)
    if here > settings["warn_hours"] or stops(rows, config, settings):
        out(render(rows, config["scale"], device, settings))
    if stops(rows, config, settings):
        out(stop_message(rows, config, settings) + ("\n(dry run: a real run would stop here)" if dry_run else ""))
        return dry_run
    if here > settings["stop_hours"]:
        out(f"allow_long_run=true: going ahead with about {here:.1f} hours of training.")
    return True


def save(rows: list[dict], scale: str, device: str, path: Path, key: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"scale": scale, "device": str(device), "fingerprint": key, "studies": rows},
                               indent=1))


def measured_seconds(results_dir: Path | str, study: str) -> tuple[float, int]:
    """Training wall time of a study's finished runs (train_meta.json; a seed-batched job counted once), its
    forensics runs (``forensics/<study>/runs``) included, and the number of runs found."""
    total, runs = 0.0, 0
    folders = [Path(results_dir, study), Path(results_dir, "forensics", study, "runs")]
    for meta_path in sorted(p for folder in folders for p in folder.rglob("train_meta.json")):
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
    device = device_kind(args.device)
    rows = make_plan(full_config(args.scale), device, settings)
    print(render(rows, args.scale, device, settings))
    if args.json:
        save(rows, args.scale, device, args.json)


if __name__ == "__main__":
    run_command(main)
