"""The one training loop shared by every model of every study.

A model provides ``loss_terms(x) -> dict`` of per-batch means with the objective under ``'loss'``.
The data stay in tensors on the device; each step indexes a batch, optionally converts it
(``prepare``), and runs one Adam step. Per epoch: a CSV row (loss terms, seconds, samples/s), a
checkpoint that an interrupted run resumes from, and optional kept snapshots. A NaN or Inf loss
stops the run naming the epoch, the step and the loss terms. The same loop trains K seeds of one
model at once (:class:`vaerep.ensemble.Ensemble`), each member writing what its separate run writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import torch

from .ensemble import Ensemble
from .errors import PipelineError
from .initialisation import init_parameters
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
    # Replay the whole training step (forward, backward, Adam) as one CUDA graph (:class:`GraphedStep`); on the
    # CPU, for a seed-batched model, or where capture fails, the eager step runs.
    cuda_graphs: bool = False
    # A rehearsal (scale `rehearsal`): each epoch trains only its first N batches, and validation before the last
    # epoch sees only N batches' worth of rows; None (every real run) trains on every batch.
    max_steps_per_epoch: int | None = None
    # A null control (epochs 0) evaluates its training terms on the first N training rows (the training sets are
    # random subsets, so these are a random sample); None: on every row.
    null_eval_rows: int | None = None

    def fingerprint(self, model_spec: dict, n_train: int) -> str:
        """Identifies a run so a checkpoint is only resumed by the same run."""
        settings = {k: v for k, v in asdict(self).items()
                    if not (k in ("max_steps_per_epoch", "null_eval_rows") and v is None)
                    and not (k == "cuda_graphs" and not v)}
        blob = json.dumps({"settings": settings, "model": model_spec, "n_train": n_train},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _identity(*batch):
    return batch[0]


def bf16_autocast(device: torch.device, enabled: bool, cache: bool = True):
    """bf16 autocast of the forward pass when ``enabled``, on CUDA and on the CPU alike (convolutions and
    matmuls in bf16; the models keep their loss reductions in float32); elsewhere, or disabled, nothing.
    ``cache=False`` inside a CUDA-graph capture (autocast's weight cache must not outlive the capture)."""
    if enabled and device.type in ("cuda", "cpu"):
        return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=cache)
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


class GraphedStep:
    """One training step (``body(batch) -> loss terms``: forward, backward and optimizer step) replayed as a
    CUDA graph. The first ``warmup`` calls run eagerly on a side stream (real steps, as the capture recipe
    asks), the next one captures the step and replays it; a batch of another shape (an epoch's last, ragged
    batch) runs eagerly. Where capture fails (a step that syncs with the host, say) every step runs eagerly
    from then on and ``log`` says why. The optimizer must be capturable (``Adam(..., capturable=True)``)."""

    def __init__(self, body: Callable, eager: Callable, optimizer, log: Callable[[str], None], warmup: int = 3):
        self.body, self.eager, self.optimizer, self.log, self.warmup = body, eager, optimizer, log, warmup
        self.graph, self.static, self.out, self.failed, self.calls = None, None, None, False, 0

    def __call__(self, batch: list[torch.Tensor]) -> dict:
        if self.failed:
            return self.eager(batch)
        if self.graph is None and self.calls < self.warmup:
            self.calls += 1
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                out = self.eager(batch)
            torch.cuda.current_stream().wait_stream(stream)
            return out
        if self.graph is None:
            self._capture(batch)
            if self.failed:
                return self.eager(batch)
        if [tuple(b.shape) for b in batch] != [tuple(s.shape) for s in self.static]:
            return self.eager(batch)
        for static, b in zip(self.static, batch):
            static.copy_(b)
        self.graph.replay()
        return self.out

    def _capture(self, batch: list[torch.Tensor]) -> None:
        self.static = [b.clone() for b in batch]
        self.optimizer.zero_grad(set_to_none=True)  # the captured backward allocates the gradients it replays
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self.out = self.body(self.static)
        except Exception as err:  # noqa: BLE001 - any capture error: train eagerly
            self.failed = True
            self.optimizer.zero_grad(set_to_none=True)
            self.log(f"cuda_graphs: capture failed ({err.__class__.__name__}: {str(err).splitlines()[0][:200]}); "
                     "training eagerly")
            return
        self.graph = graph


