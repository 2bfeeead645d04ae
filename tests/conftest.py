import fcntl
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
# absolute: the snakemake runs of the tests start in other folders than the one a relative MNIST_DIR was given in
MNIST_DIR = Path(os.environ.get("MNIST_DIR", REPO.parent / "shared" / "data" / "mnist")).resolve()
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
    return subprocess.run(SNAKEMAKE + ["--directory", str(workdir)] + list(args), capture_output=True, text=True,
                          env=run_snakemake_env(mnist_dir, env), timeout=timeout)


def run_snakemake_env(mnist_dir=None, env=None) -> dict:
    """The environment run_snakemake gives snakemake."""
    env = {k: v for k, v in (env or {**os.environ, "VAEREP_PLAN_SAMPLES_PER_S": "1e12"}).items() if k != "MNIST_DIR"}
    if mnist_dir:
        env["MNIST_DIR"] = str(mnist_dir)
    return env


# ---------------------------------------------------------------------------------------------------
# The session's smoke run: the whole workflow at smoke scale (--cores 2), started in the background as soon as the
# tests are collected, so that the other tests run meanwhile; the tests that read it come last and wait for it.
# Under pytest-xdist every worker collects: the first to take the lock starts it, and all read its files.
# ---------------------------------------------------------------------------------------------------
SMOKE_ARGS = ["--cores", "2", "--config", "scale=smoke"]
SMOKE_TIMEOUT_S = 1500


def _order(item) -> int:
    """Unit tests first, then the end-to-end tests with their own runs, the tests that read the smoke run last."""
    if "smoke_run" in item.fixturenames:
        return 2
    return 1 if item.get_closest_marker("e2e") else 0


def pytest_collection_modifyitems(items):
    items.sort(key=_order)


def _smoke_root(config) -> Path:
    """A folder all pytest-xdist workers of one pytest run share (the run's own base folder without xdist)."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def pytest_sessionstart(session):
    """One FLOP-count cache for the session's snakemake runs (the time plan's; vaerep.plan.flop_cache_path), in
    the folder all xdist workers share: counted by the first run, read by the others (not the user's cache unless
    VAEREP_CACHE_DIR is set)."""
    os.environ.setdefault("VAEREP_CACHE_DIR", str(_smoke_root(session.config) / "vaerep_cache"))


def pytest_collection_finish(session):
    """Start the smoke run when a collected test reads it (once per session, whichever process comes first)."""
    if session.config.option.collectonly or not any("smoke_run" in i.fixturenames for i in session.items):
        return
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        return  # the tests that read it skip (require_mnist)
    root = _smoke_root(session.config)
    with open(root / "smoke_local.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (root / "smoke_local").exists():
            return
        workdir = root / "smoke_local"
        workdir.mkdir()
        (root / "smoke_local.start").write_text(str(time.time()))
        cmd = " ".join(shlex.quote(a) for a in SNAKEMAKE + ["--directory", str(workdir)] + SMOKE_ARGS)
        # the exit status goes to a file that appears only when complete (written, then renamed)
        script = (f"{cmd} > {root}/smoke_local.out 2> {root}/smoke_local.err; "
                  f"echo $? > {root}/smoke_local.rc.tmp && mv {root}/smoke_local.rc.tmp {root}/smoke_local.rc")
        proc = subprocess.Popen(["bash", "-c", script], env=run_snakemake_env(MNIST_DIR), start_new_session=True)
        (root / "smoke_local.pid").write_text(str(proc.pid))


def pytest_sessionfinish(session):
    """A smoke run still going when the session ends (interrupted, or its tests failed early) is stopped. Only the
    process that outlives the others does this (the xdist controller, or the one process without xdist): an xdist
    worker may finish its tests while another still waits for the run."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    root = _smoke_root(session.config)
    pid = root / "smoke_local.pid"
    if pid.is_file() and not (root / "smoke_local.rc").is_file():
        try:
            os.killpg(int(pid.read_text()), signal.SIGTERM)  # its own session: bash, snakemake and its jobs
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def smoke_run(pytestconfig):
    """The session's smoke run (started by pytest_collection_finish), waited for: the e2e test checks it, the SLURM
    and browser tests read its outputs."""
    mnist = require_mnist()
    root = _smoke_root(pytestconfig)
    rc = root / "smoke_local.rc"
    if not (root / "smoke_local.start").is_file():
        pytest.fail(f"the smoke run was not started in {root} (pytest_collection_finish in tests/conftest.py)")
    deadline = time.time() + SMOKE_TIMEOUT_S
    while not rc.is_file():
        if time.time() > deadline:
            pytest.fail(f"the smoke run ({root / 'smoke_local'}) did not finish within {SMOKE_TIMEOUT_S} s")
        time.sleep(1)
    run = subprocess.CompletedProcess(SNAKEMAKE + SMOKE_ARGS, int(rc.read_text()),
                                      (root / "smoke_local.out").read_text(), (root / "smoke_local.err").read_text())
    seconds = rc.stat().st_mtime - float((root / "smoke_local.start").read_text())
    return SimpleNamespace(workdir=root / "smoke_local", run=run, seconds=seconds, mnist_dir=mnist)
