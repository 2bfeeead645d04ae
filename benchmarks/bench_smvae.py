"""Benchmark: Study A training throughput, K seeds as separate runs against one seed-batched run.

    python benchmarks/bench_smvae.py [--steps 100] [--reps 3] [--threads 1 2] [--seeds 3] [--device auto]

Everything runs through the shared training loop (``vaerep.train.fit``) in ONE process, separate and
batched interleaved, repeated ``--reps`` times: the host's speed drifts, so compare the ratio measured
side by side (median over repetitions), not numbers from different runs. Reports, per variant and
thread count, member-samples/s (samples of all K members per second) both ways and the ratio, then
projects the 15 Table 4.1 runs at thesis scale (20 epochs x 240,000 images each) on the 2-core machine:
today's two 1-thread jobs side by side, and the seed-batched jobs (1-thread jobs side by side, or one
2-thread job at a time). Data: random c-MNIST-like uint8 tensors (throughput does not depend on pixel
values). ``--steps`` counts steps of batch 128 per run.
"""

import argparse
import math
import statistics
import tempfile

import torch
import yaml

from vaerep.config import CONFIG_DIR
from vaerep.smvae import select_variants
from vaerep.data.cmnist import to_float
from vaerep.device import pick_device
from vaerep.ensemble import Ensemble
from vaerep.models.smvae import build_smvae
from vaerep.train import TrainSettings, fit

THESIS_SAMPLES = 20 * 240_000  # per run: 20 epochs of 240,000 c-MNIST images
CORES = 2


def timed(model, data, seeds, device, batch, prepare=to_float, **settings):
    """Seconds of the training steps of one epoch through fit, as its history records them (file
    writing and setup excluded; K members when ``model`` is an Ensemble); ``settings``: more
    TrainSettings fields (autocast_bf16, ...)."""
    batched = isinstance(model, Ensemble)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [f"{tmp}/seed{s}" for s in seeds] if batched else tmp
        hist = fit(model, data, TrainSettings(epochs=1, batch_size=batch, seed=seeds[0], **settings), dirs,
                   device=device, model_spec={}, prepare=prepare, log=lambda s: None)
    return float((hist[0] if batched else hist)["seconds"].iloc[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=100, help="training steps of batch 128 per run")
    ap.add_argument("--reps", type=int, default=3, help="repetitions (medians are reported)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seeds", type=int, default=3, help="members K of a batched run")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--variants", default="table", help="'table' (five Table 4.1 variants), 'all', or names")
    args = ap.parse_args()
    device = pick_device(args.device)
    cfg = yaml.safe_load((CONFIG_DIR / "smvae.yaml").read_text())["smvae"]
    variants = select_variants(cfg, args.variants)
    batch = cfg["train"]["batch_size"]
    n = args.steps * batch
    pixels = torch.randint(0, 256, (n, 784), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    contrast = torch.tensor(cfg["contrasts"]).repeat(n // len(cfg["contrasts"]) + 1)[:n]
    seeds = list(range(args.seeds))
    print(f"device {device}; {args.steps} steps of batch {batch} per run; K = {args.seeds} seeds; "
          f"{args.reps} repetitions, separate and batched interleaved; medians")
    print(f"{'variant':16s} {'threads':>7s} {'separate':>12s} {'batched':>12s} {'ratio':>6s}   (member-samples/s)")
    totals = {}  # threads -> (separate seconds, batched seconds) per member-sample, summed over variants
    for name, entry in variants.items():
        spec = {k: entry[k] for k in ("mix", "c_dist", "alpha") if k in entry}
        for threads in args.threads:
            torch.set_num_threads(threads)
            sep, bat, ratios = [], [], []
            for _ in range(args.reps):
                t_sep = sum(timed(build_smvae(spec), [pixels, contrast], [s], device, batch) for s in seeds)
                t_bat = timed(Ensemble(build_smvae, spec, seeds), [pixels, contrast], seeds, device, batch)
                sep.append(len(seeds) * n / t_sep)
                bat.append(len(seeds) * n / t_bat)
                ratios.append(t_sep / t_bat)
            s_med, b_med, r_med = (statistics.median(v) for v in (sep, bat, ratios))
            print(f"{name:16s} {threads:7d} {s_med:12.0f} {b_med:12.0f} {r_med:6.2f}   "
                  f"(ratios {', '.join(f'{r:.2f}' for r in ratios)})")
            acc = totals.setdefault(threads, [0.0, 0.0, []])
            acc[0] += 1 / s_med
            acc[1] += 1 / b_med
            acc[2].append(r_med)
    n_var = len(variants)
    runs = n_var * len(seeds)
    print(f"\nprojection: the {runs} runs ({n_var} variants x {len(seeds)} seeds) at thesis scale "
          f"({THESIS_SAMPLES:,} samples per run), {CORES} cores")
    for threads, (sep_s, bat_s, ratios) in totals.items():
        per_run_sep = THESIS_SAMPLES * sep_s / n_var  # mean seconds of one run, separate
        per_job_bat = THESIS_SAMPLES * bat_s / n_var * len(seeds)  # mean seconds of one K-member job
        slots = max(1, CORES // threads)
        today = math.ceil(runs / slots) * per_run_sep
        batched = math.ceil(n_var / slots) * per_job_bat
        print(f"  {threads} thread(s) per job, {slots} job(s) side by side: separate {today / 60:5.1f} min, "
              f"seed-batched {batched / 60:5.1f} min (median ratio {statistics.median(ratios):.2f}; "
              "side-by-side jobs assumed not to slow each other)")


if __name__ == "__main__":
    main()
