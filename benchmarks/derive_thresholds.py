"""Chance levels behind three claim thresholds (the numbers quoted in the threshold comments of workflow/config/*.yaml).

- Study A `direction_knn`: the digit k-NN on shape-latent directions of untrained Standard VAEs (seeded
  initialisations, the null control) and of random codes, on c-MNIST test images; the threshold is the
  null's mean + 5 x its seed spread, rounded up to 0.05.
- Study D `neighbour_rank`: how often random 2-D layouts pass "a and b are neighbours" at rank 1, 2, 3.

    PYTHONPATH=src MNIST_DIR=... python benchmarks/derive_thresholds.py [--n-base 2000] [--seeds 5]
"""
import argparse
import math
import os
from pathlib import Path

import numpy as np
import torch

from vaerep.chance import direction_knn_random, neighbour_pass_rate
from vaerep.data import cmnist
from vaerep.data.mnist import load_arrays
from vaerep.initialisation import init_parameters
from vaerep.models.smvae import build_smvae
from vaerep.smvae.evaluate import direction_knn_digit, posterior_moments

CONTRASTS = [0.2, 0.5, 0.8, 1.0]


def direction_knn_null(n_base: int, seeds: int) -> np.ndarray:
    m = load_arrays(Path(os.environ["MNIST_DIR"]))
    test = cmnist.build(m["test_images"][:n_base], m["test_labels"][:n_base], CONTRASTS)
    out = []
    for seed in range(seeds):
        model = build_smvae({"mix": "none"})
        init_parameters(model, seed)
        model.eval()
        with torch.no_grad():
            mean, _ = posterior_moments(model, test, torch.device("cpu"))
        out.append(direction_knn_digit(mean, test))
    return np.array(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-base", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--draws", type=int, default=20000)
    a = ap.parse_args()
    null = direction_knn_null(a.n_base, a.seeds)
    rnd = direction_knn_random(a.n_base, CONTRASTS, draws=a.seeds)
    thr = math.ceil((null.mean() + 5 * null.std(ddof=1)) / 0.05) * 0.05
    print(f"direction_knn, {a.n_base} digits x {len(CONTRASTS)} contrasts: untrained Standard VAE over {a.seeds} seeds "
          f"{null.mean():.3f} +- {null.std(ddof=1):.3f} (max {null.max():.3f}); random codes {rnd.mean():.3f} +- "
          f"{rnd.std(ddof=1):.3f}; mean + 5 sd rounded up to 0.05: {thr:.2f}")
    for rank in (1, 2, 3):
        print(f"neighbour_rank {rank}: random layouts pass a pair {neighbour_pass_rate((4, 9), rank, a.draws):.3f}")


if __name__ == "__main__":
    main()
