import fcntl
import json
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
    """snakemake ARGS in WORKDIR; MNIST_DIR only when given (tests must not depend on an exported one)."""
    env = {k: v for k, v in (env or os.environ).items() if k != "MNIST_DIR"}
    if mnist_dir:
        env["MNIST_DIR"] = str(mnist_dir)
    return subprocess.run(SNAKEMAKE + ["--directory", str(workdir)] + list(args), capture_output=True, text=True,
                          env=env, timeout=timeout)


def _order(item) -> int:
    """Where a test goes in the run: the tests that read the session's smoke run first (it then starts at once), the
    SLURM test next (its own run overlaps the smoke run; it asks for the smoke run only to compare), then the other
    end-to-end runs, then the unit tests."""
    if "smoke_run" in item.fixturenames:
        return 0
    if item.path.name == "test_slurm_profile.py":
        return 1
    return 2 if item.get_closest_marker("e2e") else 3


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Longest first (see _order). Under pytest-xdist with --dist loadgroup (pyproject.toml), every test file is one
    unit of work (its module fixtures are made once), except that the tests reading the smoke run form one unit,
    so the worker that runs the smoke run also runs them."""
    items.sort(key=_order)
    if config.pluginmanager.hasplugin("xdist") and config.getoption("dist", "no") == "loadgroup":
        for item in items:
            group = "smoke_run" if "smoke_run" in item.fixturenames else item.path.stem
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_root(tmp_path_factory) -> Path:
    """A folder all pytest-xdist workers of this session share (the session's own base folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The whole workflow at smoke scale on this machine (--cores 2), run once per session: the e2e test
    checks it, the SLURM and browser tests read its outputs. Under pytest-xdist the first worker that asks runs
    it while holding a lock; the others wait on the lock and read its record (smoke_local.json)."""
    mnist = require_mnist()
    root = _shared_root(tmp_path_factory)
    workdir, record = root / "smoke_local", root / "smoke_local.json"
    with open(root / "smoke_local.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not record.is_file():
            workdir.mkdir()
            start = time.monotonic()
            run = run_snakemake(["--cores", "2", "--config", "scale=smoke"], workdir, mnist)
            record.write_text(json.dumps({"args": run.args, "returncode": run.returncode, "stdout": run.stdout,
                                          "stderr": run.stderr, "seconds": time.monotonic() - start}))
        rec = json.loads(record.read_text())
    run = subprocess.CompletedProcess(rec["args"], rec["returncode"], rec["stdout"], rec["stderr"])
    return SimpleNamespace(workdir=workdir, run=run, seconds=rec["seconds"], mnist_dir=mnist)