def make_optimizer(model, settings: TrainSettings, capturable: bool = False):
    """The run's Adam (fused where the device has it); ``capturable`` keeps its state on the device for a CUDA graph."""
    kwargs = dict(lr=settings.lr, betas=tuple(settings.adam_betas), eps=settings.adam_eps)
    if capturable:  # state on the device, no host sync in step(): the step can be captured in a CUDA graph
        kwargs["capturable"] = True
    try:
        return torch.optim.Adam(model.parameters(), fused=True, **kwargs)
    except (RuntimeError, TypeError):  # fused Adam unavailable for this device/dtype
        return torch.optim.Adam(model.parameters(), **kwargs)


@dataclass
class _Run:
    """The state of one call of :func:`fit`: what it trains, where each member writes, the training step,
    and the histories and log lines that grow by one entry per member and epoch."""

    model: torch.nn.Module
    settings: TrainSettings
    device: torch.device
    model_spec: dict
    prepare: Callable
    log: Callable[[str], None]
    train: list[torch.Tensor]
    val: Sequence[torch.Tensor] | None
    out_dirs: list[Path]
    seeds: list[int]
    members: list[TrainSettings]  # the settings of each member's separate run (its own seed)
    fingerprints: list[str]
    optimizer: torch.optim.Optimizer
    step: Callable[[list[torch.Tensor]], dict]  # forward, backward, Adam; returns the loss terms
    graphs: bool
    histories: list[list[dict]]
    log_lines: list[list[str]]
    start_epoch: int
    steps_per_epoch: int
    seen: int  # rows trained on per epoch (= n in a real run)
    keys: list[str] | None = None  # names of the loss terms, from the first step
    buffer: torch.Tensor | None = None  # (check_every, members, terms): loss terms not yet checked as finite

    @property
    def batched(self) -> bool:
        return isinstance(self.model, Ensemble)

    @property
    def n(self) -> int:
        return self.train[0].shape[0]

    def member(self, i: int) -> torch.nn.Module:
        return self.model.member(i) if self.batched else self.model

    def member_weights(self, i: int) -> dict:
        return self.model.member_state_dict(i) if self.batched else self.model.state_dict()

    def member_optimizer(self, i: int) -> dict:
        state = self.optimizer.state_dict()
        return self.model.member_optimizer_state_dict(state, i) if self.batched else state


def fit(model: torch.nn.Module, train: Sequence[torch.Tensor], settings: TrainSettings,
        out_dir: Path | str | Sequence[Path | str], *, device: torch.device, model_spec: dict | None = None,
        prepare: Callable = _identity, val: Sequence[torch.Tensor] | None = None,
        log: Callable[[str], None] = print) -> pd.DataFrame | list[pd.DataFrame]:
    """Train ``model`` on the tensors ``train`` (first dim = samples) and return the per-epoch history.

    Writes into ``out_dir``: ``history.csv``, ``model.pt`` (weights and ``model_spec``),
    ``train_meta.json`` (settings, environment, timing), ``epoch_N.pt`` for N in ``keep_epochs``, and
    while running ``checkpoint.pt``, from which an interrupted run resumes. With ``settings.epochs == 0``
    nothing is trained: ``model.pt`` holds the seeded initialisation (a null control) and ``history.csv``
    one epoch-0 row with its loss terms on the training (and validation) tensors.

    ``model`` may be a :class:`vaerep.ensemble.Ensemble` of K seeds: then ``out_dir`` lists one folder
    per member, each member runs with ``settings.seed`` = its own seed (own init, data order and
    sampling noise), writes exactly what a separate run writes, and a list of K histories is returned.
    """
    run = _set_up(model, train, settings, out_dir, device, model_spec or {}, prepare, val, log)
    for epoch in range(run.start_epoch, settings.epochs + 1):
        seconds, sums = _train_epoch(run, epoch)
        _end_epoch(run, epoch, seconds, sums)
    if settings.epochs == 0:
        _null_history(run)
    return _finish(run)


