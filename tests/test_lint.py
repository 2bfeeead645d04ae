"""Snakemake's own standards: `snakemake --lint` (default config, every study) finds nothing, `snakefmt --check .`
passes, and every rule runs in workflow/envs/vaerep.yaml, which lists the packages of environment.yml.
Each check is also shown to reject a planted violation."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "workflow" / "rules"
RULE_ENV = REPO / "workflow" / "envs" / "vaerep.yaml"
DEV_ENV = REPO / "environment.yml"

PLANTED_RULE = '''

rule planted:
    output:
        RES + "/planted.txt",
    params:
        outdir=RES,
    script:
        "../scripts/planted.py"
'''


def lint(snakefile: Path, workdir: Path):
    return subprocess.run([sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(workdir),
                           "--lint"], capture_output=True, text=True, timeout=300)


def snakefmt_check(where: Path, *paths: str):
    if shutil.which("snakefmt") is None and subprocess.run([sys.executable, "-m", "snakefmt", "--version"],
                                                           capture_output=True).returncode != 0:
        pytest.fail("snakefmt is not installed: pip install -e '.[test]'")
    return subprocess.run([sys.executable, "-m", "snakefmt", "--check", *paths], cwd=where, capture_output=True,
                          text=True, timeout=300)


def test_snakemake_lint_finds_nothing(tmp_path):
    run = lint(REPO / "Snakefile", tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 0 and "Lints for" not in out, out[-5000:]
    assert "Congratulations" in out, out[-2000:]


def test_snakemake_lint_reports_a_planted_rule(tmp_path):
    """The same check on a copy of the workflow with one rule written the old way fails and names all three."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "workflow", copy / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "Snakefile", copy / "Snakefile")
    (copy / "src").symlink_to(REPO / "src")
    with open(copy / "workflow" / "rules" / "summary.smk", "a") as fh:
        fh.write(PLANTED_RULE)
    run = lint(copy / "Snakefile", tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert "Lints for rule planted" in out
    for finding in ["Path composition with '+'", "Param outdir is a prefix of input or output file but hardcoded",
                    "Specify a conda environment or container for each rule."]:
        assert finding in out, f"lint did not report {finding!r}:\n{out[-3000:]}"


def test_snakefmt_check_passes_on_every_rule_file():
    run = snakefmt_check(REPO, ".")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-5000:]
    # every rule file was looked at (an over-broad exclude pattern would pass by checking nothing)
    expected = len(list(RULES.glob("*.smk"))) + 1  # + Snakefile
    checked = re.search(r"All (\d+) file\(s\) would be left unchanged", out)
    assert checked and int(checked.group(1)) == expected, out[-2000:]


def test_snakefmt_check_rejects_a_misformatted_rule(tmp_path):
    (tmp_path / "bad.smk").write_text('rule a:\n  output: "x"\n')
    run = snakefmt_check(tmp_path, "bad.smk")
    assert run.returncode == 1 and "would be changed" in run.stdout + run.stderr


def env_packages(path: Path) -> dict:
    """Channels, conda packages, pip packages and the local project (the folder an `-e <dir>[extras]` entry
    points at, resolved from the file's folder as conda does) of a conda environment file."""
    spec = yaml.safe_load(path.read_text())
    conda, pip, project = set(), set(), None
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for entry in dep["pip"]:
                local = re.fullmatch(r"-e\s+([^\[]+)(\[.*\])?", entry.strip())
                if local:
                    project = (path.parent / local.group(1)).resolve()
                else:
                    pip.add(entry.replace(" ", ""))
        else:
            conda.add(str(dep).replace(" ", ""))
    return {"channels": spec.get("channels"), "conda": conda, "pip": pip, "project": project}


def env_differences(rule_env: Path, dev_env: Path) -> list[str]:
    """What the rules' environment lists differently from environment.yml (the test extras excepted: the rules
    run the pipeline, not pytest)."""
    a, b = env_packages(rule_env), env_packages(dev_env)
    diffs = [f"{key}: {rule_env.name} has {a[key]}, {dev_env.name} has {b[key]}" for key in a if a[key] != b[key]]
    if a["project"] is None or not (a["project"] / "pyproject.toml").is_file():
        diffs.append(f"{rule_env.name} does not install the project (an `-e <checkout>` pip entry)")
    return diffs


def test_rule_env_lists_the_packages_of_environment_yml():
    assert env_differences(RULE_ENV, DEV_ENV) == []


@pytest.mark.parametrize("edit", [("torch==2.14.1", "torch==2.14.0"), ("  - pip\n", "  - pip\n  - numpy\n"),
                                  ("-e ../..", "-e .."), ("      - torchvision==0.29.1\n", "")])
def test_env_comparison_rejects_a_mismatch(tmp_path, edit):
    """A changed version, an extra or a missing package, or a project path that misses the checkout."""
    envs = tmp_path / "workflow" / "envs"
    envs.mkdir(parents=True)
    shutil.copy(DEV_ENV, tmp_path / "environment.yml")
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    text = RULE_ENV.read_text()
    assert edit[0] in text
    (envs / "vaerep.yaml").write_text(text)
    assert env_differences(envs / "vaerep.yaml", tmp_path / "environment.yml") == []
    (envs / "vaerep.yaml").write_text(text.replace(edit[0], edit[1]))
    assert env_differences(envs / "vaerep.yaml", tmp_path / "environment.yml") != []


def test_every_rule_that_runs_code_uses_the_one_env():
    """Lint demands an environment per rule; this pins it to workflow/envs/vaerep.yaml (no containers)."""
    texts = {p.name: p.read_text() for p in RULES.glob("*.smk")}
    envs = {m for text in texts.values() for m in re.findall(r"^\s+conda:\s*\n\s+(\S+)", text, flags=re.M)}
    assert envs == {'"../envs/vaerep.yaml"'}
    assert not any(re.search(r"^\s+container:", text, flags=re.M) for text in texts.values())
    scripts = sum(len(re.findall(r"^\s+script:", t, flags=re.M)) for t in texts.values())
    condas = sum(len(re.findall(r"^\s+conda:", t, flags=re.M)) for t in texts.values())
    assert condas == scripts > 20
