"""Device choice: CUDA when present, the CPU otherwise, overridable from config.

On a workstation with several GPUs, concurrent training jobs (``snakemake --resources gpu=N``) each take a
different GPU: ``auto`` claims the first GPU whose lock file no other process holds (released when the
process ends). Under SLURM each job sees only its own GPU, so the claim is trivially GPU 0.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

import torch

from .errors import PipelineError

_claims: list = []  # open, locked files: a claim lasts as long as the process


def claim_gpu(n_gpus: int, lock_dir: Path | str | None = None) -> int | None:
    """Lock and return the index of the first of ``n_gpus`` GPUs no other claim holds; None if all are
    held. Lock files live in ``lock_dir`` (env VAEREP_GPU_LOCK_DIR, else the system's temp folder)."""
    lock_dir = Path(lock_dir or os.environ.get("VAEREP_GPU_LOCK_DIR") or tempfile.gettempdir())
    for index in range(n_gpus):
        handle = open(lock_dir / f"vaerep-gpu{index}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _claims.append(handle)
        return index
    return None


def release_gpus() -> None:
    """Drop every claim this process holds."""
    while _claims:
        _claims.pop().close()


def pick_device(preference: str = "auto") -> torch.device:
    """Return the device for ``preference`` ('auto', 'cpu', 'cuda', 'cuda:N'); env VAEREP_DEVICE wins."""
    preference = os.environ.get("VAEREP_DEVICE", preference)
    if preference == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        n = torch.cuda.device_count()
        if n <= 1:
            return torch.device("cuda")
        index = claim_gpu(n)
        if index is None:  # more concurrent jobs than GPUs: share, spread by process id
            index = os.getpid() % n
            print(f"all {n} GPUs are claimed by other jobs; sharing cuda:{index} (use --resources gpu={n})")
        return torch.device(f"cuda:{index}")
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise PipelineError(f"device '{preference}' requested but CUDA is not available on this machine")
    try:
        return torch.device(preference)
    except RuntimeError as err:
        raise PipelineError(f"unknown device '{preference}': {err}") from None

