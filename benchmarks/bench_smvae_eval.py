"""Benchmark: where one Study A evaluation (rule smvae_evaluate) spends its time, per stage.

    python benchmarks/bench_smvae_eval.py [--images 40000] [--iwae-k 64] [--null-images 2000] [--threads 1]

Times, on one model at its seeded initialisation (the work does not depend on the weights) and random
c-MNIST-sized images: the -ELBO pass, the IWAE pass on every image and on a null control's subset, the
posterior moments and the invariance numbers. Prints seconds per stage, each stage's share of a trained
run's evaluation, and the ratio trained/null evaluation time measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import torch

from vaerep.models.smvae import SMVAE
from vaerep.smvae import evaluate as ev
from vaerep.train import evaluate


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=40000)
    p.add_argument("--iwae-k", type=int, default=64)
    p.add_argument("--null-images", type=int, default=2000)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    split = {"pixels": (torch.rand(a.images, 784, generator=g) * 255).to(torch.uint8),
             "contrast": torch.tensor([0.2, 0.5, 0.8, 1.0]).repeat(a.images // 4 + 1)[:a.images],
             "label": torch.randint(10, (a.images,), generator=g),
             "base_index": torch.arange(a.images) // 4}
    model = SMVAE("pre", "gamma", alpha=3.0).eval()
    cpu = torch.device("cpu")
    x = ev.images(split)
    _, t_elbo = timed(lambda: evaluate(model, [x], cpu, batch_size=4096, seed=1))
    stages = {"-ELBO pass": t_elbo}
    for name, n in (("IWAE, every image", None), (f"IWAE, {a.null_images} images (null)", a.null_images)):
        rows = ev.iwae_subset(a.images, n, 1)
        xi = x if rows is None else x[rows]
        chunk = max(1, 32768 // a.iwae_k)
        with torch.no_grad():
            _, stages[name] = timed(lambda: [model.iw_log_likelihood(xi[i:i + chunk], a.iwae_k)
                                             for i in range(0, xi.shape[0], chunk)])
    (mean, std), stages["posterior moments"] = timed(lambda: ev.posterior_moments(model, split, cpu))
    _, stages["invariance"] = timed(lambda: ev.invariance(mean, std, split, model.mix, seed=1))
    null_key = f"IWAE, {a.null_images} images (null)"
    trained = sum(v for k, v in stages.items() if k != null_key)
    null = trained - stages["IWAE, every image"] + stages[null_key]
    print(f"{a.images} images, K = {a.iwae_k}, {a.threads} thread(s)")
    print(f"{'stage':32s} {'seconds':>8s} {'share of a trained run':>24s}")
    for k, v in stages.items():
        share = "" if k == null_key else f"{v / trained:.1%}"
        print(f"{k:32s} {v:8.2f} {share:>24s}")
    print(f"evaluation: trained run {trained:.1f} s, null control {null:.1f} s (ratio {trained / null:.1f}x)")


if __name__ == "__main__":
    main()
