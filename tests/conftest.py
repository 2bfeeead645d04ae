import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", REPO.parent / "shared" / "data" / "mnist"))

torch.set_num_threads(1)


@pytest.fixture
def mnist_dir():
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"no offline MNIST copy at {MNIST_DIR} (set MNIST_DIR)")
    return MNIST_DIR
