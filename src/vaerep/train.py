"""The one training loop shared by every model of every study.

A model provides ``loss_terms(x) -> dict`` of per-batch means with the objective under ``'loss'``.
The data stay in tensors on the device; each step indexes a batch, optionally converts it
(``prepare``), and runs one Adam step. Per epoch: a CSV row (loss terms, seconds, samples/s), a
checkpoint that an interrupted run resumes from, and optional kept snapshots. A NaN or Inf loss
stops the run naming the epoch, the step and the loss terms.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import torch

from .errors import PipelineError
from .provenance import environment, write_json

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainSettings:
    """Hyper-parameters of one training run (from the study's YAML config)."""

    epochs: int
    batch_size: int
    lr: float = 1e-3
    seed: int = 0
    adam_eps: float = 1e-8
    adam_betas: tuple = (0.9, 0.999)
    keep_epochs: Sequence[int] = field(default_factory=tuple)
    check_every: int = 50
    eval_batch_size: int = 4096
    autocast_bf16: bool = False
    tf32: bool = False
    compile: bool = False  # torch.compile the loss (fuses elementwise work); falls back to eager on failure

    def fingerprint(self, model_spec: dict, n_train: int) -> str:
        """Identifies a run so a checkpoint is only resumed by the same run."""
        blob = json.dumps({"settings": asdict(self), "model": model_spec, "n_train": n_train},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _identity(*batch):
    return batch[0]


def _autocast(device: torch.device, enabled: bool):
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def evaluate(model, tensors: Sequence[torch.Tensor], device: torch.device, prepare: Callable = _identity,
             batch_size: int = 4096, seed: int = 0) -> dict[str, float]:
    """Mean of every loss term over a whole dataset (model in eval mode, fixed sampling seed)."""
    was_training = model.training
    model.eval()
    torch.manual_seed(seed)
    n = tensors[0].shape[0]
    sums: dict[str, torch.Tensor] = {}
    for start in range(0, n, batch_size):
        batch = [t[start:start + batch_size].to(device, non_blocking=True) for t in tensors]
        terms = model.loss_terms(prepare(*batch))
        size = batch[0].shape[0]
        for key, value in terms.items():
            sums[key] = sums.get(key, 0.0) + value.detach().float() * size
    model.train(was_training)
    return {key: float(value) / n for key, value in sums.items()}


def _compiled(fn: Callable, log: Callable[[str], None]) -> Callable:
    """``torch.compile(fn)``, or ``fn`` itself where compilation is unavailable (no C++ compiler, ...)."""
    try:
        import torch._dynamo

        torch._dynamo.config.suppress_errors = True  # a graph that fails to compile runs eagerly
        return torch.compile(fn, dynamic=False)
    except Exception as err:  # pragma: no cover - depends on the platform
        log(f"torch.compile unavailable ({err.__class__.__name__}: {err}); training eagerly")
        return fn


def init_parameters(model: torch.nn.Module, seed: int) -> None:
    """(Re)initialise every parameter from ``seed``, whenever and wherever the model was built: each
    module's ``reset_parameters``, then the model's own ``init_weights`` if it has one."""
    torch.manual_seed(seed)
    for module in model.modules():
        if module is not model and hasattr(module, "reset_parameters"):
            module.reset_parameters()
    if hasattr(model, "init_weights"):
        model.init_weights()


def _make_optimizer(model, settings: TrainSettings):
    kwargs = dict(lr=settings.lr, betas=tuple(settings.adam_betas), eps=settings.adam_eps)
    try:
        return torch.optim.Adam(model.parameters(), fused=True, **kwargs)
    except (RuntimeError, TypeError):  # fused Adam unavailable for this device/dtype
        return torch.optim.Adam(model.parameters(), **kwargs)


def _raise_non_finite(buffer: torch.Tensor, n_rows: int, keys: list[str], epoch: int, first_step: int):
    rows = buffer[:n_rows].cpu()
    bad = int((~torch.isfinite(rows).all(1)).nonzero()[0])
    terms = ", ".join(f"{k}={v:.4g}" for k, v in zip(keys, rows[bad].tolist()))
    raise PipelineError(f"non-finite loss at epoch {epoch}, step {first_step + bad} of the epoch: {terms}. "
                        "Lower the learning rate or check the data; the last good checkpoint is kept.")


def fit(model: torch.nn.Module, train: Sequence[torch.Tensor], settings: TrainSettings, out_dir: Path | str,
        *, device: torch.device, model_spec: dict | None = None, prepare: Callable = _identity,
        val: Sequence[torch.Tensor] | None = None, log: Callable[[str], None] = print) -> pd.DataFrame:
    """Train ``model`` on the tensors ``train`` (first dim = samples) and return the per-epoch history.

    Writes into ``out_dir``: ``history.csv``, ``model.pt`` (weights and ``model_spec``),
    ``train_meta.json`` (settings, environment, timing), ``epoch_N.pt`` for N in ``keep_epochs``, and
    while running ``checkpoint.pt``, from which an interrupted run resumes. With ``settings.epochs == 0``
    nothing is trained: ``model.pt`` holds the seeded initialisation (a null control) and ``history.csv``
    one epoch-0 row with its training-set loss terms.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_spec = model_spec or {}
    if settings.tf32 and device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    init_parameters(model, settings.seed)
    model.to(device)
    train = [t.to(device) for t in train]
    n = train[0].shape[0]
    if n == 0:
        raise PipelineError("training set is empty")
    optimizer = _make_optimizer(model, settings)
    fingerprint = settings.fingerprint(model_spec, n)

    history: list[dict] = []
    log_lines: list[str] = []  # the epoch lines, kept in the checkpoint so a resumed run's log has them all
    start_epoch = 1
    ckpt_path = out_dir / CHECKPOINT
    if ckpt_path.is_file():
        ckpt = _load_checkpoint(ckpt_path, device)
        if ckpt.get("fingerprint") == fingerprint:
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            history = ckpt["history"]
            start_epoch = ckpt["epoch"] + 1
            log_lines = list(ckpt.get("log", []))
            log(f"resuming from {ckpt_path} after epoch {ckpt['epoch']}; the log of those epochs (from the "
                "checkpoint) follows")
            for line in log_lines:
                log(line)
        else:
            log(f"ignoring {ckpt_path}: it belongs to a run with other settings")

    loss_terms = _compiled(model.loss_terms, log) if settings.compile else model.loss_terms
    steps_per_epoch = math.ceil(n / settings.batch_size)
    keys: list[str] | None = None
    buffer = None
    for epoch in range(start_epoch, settings.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        gen = torch.Generator(device=device).manual_seed(settings.seed * 100_003 + epoch)
        perm = torch.randperm(n, generator=gen, device=device)
        torch.manual_seed(settings.seed * 100_003 + epoch)  # sampling noise: reproducible after resume
        sums = None
        row_in_buffer, first_step = 0, 0
        for step in range(steps_per_epoch):
            idx = perm[step * settings.batch_size:(step + 1) * settings.batch_size]
            batch = [t[idx] for t in train]
            with _autocast(device, settings.autocast_bf16):
                terms = loss_terms(prepare(*batch))
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            if keys is None:
                keys = list(terms)
                buffer = torch.empty(settings.check_every, len(keys), device=device)
            values = torch.stack([terms[k].detach().float() for k in keys])
            buffer[row_in_buffer] = values
            sums = values * idx.numel() if sums is None else sums + values * idx.numel()
            row_in_buffer += 1
            if row_in_buffer == settings.check_every or step == steps_per_epoch - 1:
                if not bool(torch.isfinite(buffer[:row_in_buffer]).all()):
                    _raise_non_finite(buffer, row_in_buffer, keys, epoch, first_step)
                first_step, row_in_buffer = step + 1, 0
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - t0
        row = {"epoch": epoch}
        row.update({f"train_{k}": float(v) / n for k, v in zip(keys, sums.tolist())})
        if val is not None:
            row.update({f"val_{k}": v for k, v in evaluate(model, val, device, prepare,
                                                           settings.eval_batch_size, seed=epoch).items()})
        row.update({"seconds": seconds, "samples_per_s": n / seconds})
        history.append(row)
        log_lines.append(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        log(log_lines[-1])
        if epoch in set(settings.keep_epochs):
            _save_atomic({"model": model.state_dict(), "spec": model_spec, "epoch": epoch},
                         out_dir / f"epoch_{epoch}.pt")
        _save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                      "history": history, "log": log_lines, "fingerprint": fingerprint}, ckpt_path)
        pd.DataFrame(history).to_csv(out_dir / "history.csv", index=False)

    if settings.epochs == 0:  # a null control: the seeded initialisation, its loss terms logged as epoch 0
        terms = evaluate(model, train, device, prepare, settings.eval_batch_size, seed=settings.seed)
        history = [{"epoch": 0, **{f"train_{k}": v for k, v in terms.items()}, "seconds": 0.0}]
    frame = pd.DataFrame(history)
    frame.to_csv(out_dir / "history.csv", index=False)
    _save_atomic({"model": model.state_dict(), "spec": model_spec, "epoch": settings.epochs},
                 out_dir / "model.pt")
    train_seconds = float(frame["seconds"].sum()) if len(frame) else 0.0
    write_json(out_dir / "train_meta.json", {
        "settings": asdict(settings), "model_spec": model_spec, "n_train": n,
        "train_seconds": train_seconds,
        "samples_per_s": n * len(frame) / train_seconds if train_seconds else None,
        "environment": environment(device),
    })
    ckpt_path.unlink(missing_ok=True)
    return frame


def _load_checkpoint(path: Path, device: torch.device) -> dict:
    """A resume checkpoint, loaded as tensors and plain containers only: a file that needs more (a
    planted pickle, say) or cannot be read stops the run naming it, and nothing in it runs."""
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except Exception as err:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        reason = (f"it asks to run the Python object {found.group(1)}, which a weights-only load refuses" if found
                  else f"{err.__class__.__name__}: {str(err).split('. ')[0]}")
        raise PipelineError(f"checkpoint '{path}' cannot be loaded safely (weights only): {reason}. It was not "
                            "written by this pipeline's training loop or is damaged; delete it to train "
                            "from the start.") from None
    if not isinstance(ckpt, dict):
        raise PipelineError(f"checkpoint '{path}' holds a {type(ckpt).__name__}, not a training checkpoint; "
                            "delete it to train from the start.")
    return ckpt


def _save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_model(path: Path | str, build: Callable[[dict], torch.nn.Module], device="cpu") -> torch.nn.Module:
    """Rebuild a model saved by :func:`fit` (``build(spec)`` makes the module) and load its weights."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"model file '{path}' is missing: run its training rule first")
    try:
        blob = torch.load(path, map_location=device, weights_only=True)
    except Exception as err:
        raise PipelineError(f"model file '{path}' is corrupt or unreadable ({err.__class__.__name__})") from None
    model = build(blob["spec"])
    model.load_state_dict(blob["model"])
    return model.to(device).eval()
