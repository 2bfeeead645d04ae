"""Every snakemake command the documentation shows (README.md and docs/*.md: lines of ```bash blocks and inline
`snakemake ...` spans) runs verbatim as a dry run (``-n`` appended) in a temp copy of the workflow, and the
README's first command is one that finishes on a CPU."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PLACEHOLDER = re.compile(r"[|<>\[\]]|\.\.\.")  # `scale=smoke|cpu|full`, `<study>`, `[--config ...]`: a pattern


def commands(text: str) -> list[str]:
    """Shell commands in ```bash blocks (continuation lines joined, comments dropped) and inline code spans
    that start with `snakemake `, in document order."""
    found = []
    for block in re.finditer(r"^```(?:bash|sh|shell)\n(.*?)^```", text, re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block.group(1))
        found += [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
    found += [" ".join(m.group(1).split()) for m in re.finditer(r"`(snakemake [^`]+)`", text)]
    return found


def snakemake_calls(command: str) -> list[str]:
    """The snakemake invocations of a command line (``a && b``), environment assignments kept."""
    return [part.strip() for part in command.split("&&") if re.match(r"^(\w+=\S+\s+)*snakemake\s", part.strip())]


def documented():
    """One test case per distinct documented call (the first document showing it names it)."""
    calls = {}
    for doc in DOCS:
        for command in commands(doc.read_text()):
            for call in snakemake_calls(command):
                if not PLACEHOLDER.search(call):
                    calls.setdefault(" ".join(call.split()), doc.name)
    return [pytest.param(call, id=f"{doc}: {call}") for call, doc in calls.items()]


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    """The workflow as a user's checkout has it (Snakefile, rules, configs, notebooks, library), no results."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copy(REPO / "Snakefile", root)
    for folder in ("workflow", "notebooks", "src"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return root


def test_the_documentation_has_commands_to_check():
    calls = [p.values[0] for p in documented()]
    assert any(c.startswith("snakemake --cores all") for c in calls)
    assert any("--report" in c for c in calls) and any("--profile workflow/profiles/slurm" in c for c in calls)
    # a command that names an output file must put it before --config, which takes every word after it
    assert "snakemake --cores 1 results/cpu/smvae/runs/standard/seed0/eval.json --config scale=cpu" in calls


@pytest.mark.parametrize("call", documented())
def test_documented_snakemake_command_runs_verbatim_as_a_dry_run(call, workflow_copy):
    words = shlex.split(call)
    env = {**os.environ, "VAEREP_PLAN_SAMPLES_PER_S": "1e12"}  # the time plan is tested in test_plan_gate.py
    while "=" in words[0] and not words[0].startswith("-"):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    assert words[0] == "snakemake"
    run = subprocess.run([sys.executable, "-m", "snakemake", *words[1:], "-n"], cwd=workflow_copy, env=env,
                         capture_output=True, text=True, timeout=600)
    out = run.stdout + run.stderr
    if "--report" in words:  # a report is made from a finished run: without one it gets as far as naming a figure
        assert run.returncode == 0 or "marked for report but does not exist" in out, f"{call}\n{out[-3000:]}"
    else:
        assert run.returncode == 0, f"{call}\n{out[-3000:]}"
    assert "Traceback" not in out


def test_the_readme_first_command_finishes_on_a_cpu():
    """The quick start's first snakemake command must not be `full` (thesis settings, days on a CPU: the time
    plan stops it there), so it must name a scale made for a CPU."""
    first = next(c for c in commands((REPO / "README.md").read_text()) for _ in snakemake_calls(c))
    scale = re.search(r"--config[^&]*\bscale=(\w+)", snakemake_calls(first)[-1])
    assert scale and scale.group(1) in ("smoke", "cpu"), first
