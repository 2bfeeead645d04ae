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

from .errors import PipelineError

# Device nodes a GPU driver creates (NVIDIA, AMD ROCm, WSL): without any of them no GPU can be used, which a
# caller that only needs the device's kind learns without importing torch.
GPU_DRIVER_NODES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")

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


def device_preference(preference: str = "auto") -> str:
    """The preference in force: env VAEREP_DEVICE, else ``preference``."""
    return os.environ.get("VAEREP_DEVICE", preference)


def gpu_driver_present() -> bool:
    """Whether a GPU driver's device node exists (a GPU may then be usable; torch decides)."""
    return any(os.path.exists(node) for node in GPU_DRIVER_NODES)


def device_kind(preference: str = "auto") -> str:
    """The device a job would use, named without claiming a GPU ('cpu', 'cuda', 'cuda:N'). Torch is imported
    only where a GPU may be present."""
    preference = device_preference(preference)
    if preference == "cpu" or (preference == "auto" and not gpu_driver_present()):
        return "cpu"
    if preference == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(pick_device(preference))


def pick_device(preference: str = "auto"):
    """Return the torch.device for ``preference`` ('auto', 'cpu', 'cuda', 'cuda:N'); env VAEREP_DEVICE wins."""
    import torch

    preference = device_preference(preference)
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


def model_device(model):
    """The device a module's parameters live on (the CPU for a module without any): where its inputs go."""
    import torch

    param = next(model.parameters(), None)
    return torch.device("cpu") if param is None else param.device
