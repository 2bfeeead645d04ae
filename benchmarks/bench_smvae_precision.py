"""Benchmark: Study A trained and evaluated in bf16 autocast against FP32, at the thesis's scale (the
precision decision for the `cpu` scale).

    python benchmarks/bench_smvae_precision.py train  [--results results/cpu] [--jobs 2]
    python benchmarks/bench_smvae_precision.py report [--results results/cpu] [--iwae-images 4000]

The FP32 runs are the pipeline's own: a finished `cpu` run's ``smvae/runs/<variant>/seed<N>/`` (model.pt,
eval.json). ``train`` trains every Table 4.1 variant and seed again with the same settings, data and seed
under bf16 autocast (one thread per job, ``--jobs`` side by side; an interrupted job resumes from its
checkpoint) into ``<results>/smvae_bf16/``. ``report`` evaluates each bf16 model's test -ELBO exactly as
``smvae_evaluate`` does (float32, same sampling seed, every test image) and prints per variant the mean
difference bf16 - FP32 against the FP32 seed std. It then scores each FP32 model's IWAE term on a seeded
subset of test images in FP32 and under bf16 autocast, timed side by side in this process. The rule, per
precision use: adopt bf16 only if every variant's |mean difference| is under a third of its seed std and
under 0.2 nat.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time
from pathlib import Path

import torch

from vaerep.config import study_settings
from vaerep.data import cmnist
from vaerep.models.smvae import build_smvae
from vaerep.plan import full_config
from vaerep.smvae import select_variants
from vaerep.smvae.data import images, load_split
from vaerep.smvae.evaluate import table_terms
from vaerep.train import TrainSettings, bf16_autocast, evaluate, fit, load_model

CPU = torch.device("cpu")
MAX_STD_FRACTION, MAX_NATS = 1 / 3, 0.2  # the adoption rule


def settings(scale: str) -> dict:
    """Study A's settings at ``scale`` (`cpu`: the thesis's training settings)."""
    return study_settings(full_config(scale), "smvae")


def spec_of(entry: dict) -> dict:
    return {k: entry[k] for k in ("mix", "c_dist", "alpha", "kl", "output_clamp") if k in entry}


def train_one(job: tuple[str, dict, int, str, str, str]) -> str:
    """Train one variant and seed under bf16 autocast (one thread)."""
    name, entry, seed, data, out, scale = job
    torch.set_num_threads(1)
    s = settings(scale)
    split = load_split(data, "train", s["n_train_images"], s["subset_seed"])
    fit(build_smvae(spec_of(entry)), [split["pixels"], split["contrast"]],
        TrainSettings(seed=seed, autocast_bf16=True, **s["train"]), out, device=CPU, model_spec=spec_of(entry),
        prepare=cmnist.to_float, log=lambda line: None)
    return f"{name} seed {seed}: done"


def train(a) -> None:
    s = settings(a.scale)
    data = Path(a.data)
    if not data.is_file():
        raise SystemExit(f"no c-MNIST file at {data}: run the `cpu` scale first (or pass --data)")
    jobs = [(name, entry, seed, str(data), str(Path(a.results) / "smvae_bf16" / name / f"seed{seed}"), a.scale)
            for name, entry in select_variants(s, "table").items() for seed in s["seeds"]]
    jobs = [j for j in jobs if not (Path(j[4]) / "model.pt").is_file()]
    print(f"{len(jobs)} bf16 runs to train, {a.jobs} side by side", flush=True)
    with mp.get_context("spawn").Pool(a.jobs) as pool:
        for line in pool.imap_unordered(train_one, jobs):
            print(line, flush=True)


def _iwae(model, split: dict, s: dict, n_images: int, bf16: bool) -> tuple[float, float]:
    """``smvae_evaluate``'s -log p(x) estimate (IWAE, K = iwae_k, on its seeded subset of ``n_images``) under the
    given precision, and its seconds."""
    start = time.perf_counter()
    with bf16_autocast(CPU, bf16):
        terms = table_terms(model, split, CPU, s["eval_seed"], s["iwae_k"], iwae_images=n_images)
    return terms["neg_log_lik_iw"], time.perf_counter() - start


def _row(name: str, fp32: list[float], bf16: list[float]) -> tuple[str, bool]:
    diff = statistics.mean(bf16) - statistics.mean(fp32)
    std = statistics.stdev(fp32) if len(fp32) > 1 else float("nan")  # one seed: no spread, never adopted
    ok = abs(diff) < MAX_STD_FRACTION * std and abs(diff) < MAX_NATS
    return (f"| {name} | {statistics.mean(fp32):.3f} ± {std:.3f} | {statistics.mean(bf16):.3f} | {diff:+.3f} | "
            f"{MAX_STD_FRACTION * std:.3f} | {'yes' if ok else 'no'} |"), ok


def report(a) -> None:
    torch.set_num_threads(a.threads)
    s = settings(a.scale)
    runs, bf16_runs = Path(a.results) / "smvae" / "runs", Path(a.results) / "smvae_bf16"
    test = load_split(a.data, "test", s["n_test_images"], s["subset_seed"])
    x = images(test)
    head = "| variant | FP32 mean ± seed std | bf16 mean | bf16 - FP32 | a third of the std | within the rule |"
    train_lines, iwae_lines, train_ok, iwae_ok, ratios = [], [], True, True, []
    for name in select_variants(s, "table"):
        fp32, bf16, iw32, iw16 = [], [], [], []
        for seed in s["seeds"]:
            fp32.append(json.loads((runs / name / f"seed{seed}" / "eval.json").read_text())["neg_elbo"])
            model16 = load_model(bf16_runs / name / f"seed{seed}" / "model.pt", build_smvae, CPU)
            bf16.append(evaluate(model16, [x], CPU, batch_size=4096, seed=s["eval_seed"])["loss"])
            model32 = load_model(runs / name / f"seed{seed}" / "model.pt", build_smvae, CPU)
            (v32, t32), (v16, t16) = (_iwae(model32, test, s, a.iwae_images, b) for b in (False, True))
            iw32.append(v32)
            iw16.append(v16)
            ratios.append(t32 / t16)
        line, ok = _row(name, fp32, bf16)
        train_lines.append(line)
        train_ok &= ok
        line, ok = _row(name, iw32, iw16)
        iwae_lines.append(line)
        iwae_ok &= ok
    print(f"Training in bf16 autocast vs FP32: test -ELBO (nats, every one of {x.shape[0]} test images, "
          f"seeds {s['seeds']}, {s['train']['epochs']} epochs)\n\n{head}\n|---|---|---|---|---|---|")
    print("\n".join(train_lines))
    print(f"\ndecision (training): {'bf16' if train_ok else 'FP32'}\n")
    print(f"IWAE evaluation (K = {s['iwae_k']}, {min(a.iwae_images, x.shape[0])} test images) of the FP32 models in bf16 vs FP32\n\n"
          f"{head}\n|---|---|---|---|---|---|")
    print("\n".join(iwae_lines))
    print(f"\nIWAE pass FP32 / bf16 seconds, side by side, {a.threads} thread(s): median "
          f"{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}, {len(ratios)} models)")
    print(f"decision (IWAE evaluation): {'bf16' if iwae_ok else 'FP32'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["train", "report"])
    ap.add_argument("--results", default="results/cpu", help="a finished `cpu` run's results folder")
    ap.add_argument("--scale", default="cpu", help="the scale of that run (its settings are reused)")
    ap.add_argument("--data", default="data/cmnist.pt", help="the c-MNIST file that run trained on")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iwae-images", type=int, default=4000)
    a = ap.parse_args()
    train(a) if a.command == "train" else report(a)


if __name__ == "__main__":
    main()
