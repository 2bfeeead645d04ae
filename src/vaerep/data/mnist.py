"""MNIST: locate (local folder or torchvision's downloader), verify by SHA-256, parse the IDX files."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from ..errors import PipelineError

# SHA-256 of the four original files, as distributed (and as torchvision downloads them).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file with ``algorithm`` (any name hashlib knows), read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return file_digest(path, "sha256")


def verify_folder(folder: Path, how_found: str) -> None:
    """Check that ``folder`` holds the four MNIST files with the right checksums."""
    if not folder.is_dir():
        raise PipelineError(f"MNIST folder '{folder}' ({how_found}) does not exist")
    missing = [name for name in MNIST_FILES if not (folder / name).is_file()]
    if missing:
        raise PipelineError(f"MNIST folder '{folder}' ({how_found}) lacks {', '.join(missing)}; "
                            f"it must hold the four original .gz files: {', '.join(MNIST_FILES)}")
    corrupt = [name for name, digest in MNIST_FILES.items() if sha256(folder / name) != digest]
    if corrupt:
        raise PipelineError(f"MNIST files in '{folder}' ({how_found}) fail their SHA-256 check: "
                            f"{', '.join(corrupt)} (corrupt or not the original files)")


def locate(mnist_dir: str | None, download_root: Path | str) -> tuple[Path, str]:
    """Find verified MNIST files: the environment variable MNIST_DIR, else config ``mnist_dir``,
    else torchvision's downloader into ``download_root``. Returns (folder, how it was found)."""
    if os.environ.get("MNIST_DIR"):
        folder, how = Path(os.environ["MNIST_DIR"]), "from the environment variable MNIST_DIR"
    elif mnist_dir:
        folder, how = Path(mnist_dir), "from config key data.mnist_dir"
    else:
        folder, how = download(Path(download_root)), "downloaded by torchvision"
    verify_folder(folder, how)
    return folder, how


def download(root: Path) -> Path:
    """Download MNIST with torchvision's real downloader; return the folder with the .gz files."""
    from torchvision.datasets import MNIST

    try:
        MNIST(str(root), train=True, download=True)
        MNIST(str(root), train=False, download=True)
    except Exception as err:  # network errors come in many types
        raise PipelineError(
            f"could not download MNIST into '{root}' ({err.__class__.__name__}: {err}). Without internet, "
            "point the pipeline at a folder holding the four .gz files: --config data.mnist_dir=PATH "
            "or the environment variable MNIST_DIR") from None
    return root / "MNIST" / "raw"


def read_idx(path: Path) -> np.ndarray:
    """Parse one gzipped IDX file (magic, dims, uint8 payload) into a numpy array."""
    try:
        raw = gzip.open(path, "rb").read()
    except (OSError, EOFError) as err:
        raise PipelineError(f"cannot read '{path}': {err}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise PipelineError(f"'{path}' is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    payload = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if payload.size != int(np.prod(dims)):
        raise PipelineError(f"'{path}' is truncated: expected {int(np.prod(dims))} values, found {payload.size}")
    return payload.reshape(dims)


def load_arrays(folder: Path) -> dict[str, torch.Tensor]:
    """The four MNIST arrays as tensors: uint8 images (N, 28, 28) and int64 labels."""
    return {
        "train_images": torch.from_numpy(read_idx(folder / "train-images-idx3-ubyte.gz").copy()),
        "train_labels": torch.from_numpy(read_idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)),
        "test_images": torch.from_numpy(read_idx(folder / "t10k-images-idx3-ubyte.gz").copy()),
        "test_labels": torch.from_numpy(read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)),
    }


def save_tensors(path: Path | str, tensors: dict, meta: dict) -> None:
    """Save a dict of tensors plus metadata in one file, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"tensors": tensors, "meta": meta}, tmp)
    os.replace(tmp, path)


def load_tensors(path: Path | str) -> tuple[dict, dict]:
    """Load a file written by :func:`save_tensors`; a clear error if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"data file '{path}' is missing: run the rule that builds it first")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise PipelineError(f"data file '{path}' is corrupt or unreadable ({err.__class__.__name__}); "
                            "delete it and rerun") from None
    return blob["tensors"], blob["meta"]