def _set_up(model, train, settings: TrainSettings, out_dir, device: torch.device, model_spec: dict,
            prepare: Callable, val, log: Callable[[str], None]) -> _Run:
    """Check the output folders, seed the model and move it and the data to ``device``, build the optimizer
    and the training step, and load the checkpoints this run left, if any."""
    batched = isinstance(model, Ensemble)
    if batched and isinstance(out_dir, (str, Path)):
        raise PipelineError(f"an ensemble of {model.k} seeds needs one output folder per seed, got '{out_dir}'")
    out_dirs = [Path(d) for d in out_dir] if batched else [Path(out_dir)]
    seeds = model.seeds if batched else [settings.seed]
    if len(out_dirs) != len(seeds):
        raise PipelineError(f"{len(seeds)} ensemble members but {len(out_dirs)} output folders")
    members = [replace(settings, seed=int(s)) for s in seeds]
    for d in out_dirs:
        d.mkdir(parents=True, exist_ok=True)
    if settings.tf32 and device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if not batched:
        init_parameters(model, settings.seed)
    model.to(device)
    train = [t.to(device) for t in train]
    n = train[0].shape[0]
    if n == 0:
        raise PipelineError("training set is empty")
    graphs = settings.cuda_graphs and device.type == "cuda" and not batched
    if settings.cuda_graphs and not graphs:
        log(f"cuda_graphs: {'not used with seed-batched training' if batched else 'needs CUDA'}; training eagerly")
    optimizer = make_optimizer(model, settings, capturable=graphs)
    fingerprints = [m.fingerprint(model_spec, n) for m in members]
    histories, log_lines, start_epoch = _resume(model, optimizer, out_dirs, fingerprints, device, log)
    step = make_step(model, optimizer, settings, device, prepare, graphs, log)
    steps_per_epoch = math.ceil(n / settings.batch_size)
    if settings.max_steps_per_epoch is not None:  # a rehearsal: full-size data and shapes, a few steps
        steps_per_epoch = min(steps_per_epoch, settings.max_steps_per_epoch)
    return _Run(model=model, settings=settings, device=device, model_spec=model_spec, prepare=prepare, log=log,
                train=train, val=val, out_dirs=out_dirs, seeds=seeds, members=members, fingerprints=fingerprints,
                optimizer=optimizer, step=step, graphs=graphs, histories=histories, log_lines=log_lines,
                start_epoch=start_epoch, steps_per_epoch=steps_per_epoch,
                seen=min(n, steps_per_epoch * settings.batch_size))


def make_step(model, optimizer, settings: TrainSettings, device: torch.device, prepare: Callable, graphs: bool,
               log: Callable[[str], None]) -> Callable[[list[torch.Tensor]], dict]:
    """The training step ``step(batch) -> loss terms``: zero the gradients, forward (compiled and under bf16
    autocast where the settings ask), backward, Adam; replayed as a CUDA graph when ``graphs``."""
    batched = isinstance(model, Ensemble)
    loss_terms = model.loss_terms
    if settings.compile and batched:
        log("compile is not used with seed-batched training; training eagerly")
    elif settings.compile:
        loss_terms = _compiled(model.loss_terms, log)

    def body(batch, cache=True):
        with bf16_autocast(device, settings.autocast_bf16, cache):
            terms = loss_terms(prepare(*batch))
        (terms["loss"].sum() if batched else terms["loss"]).backward()
        optimizer.step()
        return terms

    def eager(batch):
        optimizer.zero_grad(set_to_none=True)
        return body(batch)

    return GraphedStep(lambda b: body(b, cache=False), eager, optimizer, log) if graphs else eager


def _train_epoch(run: _Run, epoch: int) -> tuple[float, torch.Tensor]:
    """Train one epoch in its seeded order, checking every ``check_every`` steps that the loss terms are
    finite; returns its seconds and the loss terms summed over the rows (members x terms)."""
    run.model.train()
    t0 = time.perf_counter()
    perm = _epoch_order(run, epoch)
    batch_size, check_every, last = run.settings.batch_size, run.settings.check_every, run.steps_per_epoch - 1
    sums, unchecked = None, 0
    for step in range(run.steps_per_epoch):
        idx = perm[:, step * batch_size:(step + 1) * batch_size]
        values = _training_step(run, [t[idx.reshape(-1)] for t in run.train])  # member-major rows
        run.buffer[unchecked] = values
        size = idx.shape[1]
        sums = values * size if sums is None else sums + values * size
        unchecked += 1
        if unchecked == check_every or step == last:
            if not bool(torch.isfinite(run.buffer[:unchecked]).all()):
                _raise_non_finite(run, unchecked, epoch, step + 1 - unchecked)
            unchecked = 0
    if run.device.type == "cuda":
        torch.cuda.synchronize(run.device)
    return time.perf_counter() - t0, sums


