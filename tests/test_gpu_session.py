"""The GPU window's script (workflow/scripts/gpu_session.sh) on the CPU, over a copy of the session's finished smoke
run: the speed-up choice from a benchmark JSON, the run (nothing left to do), the usage table, the export into a
copy of the tree and the archive that comes back, holding exactly the record's files."""

import json
import os
import shutil
import subprocess
import tarfile

from conftest import REPO
from vaerep import record


def _tracked_tree(dest):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for rel in filter(None, files.split("\0")):
        if (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)


def test_gpu_session_script_exports_the_record_and_archives_only_its_files(smoke_run, tmp_path):
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    repo, work, out = tmp_path / "repo", tmp_path / "run", tmp_path / "out"
    _tracked_tree(repo)
    for name in ("results", "figures", ".snakemake"):  # the run's outputs, copied: the script writes among them
        shutil.copytree(smoke_run.workdir / name, work / name, ignore=shutil.ignore_patterns("locks"))
    shutil.copytree(smoke_run.workdir / "data", work / "data", copy_function=os.link)  # read only
    bench = tmp_path / "bench_gpu.json"  # a benchmark made on the CPU: no graph step ran, nothing is switched on
    bench.write_text(json.dumps({"environment": {"device": "cpu"}, "rows": [
        {"study": "latent2d", "job": "canonical", "variant": "cuda_graph", "note": "unavailable: needs CUDA"}]}))
    env = {**os.environ, "SCALE": "smoke", "ALLOW_CPU": "1", "CORES": "2", "BENCH_S": "0", "WORK": str(work),
           "OUT": str(out), "SPEEDUPS_FROM": str(bench), "MNIST_DIR": str(smoke_run.mnist_dir)}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", "workflow/scripts/gpu_session.sh", "all"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    log = (out / "session.log").read_text()
    assert done.returncode == 0, log + done.stderr[-3000:]
    assert "speed-ups: latent2d: eager: the graph step did not run on CUDA for every model" in log
    assert "run: scale=smoke studies=[smvae,dsprites_beta,vqvae,latent2d]  in" in log and "run: exit 0" in log
    assert "Nothing to be done" in (out / "run.log").read_text()  # the copy is complete: nothing retrained
    info = record.read(repo, "smoke")
    assert info["runs"][0]["devices"] == ["cpu"] and record.check(repo, "smoke") == []
    with tarfile.open(out / "record.tar.gz") as tar:
        names = set(tar.getnames())
    assert names == {"results/smoke/record.json", *info["manifest"]}
    assert {p.name for p in out.iterdir()} <= {"session.log", "bench_gpu.json", "bench_gpu.csv", "run.log",
                                              "record.tar.gz", "scorecard.md", "usage.md"}
