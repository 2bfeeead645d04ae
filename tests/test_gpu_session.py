"""The GPU window's script (workflow/scripts/gpu_session.sh) on the CPU, over a copy of the session's finished smoke
run: the speed-up choice from a benchmark JSON, the run (nothing left to do), the usage table, the export into a
copy of the tree and the archive that comes back, holding exactly the record's files; and a window stopped by its
time limit, whose finished studies are exported and whose remaining study a second window runs and merges."""

import json
import os
import shutil
import subprocess
import tarfile

import pandas as pd

from conftest import REPO
from vaerep import gpu_window, record


def _tracked_tree(dest):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for rel in filter(None, files.split("\0")):
        if (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)


def _window(smoke_run, tmp_path, repo, work, out, group, **extra):
    """Run the script as a GPU window would, on the CPU; returns the finished process and the session log."""
    bench = tmp_path / "bench_gpu.json"  # a benchmark made on the CPU: no graph step ran, nothing is switched on
    bench.write_text(json.dumps({"environment": {"device": "cpu"}, "rows": [
        {"study": "latent2d", "job": "canonical", "variant": "cuda_graph", "note": "unavailable: needs CUDA"}]}))
    env = {**os.environ, "SCALE": "smoke", "ALLOW_CPU": "1", "CORES": "2", "BENCH_S": "0", "WORK": str(work),
           "OUT": str(out), "SPEEDUPS_FROM": str(bench), "MNIST_DIR": str(smoke_run.mnist_dir), **extra}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", "workflow/scripts/gpu_session.sh", group], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    return done, (out / "session.log").read_text()


def _copy_run(smoke_run, work):
    for name in ("results", "figures", ".snakemake"):  # the run's outputs, copied: the script writes among them
        shutil.copytree(smoke_run.workdir / name, work / name, ignore=shutil.ignore_patterns("locks"))
    shutil.copytree(smoke_run.workdir / "data", work / "data", copy_function=os.link)  # read only


def test_gpu_session_script_exports_the_record_and_archives_only_its_files(smoke_run, tmp_path):
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    repo, work, out = tmp_path / "repo", tmp_path / "run", tmp_path / "out"
    _tracked_tree(repo)
    _copy_run(smoke_run, work)
    done, log = _window(smoke_run, tmp_path, repo, work, out, "all")
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
                                              "record.tar.gz", "scorecard.md", "usage.md", "resume.tar.gz"}


def test_a_window_stopped_by_its_time_limit_exports_its_finished_studies_and_the_next_runs_the_rest(smoke_run,
                                                                                                     tmp_path):
    """Study D's tables are removed from a copy of the smoke run and the window's run is stopped at once (RUN_S=1):
    the three finished studies make the record, `remaining` names D, and a second window runs D alone and merges
    it. The merged record's scorecard and forensics table are the single run's, row for row."""
    assert smoke_run.run.returncode == 0, smoke_run.run.stderr[-3000:]
    repo, work = tmp_path / "repo", tmp_path / "run"
    _tracked_tree(repo)
    _copy_run(smoke_run, work)
    for table in (work / "results" / "smoke" / "latent2d").glob("table_losses.*"):
        table.unlink()
    done, log = _window(smoke_run, tmp_path, repo, work, tmp_path / "out1", "all", RUN_S="1")
    assert done.returncode != 0 and "run: finished studies: [smvae,dsprites_beta,vqvae]" in log, log
    info = record.read(repo, "smoke")
    assert info["runs"][0]["studies"] == ["dsprites_beta", "smvae", "vqvae"] and record.check(repo, "smoke") == []
    assert not (repo / "results" / "smoke" / "latent2d").exists()
    assert not (repo / "figures" / "smoke" / "latent2d").exists()
    card = pd.read_csv(repo / "results" / "smoke" / "scorecard.csv")
    assert "latent2d" not in set(card["study"]) and len(set(card["study"])) == 3
    assert gpu_window.remaining(repo, "smoke") == ["latent2d"]

    done, log = _window(smoke_run, tmp_path, repo, work, tmp_path / "out2", "remaining")
    assert done.returncode == 0, log + done.stderr[-3000:]
    assert "studies=[latent2d]" in log and "latent2d_summarise" in (tmp_path / "out2" / "run.log").read_text()
    info = record.read(repo, "smoke")
    assert [r["studies"] for r in info["runs"]] == [["dsprites_beta", "smvae", "vqvae"], ["latent2d"]]
    assert record.check(repo, "smoke") == [] and gpu_window.remaining(repo, "smoke") == []
    for name in ("scorecard.csv", "forensics.csv"):
        merged = pd.read_csv(repo / "results" / "smoke" / name, keep_default_na=False)
        whole = pd.read_csv(smoke_run.workdir / "results" / "smoke" / name, keep_default_na=False)
        pd.testing.assert_frame_equal(merged, whole)
    jobs = pd.read_csv(repo / "results" / "smoke" / "usage_jobs.csv")
    assert {"latent2d_summarise", "smvae_summarise", "vqvae_vae2d_train"} <= set(jobs["rule"])
    # D's tables were made again by the second window: its job counts once, not also as the first window's
    assert (jobs["rule"] == "latent2d_summarise").sum() == 1 and (jobs["rule"] == "latent2d_train").sum() == 2
