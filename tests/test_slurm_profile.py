"""The SLURM profile (workflow/profiles/slurm), for real: a one-node SLURM cluster (Debian's slurm-wlm: slurmctld
+ slurmd, authenticated by its own munged) is started in a temp dir, TARGETS of the smoke workflow run through the
profile (every rule an sbatch job), and their outputs must match those of the local smoke run. Skips, with the reason and
the daemons' log tails, where SLURM is not installed or does not start.

The node declares its real CPUs and memory and two GPUs as a GRES. Slurm 22.05 drops file-less GPUs
("Removing file-less GPU"), so each fake GPU is a symlink to /dev/null: the scheduler then counts and allocates
them (and sets CUDA_VISIBLE_DEVICES) like real ones, and the profile's GPU requests are honoured, not overridden.
The jobs themselves see no CUDA device and train on the CPU, with the same seeds as the local run."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, require_mnist, run_snakemake

PROFILE = REPO / "workflow" / "profiles" / "slurm"
N_GPUS = 2
# Study and targets run through SLURM. Each job pays ~10 s of sbatch, status polling and two snakemake start-ups
# (one to submit, one inside the job), and each level of the DAG waits for the plugin's status polls. The targets
# are the fewest jobs, in the fewest levels, that still meet each kind of rule the profile treats differently: a
# training rule (`resources: gpu=1`: sbatch --gpus=1), a null control derived from it with `use rule ... with: gpu=0`
# (no GPU), and a CPU-only rule (the data rule): 3 jobs in 2 levels. Every other rule of the workflow runs locally in
# the session's smoke run; the profile submits all rules alike.
STUDIES = ["latent2d"]
RUN = "results/smoke/latent2d/runs/canonical"
TARGETS = [f"{RUN}/history.csv", f"{RUN.replace('/runs/', '/null/runs/')}/history.csv"]
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "srun")
# columns that hold wall-clock measurements, never equal between two runs
TIMING = re.compile(r"(^|_)(seconds|secs|time|wall|duration|elapsed|samples_per_s)($|_)", re.I)


def _tail(path: Path, n=15) -> str:
    if not path.is_file():
        return f"[{path.name}: missing]"
    return f"[{path.name}]\n" + "\n".join(path.read_text(errors="replace").splitlines()[-n:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """slurmctld, slurmd and munged in the foreground as children of the test, all state under `root`."""

    def __init__(self, root: Path):
        self.root, self.procs = root, []
        self.conf = root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        for var in [v for v in self.env if v.startswith(("SLURM_", "SBATCH_", "SRUN_")) and v != "SLURM_CONF"]:
            del self.env[var]  # in case the test itself runs inside a SLURM job

    def logs(self) -> str:
        return "\n".join(_tail(self.root / "log" / f"{d}.log") for d in ("munged", "slurmctld", "slurmd"))

    def _spawn(self, name, cmd):
        log = open(self.root / "log" / f"{name}.out", "w")
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env))

    def start(self) -> "Cluster":
        root = self.root
        root.chmod(0o755)
        for d in ("log", "run", "spool", "state", "dev"):
            (root / d).mkdir()
        key = root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        sock = root / "run" / "munge.socket"
        self._spawn("munged", ["munged", "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
                               f"--pid-file={root}/run/munged.pid", f"--seed-file={root}/run/munge.seed",
                               f"--log-file={root}/log/munged.log"])
        # the node as slurmd sees it (real CPUs, sockets, memory), plus the fake GPUs
        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
        self.host = re.search(r"NodeName=(\S+)", node).group(1)
        self.cpus = int(re.search(r"CPUs=(\d+)", node).group(1))
        self.mem_mb = int(re.search(r"RealMemory=(\d+)", node).group(1))
        for i in range(N_GPUS):
            (root / "dev" / f"gpu{i}").symlink_to("/dev/null")
        (root / "gres.conf").write_text(
            f"AutoDetect=off\nNodeName={self.host} Name=gpu File={root}/dev/gpu[0-{N_GPUS - 1}]\n")
        self.conf.write_text(f"""\
