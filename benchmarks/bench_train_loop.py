"""Benchmark: the shared training loop (``vaerep.train.fit``) against a plain PyTorch loop, Study A.

    python benchmarks/bench_train_loop.py [--steps 200] [--reps 3] [--threads 1] [--variants table]
        [--precision fp32 bf16]

The plain loop is what a user writes from the PyTorch tutorial: a ``TensorDataset`` of the uint8 images
and contrasts, a shuffling ``DataLoader`` of batch 128, the images converted per batch, ``model.loss_terms``,
``torch.optim.Adam`` with its defaults. Both train the same model (seeded alike) for ``--steps`` steps on the
same random c-MNIST-sized data, interleaved in ONE process and repeated ``--reps`` times; the host's speed
drifts, so read the median of the ratios measured side by side. Prints samples/s of each and the ratio
shared / plain per variant and precision (bf16: autocast of the forward pass).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
import yaml
from torch.utils.data import DataLoader, TensorDataset

from vaerep.config import CONFIG_DIR
from vaerep.smvae import select_variants
from vaerep.data.cmnist import to_float
from vaerep.models.smvae import build_smvae
from vaerep.train import TrainSettings, bf16_autocast, fit

CPU = torch.device("cpu")


def shared_loop(spec: dict, data: list[torch.Tensor], batch: int, bf16: bool) -> float:
    """Samples/s of one epoch through ``fit`` (its own timing of the training steps)."""
    with tempfile.TemporaryDirectory() as tmp:
        hist = fit(build_smvae(spec), data, TrainSettings(epochs=1, batch_size=batch, autocast_bf16=bf16), tmp,
                   device=CPU, model_spec={}, prepare=to_float, log=lambda s: None)
    return float(hist["samples_per_s"].iloc[0])


def plain_loop(spec: dict, data: list[torch.Tensor], batch: int, bf16: bool) -> float:
    """Samples/s of one epoch of the tutorial loop."""
    torch.manual_seed(0)
    model = build_smvae(spec)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(*data), batch_size=batch, shuffle=True)
    start = time.perf_counter()
    for pixels, contrast in loader:
        with bf16_autocast(CPU, bf16):
            loss = model.loss_terms(to_float(pixels, contrast))["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return data[0].shape[0] / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", default="table", help="'table' (five Table 4.1 variants), 'all', or names")
    ap.add_argument("--precision", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = yaml.safe_load((CONFIG_DIR / "smvae.yaml").read_text())["smvae"]
    variants = select_variants(cfg, a.variants)
    batch = cfg["train"]["batch_size"]
    n = a.steps * batch
    g = torch.Generator().manual_seed(0)
    data = [torch.randint(0, 256, (n, 784), dtype=torch.uint8, generator=g),
            torch.tensor(cfg["contrasts"]).repeat(n // len(cfg["contrasts"]) + 1)[:n]]
    print(f"{a.steps} steps of batch {batch}, {a.threads} thread(s), {a.reps} repetitions interleaved; medians")
    print(f"{'variant':16s} {'precision':9s} {'shared/s':>9s} {'plain/s':>9s} {'ratio':>6s}  (ratios)")
    for name, entry in variants.items():
        spec = {k: entry[k] for k in ("mix", "c_dist", "alpha") if k in entry}
        for precision in a.precision:
            bf16 = precision == "bf16"
            shared, plain = [], []
            for _ in range(a.reps):
                shared.append(shared_loop(spec, data, batch, bf16))
                plain.append(plain_loop(spec, data, batch, bf16))
            ratios = [s / p for s, p in zip(shared, plain)]
            print(f"{name:16s} {precision:9s} {statistics.median(shared):9.0f} {statistics.median(plain):9.0f} "
                  f"{statistics.median(ratios):6.2f}  ({', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
