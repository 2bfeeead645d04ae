"""MNIST verification and parsing, and the c-MNIST construction."""

import gzip
import shutil

import pytest
import torch

from vaerep.data import cmnist, mnist
from vaerep.errors import PipelineError


def test_offline_mnist_is_verified_and_parsed(mnist_dir):
    folder, how = mnist.locate(str(mnist_dir), "unused")
    arrays = mnist.load_arrays(folder)
    assert arrays["train_images"].shape == (60000, 28, 28) and arrays["train_images"].dtype == torch.uint8
    assert arrays["test_images"].shape == (10000, 28, 28)
    assert arrays["train_labels"].shape == (60000,) and set(arrays["test_labels"].unique().tolist()) == set(range(10))
    assert int(arrays["train_images"].max()) == 255


def test_missing_and_corrupt_files_are_named(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)  # the environment variable would win over the folder
    with pytest.raises(PipelineError, match="does not exist"):
        mnist.locate(str(tmp_path / "nope"), "unused")
    for name in mnist.MNIST_FILES:
        shutil.copy(mnist_dir / name, tmp_path / name)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(PipelineError, match="lacks t10k-labels-idx1-ubyte.gz"):
        mnist.locate(str(tmp_path), "unused")
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x01" + (10000).to_bytes(4, "big") + bytes(10000))
    with pytest.raises(PipelineError, match="fail their SHA-256 check: t10k-labels-idx1-ubyte.gz"):
        mnist.locate(str(tmp_path), "unused")


def test_truncated_idx_is_reported(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(100))
    with pytest.raises(PipelineError, match="truncated"):
        mnist.read_idx(path)


def test_env_variable_wins(monkeypatch, tmp_path, mnist_dir):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    folder, how = mnist.locate(str(tmp_path / "ignored"), "unused")
    assert folder == mnist_dir and "MNIST_DIR" in how


def test_cmnist_keeps_contrast_label_and_pairs():
    images = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8)
    labels = torch.arange(10)
    built = cmnist.build(images, labels, [0.2, 0.5, 0.8, 1.0])
    assert built["pixels"].shape == (40, 784)
    x = cmnist.to_float(built["pixels"], built["contrast"])
    assert x.max() <= 1.0 and x.min() >= 0.0
    # row k*10 + i is image i at contrast k
    assert torch.allclose(x[23], images[3].reshape(-1).float() / 255 * 0.8)
    assert built["label"][23] == 3 and built["base_index"][23] == 3
    sub = cmnist.subset(built, 4, seed=0)
    assert sub["pixels"].shape[0] == 16
    assert all((sub["base_index"] == b).sum() == 4 for b in sub["base_index"].unique())
