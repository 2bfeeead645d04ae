"""The time plan's torch half: FLOPs per sample counted on a model, samples/s timed with a few training steps.
:mod:`vaerep.plan` calls these only when its caches cannot answer (a new model, a new device, new settings)."""

from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from .train import bf16_autocast


def _step(model, x, optimizer, bf16: bool = False):
    with bf16_autocast(x.device, bf16):  # as the training loop runs the study (bf16 autocast on CUDA or the CPU)
        terms = model.loss_terms(x)
    optimizer.zero_grad(set_to_none=True)
    terms["loss"].backward()
    optimizer.step()


def _count(model: torch.nn.Module, x: torch.Tensor) -> float:
    counter = FlopCounterMode(display=False)
    with counter:
        model.loss_terms(x)["loss"].backward()
    return counter.get_total_flops() / len(x)


def counted_flops(job, device: str, batch: int = 2) -> float:
    """FLOPs per sample of one training step of ``job`` (a :class:`vaerep.plan.Job`; forward + backward),
    counted on a small batch: on the meta device (shapes only, no arithmetic) where every op of the model has
    a meta kernel, else on ``device``."""
    torch.manual_seed(0)
    x = job.batch(batch)
    try:
        return _count(job.build().to("meta").train(), x.to("meta"))
    except (NotImplementedError, RuntimeError):  # e.g. the Gamma sampler's gradient, .item() in the VQ layer
        torch.manual_seed(0)
        return _count(job.build().train().to(device), x.to(device))


def samples_per_s(job, device: str, timed_steps: int, threads: int | None = None) -> float:
    """Samples/s of ``timed_steps`` Adam steps of ``job`` at its batch size and precision, after one warm-up
    step, with ``threads`` CPU threads (as the study's training jobs run; None: unchanged)."""
    device = torch.device(device)
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
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
        return timed_steps * batch / (time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
