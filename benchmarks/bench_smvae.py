"""Benchmark: training throughput (samples/s) of every Study A variant through the shared training loop.

    python benchmarks/bench_smvae.py [--steps 600] [--threads 1] [--device auto]

Prints samples/s per variant and the projected wall time of the thesis-scale run (20 epochs x 240,000
images per variant), for one job and for `--parallel` jobs side by side (snakemake runs one training job
per core). Data: random c-MNIST-like uint8 tensors (throughput does not depend on pixel values).
"""

import argparse
import tempfile
import time

import torch
import yaml

from vaerep.config import CONFIG_DIR
from vaerep.data.cmnist import to_float
from vaerep.device import pick_device
from vaerep.models.smvae import build_smvae
from vaerep.train import TrainSettings, fit


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=600, help="training steps per variant (batch 128)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=2, help="training jobs run side by side (cores)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--variants", default="table", help="'table' (five Table 4.1 variants) or 'all'")
    ap.add_argument("--compile", action="store_true", help="torch.compile the loss (compile time included)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    cfg = yaml.safe_load((CONFIG_DIR / "smvae.yaml").read_text())["smvae"]
    variants = {k: v for k, v in cfg["variants"].items() if args.variants == "all" or v["table"]}
    n = args.steps * 128
    pixels = torch.randint(0, 256, (n, 784), dtype=torch.uint8)
    contrast = torch.tensor(cfg["contrasts"]).repeat(n // len(cfg["contrasts"]) + 1)[:n]
    total_thesis_s = 0.0
    print(f"device {device}, {args.threads} thread(s), {args.steps} steps of batch 128 per variant"
          + (", torch.compile (compile time counted in the samples/s)" if args.compile else ""))
    for name, spec in variants.items():
        spec = {k: spec[k] for k in ("mix", "c_dist", "alpha") if k in spec}
        settings = TrainSettings(epochs=1, batch_size=128, seed=0, compile=args.compile)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            hist = fit(build_smvae(spec), [pixels, contrast], settings, tmp, device=device, model_spec=spec,
                       prepare=to_float, log=lambda s: None)
            wall = time.perf_counter() - t0
        sps = float(hist["samples_per_s"].iloc[0])
        thesis_s = 20 * 240_000 / sps
        total_thesis_s += thesis_s
        print(f"{name:16s} {sps:9.0f} samples/s   (wall {wall:5.1f} s)   thesis scale: {thesis_s / 60:5.1f} min")
    print(f"all {len(variants)} variants at thesis scale: {total_thesis_s / 60:.1f} min in one job, "
          f"{total_thesis_s / 60 / args.parallel:.1f} min with {args.parallel} jobs side by side")


if __name__ == "__main__":
    main()
