"""A training rule killed with SIGKILL (with Snakemake) resumes from its checkpoint after the README's
recovery steps (`--unlock`, then `--rerun-incomplete`), and its train.log holds every epoch once."""

import os
import re
import signal
import subprocess
import time

import pandas as pd
import pytest
from conftest import SNAKEMAKE
from conftest import run_snakemake as smk

EPOCHS = 8
RUN = "results/smoke/latent2d/runs/canonical"
ARGS = ["--cores", "1", "--config", "scale=smoke", "studies=[latent2d]",
        f"latent2d={{scales: {{smoke: {{train: {{epochs: {EPOCHS}, keep_epochs: [1]}}}}}}}}", "--", f"{RUN}/model.pt"]


def wait_for(condition, timeout, proc):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.2)
    return False


@pytest.mark.e2e
def test_hard_kill_then_unlock_and_rerun_incomplete_resumes_with_the_whole_log(tmp_path, mnist_dir):
    env = dict(os.environ, MNIST_DIR=str(mnist_dir))
    log, ckpt = tmp_path / RUN / "train.log", tmp_path / RUN / "checkpoint.pt"
    proc = subprocess.Popen(SNAKEMAKE + ["--directory", str(tmp_path)] + ARGS, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = wait_for(lambda: ckpt.is_file() and "epoch=2 " in (log.read_text() if log.is_file() else ""),
                           600, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its job, as a hard kill would
        proc.wait()
    assert started, "training never reached epoch 2 (or finished before it could be killed)"
    before = log.read_text()
    assert "epoch=1 " in before and not (tmp_path / RUN / "model.pt").exists()

    # Snakemake first names the incomplete output, then the stale lock; the README gives both steps
    incomplete = smk(ARGS, tmp_path, mnist_dir)
    assert incomplete.returncode != 0 and "--rerun-incomplete" in incomplete.stderr
    locked = smk(["--rerun-incomplete"] + ARGS, tmp_path, mnist_dir)
    assert locked.returncode != 0 and "--unlock" in locked.stderr
    assert smk(["--unlock"] + ARGS, tmp_path, mnist_dir).returncode == 0
    done = smk(["--rerun-incomplete"] + ARGS, tmp_path, mnist_dir)
    assert done.returncode == 0, done.stderr[-3000:]

    text = log.read_text()
    resumed = re.search(r"resuming from \S+ after epoch (\d+)", text)
    assert resumed and int(resumed.group(1)) >= 1, text[-3000:]
    epochs = [int(m) for m in re.findall(r"^epoch=(\d+) ", text, re.M)]
    assert epochs == list(range(1, EPOCHS + 1)), text[-3000:]  # each epoch once, in order
    # the lines of the epochs before the kill are the very lines logged then
    for line in before.splitlines():
        if line.startswith("epoch=") and int(line.split()[0][6:]) <= int(resumed.group(1)):
            assert line in text.splitlines()
    assert len(pd.read_csv(tmp_path / RUN / "history.csv")) == EPOCHS
    assert not ckpt.exists()