def _epoch_order(run: _Run, epoch: int) -> torch.Tensor:
    """Each member's row order for ``epoch`` (members x rows); also seeds the epoch's sampling noise. Both
    follow from (seed, epoch) alone, so a resumed run draws what an uninterrupted one draws."""
    epoch_seeds = [m.seed * 100_003 + epoch for m in run.members]
    perm = torch.stack([torch.randperm(run.n, generator=torch.Generator(device=run.device).manual_seed(s),
                                       device=run.device) for s in epoch_seeds])
    if run.batched:
        run.model.reseed(epoch_seeds, run.device)  # per-member sampling noise, as a separate run's global RNG
    else:
        torch.manual_seed(epoch_seeds[0])
    return perm


def _training_step(run: _Run, batch: list[torch.Tensor]) -> torch.Tensor:
    """One optimizer step on ``batch``; returns its loss terms as a (members x terms) tensor."""
    terms = run.step(batch)
    if run.keys is None:
        run.keys = list(terms)
        run.buffer = torch.empty(run.settings.check_every, len(run.seeds), len(run.keys), device=run.device)
    return torch.stack([terms[k].detach().float().reshape(len(run.seeds)) for k in run.keys], 1)


def _raise_non_finite(run: _Run, n_rows: int, epoch: int, first_step: int):
    rows = run.buffer[:n_rows].cpu()  # (steps, members, terms)
    bad, member = (int(i) for i in (~torch.isfinite(rows).all(2)).nonzero()[0])
    terms = ", ".join(f"{k}={v:.4g}" for k, v in zip(run.keys, rows[bad, member].tolist()))
    who = f"member seed {run.seeds[member]} ({run.out_dirs[member]}): " if run.batched else ""
    raise PipelineError(f"{who}non-finite loss at epoch {epoch}, step {first_step + bad} of the epoch: {terms}. "
                        "Lower the learning rate or check the data; the last good checkpoint is kept.")


def _end_epoch(run: _Run, epoch: int, seconds: float, sums: torch.Tensor) -> None:
    """Per member: the epoch's history row (training means, validation terms, timing) and log line, the
    kept snapshot, the checkpoint to resume from and ``history.csv``."""
    settings, seen = run.settings, run.seen
    totals = sums.tolist()
    for i, d in enumerate(run.out_dirs):
        row = {"epoch": epoch}
        row.update({f"train_{k}": float(v) / seen for k, v in zip(run.keys, totals[i])})
        if run.val is not None:
            rows = run.val if seen == run.n or epoch == settings.epochs else [t[:seen] for t in run.val]
            row.update({f"val_{k}": v for k, v in evaluate(run.member(i), rows, run.device, run.prepare,
                                                           settings.eval_batch_size, seed=epoch).items()})
        row.update({"seconds": seconds, "samples_per_s": seen / seconds})
        run.histories[i].append(row)
        run.log_lines[i].append((f"[seed {run.seeds[i]}] " if run.batched else "")
                                + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in row.items()))
        run.log(run.log_lines[i][-1])
        weights = run.member_weights(i)
        if epoch in set(settings.keep_epochs):
            _save_atomic({"model": weights, "spec": run.model_spec, "epoch": epoch}, d / f"epoch_{epoch}.pt")
        _save_atomic({"model": weights, "optimizer": run.member_optimizer(i), "epoch": epoch,
                      "history": run.histories[i], "log": run.log_lines[i], "fingerprint": run.fingerprints[i]},
                     d / CHECKPOINT)
        pd.DataFrame(run.histories[i]).to_csv(d / "history.csv", index=False)


