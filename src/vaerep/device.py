"""Device choice: CUDA when present, the CPU otherwise, overridable from config."""

from __future__ import annotations

import os

import torch

from .errors import PipelineError


def pick_device(preference: str = "auto") -> torch.device:
    """Return the device for ``preference`` ('auto', 'cpu', 'cuda', 'cuda:N'); env VAEREP_DEVICE wins."""
    preference = os.environ.get("VAEREP_DEVICE", preference)
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise PipelineError(f"device '{preference}' requested but CUDA is not available on this machine")
    try:
        return torch.device(preference)
    except RuntimeError as err:
        raise PipelineError(f"unknown device '{preference}': {err}") from None


def set_threads(threads: int | None) -> None:
    """Limit torch's CPU threads (snakemake passes the rule's thread count)."""
    if threads:
        torch.set_num_threads(int(threads))