ClusterName=vaerep-test
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
# no cgroups: plain process tracking, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# no slurmdbd (so no sacct): finished jobs are logged to a text file and stay in squeue/scontrol for 2 h
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.txt
MinJobAge=7200
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
GresTypes=gpu
{node} NodeAddr=127.0.0.1 Gres=gpu:{N_GPUS} State=UNKNOWN
PartitionName=main Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
""")
        # snakemake-executor-plugin-slurm-jobstep (0.6) strips SLURM_* but a few job ids from the environment
        # of the srun it starts inside each job, SLURM_CONF included, and srun then finds no configuration;
        # clusters with /etc/slurm/slurm.conf are not affected. An srun on PATH that sets it back:
        (root / "bin").mkdir()
        (root / "bin" / "srun").write_text(
            f'#!/bin/sh\nSLURM_CONF={self.conf} exec {shutil.which("srun")} "$@"\n')
        (root / "bin" / "srun").chmod(0o755)
        self.env["PATH"] = f"{root / 'bin'}{os.pathsep}{self.env['PATH']}"
        time.sleep(1)  # munged's socket
        self._spawn("slurmctld", ["slurmctld", "-D", "-f", str(self.conf)])
        self._spawn("slurmd", ["slurmd", "-D", "-f", str(self.conf)])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited")
            state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, env=self.env)
            if state.stdout.strip() == "idle":
                return self
            time.sleep(1)
        raise RuntimeError(f"node not idle after 60 s: {state.stdout.strip()} {state.stderr.strip()}")

    def stop(self):
        if len(self.procs) == 3 and all(p.poll() is None for p in self.procs):  # cancel jobs still running
            try:
                subprocess.run(["scancel", "--full", "--user", "root"], capture_output=True, env=self.env,
                               timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for proc in reversed(self.procs):  # slurmd, slurmctld, munged
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def completed(self) -> list[dict]:
        """Jobs in the job completion log, one dict of KEY=VALUE fields per job."""
        path = self.root / "log" / "jobcomp.txt"
        text = path.read_text() if path.is_file() else ""
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in text.splitlines() if line.strip()]

    def jobs(self) -> list[dict]:
        """Every job slurmctld still holds (MinJobAge), with its allocated GRES (JOB_GRES) and log (StdOut)."""
        out = subprocess.run(["scontrol", "show", "job", "--details", "--oneliner"], capture_output=True,
                             text=True, env=self.env, check=True).stdout
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in out.splitlines() if "JobId=" in line]


@pytest.fixture(scope="module")
def slurm():
    missing = [d for d in DAEMONS if not shutil.which(d)]
    if missing:
        pytest.skip(f"SLURM not installed (missing {', '.join(missing)}; apt-get install slurm-wlm munge)")
    if os.geteuid() != 0:
        pytest.skip("the one-node SLURM test runs slurmd as root (it launches the jobs); not root here")
    # short path: munged's socket path must fit in a sockaddr_un (108 bytes)
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="slurm-", dir="/tmp")))
    try:
        cluster.start()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as err:
        cluster.stop()
        logs = cluster.logs()
        shutil.rmtree(cluster.root, ignore_errors=True)
        pytest.skip(f"SLURM did not start: {err}\n{logs}")
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.root, ignore_errors=True)


def _gpu_rules() -> set[str]:
    """Rules that declare `resources: gpu=1` in workflow/rules/*.smk, and those derived from one with
    `use rule X as Y with:` that do not set `gpu=0` (the null controls' zero-step training)."""
    rules, derived = set(), []
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"^\s*(?=rule |use rule )", smk.read_text(), flags=re.M):
            gpu = re.search(r"^\s+gpu\s*=\s*(\d+)\b", block, flags=re.M)
            if block.startswith("rule ") and gpu and gpu.group(1) == "1":
                rules.add(block[5:].split(":", 1)[0].strip())
            elif block.startswith("use rule "):
                m = re.match(r"use rule (\w+) as (\w+)", block)
                derived.append((m.group(1), m.group(2), gpu.group(1) if gpu else None))
    for base, name, gpu in derived:
        if gpu == "1" or (gpu is None and base in rules):
            rules.add(name)
    return rules


def _outputs(workdir: Path) -> set[str]:
    """Files the studies in STUDIES write (the scorecard and index depend on which studies ran)."""
    dirs = [workdir / top / "smoke" / study for top in ("results", "figures") for study in STUDIES]
    return {str(p.relative_to(workdir)) for d in dirs for p in d.rglob("*") if p.is_file()}


def _assert_same_table(local: Path, remote: Path):
    a, b = pd.read_csv(local), pd.read_csv(remote)
    assert list(a.columns) == list(b.columns) and a.shape == b.shape, f"{local.name}: different shape/columns"
    for col in a.columns:
        if TIMING.search(col):
            continue
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            assert np.allclose(x, y, rtol=1e-4, atol=1e-6, equal_nan=True), \
                f"{local.name}[{col}]: local {x.tolist()[:6]} vs SLURM {y.tolist()[:6]}"
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), f"{local.name}[{col}] differs"


def _assert_same_json(local: Path, remote: Path):
    """The same keys and values, numbers within the tables' tolerance (timings and the provenance record of the
    machine and time, `environment`, excepted)."""
    def flat(obj, prefix=""):
        if isinstance(obj, dict):
            return {k: v for key, val in obj.items() for k, v in flat(val, f"{prefix}{key}.").items()}
        if isinstance(obj, list):
            return {k: v for i, val in enumerate(obj) for k, v in flat(val, f"{prefix}{i}.").items()}
        return {prefix[:-1]: obj}

    def record(path):
        return flat({k: v for k, v in json.loads(path.read_text()).items() if k != "environment"})

    a, b = record(local), record(remote)
    assert a.keys() == b.keys(), f"{local.name}: keys differ: {sorted(a.keys() ^ b.keys())[:10]}"
    for key in a:
        if TIMING.search(key.rsplit(".", 1)[-1]):
            continue
        if isinstance(a[key], (int, float)) and isinstance(b[key], (int, float)):
            assert np.isclose(a[key], b[key], rtol=1e-4, atol=1e-6, equal_nan=True), \
                f"{local.name}[{key}]: local {a[key]} vs SLURM {b[key]}"
        else:
            assert a[key] == b[key], f"{local.name}[{key}]: local {a[key]!r} vs SLURM {b[key]!r}"


@pytest.mark.e2e
def test_smoke_workflow_through_slurm_profile_matches_local_run(slurm, tmp_path, request):
    mnist_dir = require_mnist()
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    resources = dict(profile["default-resources"])
    # the profile's memory request is sized for a cluster node; on a small test node it would leave jobs
    # pending forever, so it is capped at the node's memory per CPU (the only resource the test adjusts)
    resources["mem_mb"] = min(int(resources["mem_mb"]), slurm.mem_mb // slurm.cpus)
    start = time.monotonic()
    run = run_snakemake(
        ["--profile", str(PROFILE), "--config", "scale=smoke", f"studies={STUDIES}",
         "--default-resources", *[f"{k}={v}" for k, v in resources.items()],
         # this cluster has no accounting database: status via squeue, no account
         "--slurm-status-command", "squeue", "--slurm-no-account",
         "--slurm-init-seconds-before-status-checks", "2", "--slurm-keep-successful-logs",
         "--latency-wait", "10", "--", *TARGETS],
        tmp_path, mnist_dir, timeout=1800, env=slurm.env)
    seconds = time.monotonic() - start
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:] + "\n" + slurm.logs()

    # every rule ran as a SLURM job and completed; exactly the training rules' jobs were allocated a GPU
    jobs = slurm.jobs()
    stats = re.search(r"^job\s+count\n-+\s+-+\n(.*?)^total\s+(\d+)$", run.stderr, flags=re.M | re.S)
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", stats.group(1), flags=re.M))
    rules = set(counts) - {"all"}  # `all`, when planned, runs locally
    planned = int(stats.group(2)) - int(counts.get("all", 0))
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", run.stderr)
    assert len(jobs) == len(submitted) == len(slurm.completed()) == planned >= 3, \
        f"{planned} jobs planned, {len(submitted)} submitted, {len(jobs)} in slurmctld, {len(slurm.completed())} done"
    assert {j["JobState"] for j in jobs} == {"COMPLETED"}, [j for j in jobs if j["JobState"] != "COMPLETED"]
    # the plugin logs each job to .snakemake/slurm_logs/rule_<rule>/[<wildcards>/]<jobid>.log
    rule_of = {j["JobId"]: re.search(r"/slurm_logs/rule_([^/]+)/", j["StdOut"]).group(1) for j in jobs}
    assert all(Path(j["StdOut"]).is_file() for j in jobs)
    assert set(rule_of.values()) == rules
    gpu_rules = _gpu_rules() & rules
    assert gpu_rules, "no training rule ran"
    assert rules - gpu_rules - {"mnist"}, "no CPU-only rule of the study ran"
    assert any(name.endswith("_null") for name in rules - gpu_rules), "no null control (gpu=0 by `use rule`) ran"
    for job in jobs:
        rule = rule_of[job["JobId"]]
        want = "gpu:1" if rule in gpu_rules else "(null)"
        assert job.get("JOB_GRES") == want, f"{rule}: allocated GRES {job.get('JOB_GRES')}, expected {want}"
        # the profile's time limit and memory reached sbatch (-t, --mem)
        assert job["TimeLimit"] == f"{int(resources['runtime']) // 60:02d}:{int(resources['runtime']) % 60:02d}:00"
        assert f"mem={resources['mem_mb']}M" in job["TRES"], job["TRES"]
    again = run_snakemake(["-n", "--config", "scale=smoke", f"studies={STUDIES}", "--", *TARGETS], tmp_path,
                          mnist_dir, env=slurm.env)
    assert "Nothing to be done" in again.stdout + again.stderr

    # the same files as the local run wrote for these targets; every table and JSON record equal within a small
    # tolerance (same seeds, both on CPU). The session's smoke run (tests/conftest.py) is waited for only now: it ran
    # in the background meanwhile.
    smoke_run = request.getfixturevalue("smoke_run")
    print(f"SLURM run of {planned} jobs: {seconds:.0f} s (local smoke run of the whole workflow: {smoke_run.seconds:.0f} s)")
    local, remote = _outputs(smoke_run.workdir), _outputs(tmp_path)
    assert all(t in remote for t in TARGETS)
    # (a local run that failed in another study still counts: test_workflow_smoke reports that failure)
    assert remote <= local, (f"only SLURM: {sorted(remote - local)[:10]}"
                             f"; local run exit status {smoke_run.run.returncode}")
    tables = sorted(p for p in remote if p.endswith(".csv"))
    records = sorted(p for p in remote if p.endswith(".json") and not p.endswith(".usage.json"))
    assert tables and records
    for table in tables:
        _assert_same_table(smoke_run.workdir / table, tmp_path / table)
    for record in records:
        _assert_same_json(smoke_run.workdir / record, tmp_path / record)
