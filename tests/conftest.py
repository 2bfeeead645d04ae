import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR", REPO.parent / "shared" / "data" / "mnist"))
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]

torch.set_num_threads(1)


def require_mnist():
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"no offline MNIST copy at {MNIST_DIR} (set MNIST_DIR)")
    return MNIST_DIR


@pytest.fixture
def mnist_dir():
    return require_mnist()


def run_snakemake(args, workdir, mnist_dir=None, timeout=1500, env=None):
    """snakemake ARGS in WORKDIR; MNIST_DIR only when given (tests must not depend on an exported one). Unless
    ``env`` says otherwise, the time plan projects at a rate no run exceeds a limit with (no timing, no stop)."""
    env = {k: v for k, v in (env or {**os.environ, "VAEREP_PLAN_SAMPLES_PER_S": "1e12"}).items() if k != "MNIST_DIR"}
    if mnist_dir:
        env["MNIST_DIR"] = str(mnist_dir)
    return subprocess.run(SNAKEMAKE + ["--directory", str(workdir)] + list(args), capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The whole workflow at smoke scale on this machine (--cores 2), run once per session: the e2e test
    checks it, the SLURM test compares its own run against it."""
    mnist = require_mnist()
    workdir = tmp_path_factory.mktemp("smoke_local")
    start = time.monotonic()
    run = run_snakemake(["--cores", "2", "--config", "scale=smoke"], workdir, mnist)
    return SimpleNamespace(workdir=workdir, run=run, seconds=time.monotonic() - start, mnist_dir=mnist)
