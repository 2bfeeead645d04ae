"""Command-line configuration through Snakemake itself: the documented `--config` examples verbatim, and
malformed study sections stopping with a schema message instead of a traceback."""

import re
import shlex

import pytest
from conftest import REPO
from vaerep import plan
from vaerep.config import study_settings
from conftest import run_snakemake as smk


def readme_config_examples():
    """Every `--config` value list in README.md and docs/*.md that overrides a nested section (``key={...}``)."""
    examples = []
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for line in (line for page in pages for line in page.read_text().splitlines()):
        for found in re.finditer(r"--config ([^`]+)", line):
            words = shlex.split(found.group(1).rstrip(" \\"))
            args = []
            for word in words:
                if word.startswith("-"):
                    break
                args.append(word)
            if any("={" in a for a in args) and not any(c in " ".join(args) for c in "|<") and args not in examples:
                examples.append(args)
    return examples


def test_readme_has_nested_examples():
    assert ["smvae={seeds: [0, 1, 2, 3, 4]}"] in readme_config_examples()
    assert len(readme_config_examples()) >= 2


@pytest.mark.parametrize("args", readme_config_examples(), ids=" ".join)
def test_readme_config_example_is_accepted(tmp_path, args):
    run = smk(["-n", "--config", *args], tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    if "smvae={seeds: [0, 1, 2, 3, 4]}" in args:
        # five seeds for each of the five Table 4.1 variants, three (extra_seeds) for the two dropped ones:
        # 31 runs, each with its null control; at `full` the seeds of a variant train as one batched job
        assert re.search(r"^smvae_train_null\s+31$", run.stdout, re.M), run.stdout[-3000:]
        assert re.search(r"^smvae_train_seeds\s+5$", run.stdout, re.M), run.stdout[-3000:]
        assert re.search(r"^smvae_train_extra_seeds\s+2$", run.stdout, re.M), run.stdout[-3000:]
        # forensics: 3 hypothesis variants x seeds 0-2, the two Gamma ones also at count_seeds 3-5, and their
        # baselines at the count seeds the study does not train itself (5 only): 9 + 6 + 2 runs, seed-batched as
        # one job per variant: H-A2 (seeds 0-2), the two H-A1 variants (0-5), the two Gamma baselines (5)
        jobs = {rule: int(n) for rule, n in re.findall(r"^(forensics_smvae_train\w*)\s+(\d+)$", run.stdout, re.M)}
        assert jobs == {"forensics_smvae_train_seeds": 1, "forensics_smvae_train_counted_seeds": 2,
                        "forensics_smvae_train_base_seeds": 2}, run.stdout[-3000:]
        assert re.search(rf"^forensics_smvae_evaluate\s+{9 + 6 + 2 + 5 * 5}$", run.stdout, re.M), run.stdout[-3000:]
        # the time plan counts the same training: as many jobs (runs / members) as the DAG
        config = plan.full_config("full", {"smvae": {"seeds": [0, 1, 2, 3, 4]}})
        planned = plan._jobs_smvae(study_settings(config, "smvae"))
        assert sum(-(-j.runs // j.members) for j in planned) == 5 + 2 + sum(jobs.values())
        assert sum(j.runs for j in planned) == 31 + 17


@pytest.mark.parametrize("how", ["config", "configfile"])
def test_malformed_study_section_is_a_schema_message(tmp_path, how):
    if how == "config":
        args = ["--config", "smvae=[1, 2]"]
    else:
        (tmp_path / "bad.yaml").write_text("smvae: [1, 2]\n")
        args = ["--configfile", str(tmp_path / "bad.yaml")]
    run = smk(["-n", *args], tmp_path)
    assert run.returncode != 0
    assert re.search(r"at 'smvae': \[('?1'?), ('?2'?)\] is not of type 'object'", run.stderr), run.stderr[-2000:]
    assert "Traceback" not in run.stderr and "AttributeError" not in run.stderr


def test_a_yaml_syntax_error_in_config_yaml_names_the_file_and_line(tmp_path):
    import shutil
    import subprocess
    import sys

    shutil.copy(REPO / "Snakefile", tmp_path)
    for folder in ("workflow", "src"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    config = tmp_path / "workflow" / "config" / "config.yaml"
    config.write_text(config.read_text().replace("device: auto", "device: [auto"))
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode != 0
    assert re.search(rf"{re.escape(str(config))}: not valid YAML \(line \d+, column \d+", run.stderr), run.stderr[-2000:]