def _null_history(run: _Run) -> None:
    """A null control: each member's history is one epoch-0 row, the loss terms of its seeded initialisation
    on the training rows (the first ``null_eval_rows``) and the validation rows."""
    rows = run.settings.null_eval_rows
    train_rows = run.train if rows is None else [t[:rows] for t in run.train]
    run.log(f"null control: loss terms of the untrained model on {train_rows[0].shape[0]} of {run.n} training rows"
            + ("" if run.val is None else f" and {run.val[0].shape[0]} validation rows"))
    for i in range(len(run.out_dirs)):
        row = {"epoch": 0}
        for split, tensors in (("train", train_rows), ("val", run.val)):
            if tensors is not None:
                terms = evaluate(run.member(i), tensors, run.device, run.prepare, run.settings.eval_batch_size,
                                 seed=run.members[i].seed)
                row.update({f"{split}_{k}": v for k, v in terms.items()})
        run.histories[i] = [{**row, "seconds": 0.0}]


def _finish(run: _Run) -> pd.DataFrame | list[pd.DataFrame]:
    """Write each member's ``history.csv``, ``model.pt`` and ``train_meta.json``, remove its checkpoint, and
    return the histories (a list for an ensemble)."""
    frames = []
    for i, d in enumerate(run.out_dirs):
        frame = pd.DataFrame(run.histories[i])
        frame.to_csv(d / "history.csv", index=False)
        _save_atomic({"model": run.member_weights(i), "spec": run.model_spec, "epoch": run.settings.epochs},
                     d / "model.pt")
        train_seconds = float(frame["seconds"].sum()) if len(frame) else 0.0
        meta = {"settings": asdict(run.members[i]), "model_spec": run.model_spec, "n_train": run.n,
                "train_seconds": train_seconds,
                "samples_per_s": run.seen * len(frame) / train_seconds if train_seconds else None,
                "environment": environment(run.device)}
        if run.graphs:
            meta["cuda_graphs_used"] = run.step.graph is not None
        if run.batched:  # train_seconds is the wall time of the whole batch, shared by its members
            meta["batched_with_seeds"] = run.seeds
        write_json(d / "train_meta.json", meta)
        (d / CHECKPOINT).unlink(missing_ok=True)
        frames.append(frame)
    return frames if run.batched else frames[0]


def _resume(model, optimizer, out_dirs: list[Path], fingerprints: list[str], device, log):
    """Load every member's checkpoint when all belong to this run and stopped after the same epoch;
    returns (histories, epoch log lines, first epoch to train)."""
    fresh = [[] for _ in out_dirs], [[] for _ in out_dirs], 1
    ckpts = []
    for d, fingerprint in zip(out_dirs, fingerprints):
        ckpt_path = d / CHECKPOINT
        if not ckpt_path.is_file():
            if ckpts or any((o / CHECKPOINT).is_file() for o in out_dirs):
                log(f"ignoring the checkpoints: {ckpt_path} is missing, the members restart together")
            return fresh
        ckpt = _load_checkpoint(ckpt_path, device)
        if ckpt.get("fingerprint") != fingerprint:
            log(f"ignoring {ckpt_path}: it belongs to a run with other settings")
            return fresh
        ckpts.append(ckpt)
    if len({c["epoch"] for c in ckpts}) != 1:
        log(f"ignoring the checkpoints: the members stopped after different epochs {[c['epoch'] for c in ckpts]}")
        return fresh
    if isinstance(model, Ensemble):
        for i, ckpt in enumerate(ckpts):
            model.load_member_state_dict(i, ckpt["model"])
        optimizer.load_state_dict(model.stacked_optimizer_state_dict([c["optimizer"] for c in ckpts]))
    else:
        model.load_state_dict(ckpts[0]["model"])
        optimizer.load_state_dict(ckpts[0]["optimizer"])
    for d, ckpt in zip(out_dirs, ckpts):
        log(f"resuming from {d / CHECKPOINT} after epoch {ckpt['epoch']}; the log of those epochs (from the "
            "checkpoint) follows")
        for line in ckpt.get("log", []):
            log(line)
    return [c["history"] for c in ckpts], [list(c.get("log", [])) for c in ckpts], ckpts[0]["epoch"] + 1


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
