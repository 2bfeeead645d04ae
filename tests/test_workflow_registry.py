"""Each study's registry (vaerep.<study>.registry) is the one place its figure files and scorecard tables are named:
it imports without torch (the Snakefile reads it when parsed), the workflow makes exactly the figures it names,
and no figure script or figure module writes a file name of its own."""

import ast
import json
import re
import subprocess
import sys

import pytest
from conftest import REPO, run_snakemake

from vaerep.config import load_config, study_settings, with_studies
from vaerep.studies import STUDIES, registry

SCRIPTS = sorted((REPO / "workflow" / "scripts").glob("*_figures.py"))
FIGURE_MODULES = sorted((REPO / "src" / "vaerep").glob("*/*figures.py"))

NO_TORCH = """
import json, sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked")

sys.meta_path.insert(0, NoTorch())
from vaerep.config import load_config, study_settings, with_studies
from vaerep.studies import STUDIES, registry

cfg = with_studies(load_config(overrides={"scale": "smoke"}))
files = {s: registry(s).figure_files(study_settings(cfg, s)) for s in STUDIES}
tables = {s: registry(s).TABLES for s in STUDIES}
print(json.dumps({"torch": "torch" in sys.modules, "files": files, "tables": tables}))
"""


def registry_figures(scale: str) -> set[str]:
    """figures/<scale>/<study>/<file> of every figure every registry names at ``scale``."""
    cfg = with_studies(load_config(overrides={"scale": scale}))
    return {f"figures/{scale}/{s}/{name}" for s in STUDIES
            for name in registry(s).figure_files(study_settings(cfg, s)).values()}


def hard_coded_names(source: str) -> list[str]:
    """The string pieces of ``source`` that spell a figure file: a '.png', or a name starting fig<number>."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if ".png" in node.value or re.search(r"(^|/)fig(\d|[A-Z]|extra|$)", node.value):
                found.append(node.value)
    return found


def test_every_registry_imports_without_torch():
    run = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True, timeout=120,
                         cwd=REPO, env={"PATH": "", "PYTHONPATH": str(REPO / "src")})
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    assert not out["torch"]
    assert set(out["files"]) == set(STUDIES) and all(out["files"].values())
    assert out["tables"]["smvae"] == {"table_4_1": "table_4_1.csv"}


@pytest.mark.parametrize("scale", ["smoke", "full"])
def test_the_workflow_makes_exactly_the_registered_figures(scale, tmp_path):
    """Every figure a registry names is an output of a rule of the DAG at ``scale``, and every figure of a study
    the DAG makes is named by its registry (the forensics figures live in figures/<scale>/forensics/)."""
    run = run_snakemake(["--summary", "--config", f"scale={scale}"], tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [line.split("\t") for line in run.stdout.splitlines()[1:]]
    made = {row[0]: row[2] for row in rows if row[0].endswith(".png")}
    named = registry_figures(scale)
    assert named - set(made) == set(), "registered figures no rule makes"
    studies = {f for f in made if f.split("/")[2] in STUDIES}
    assert studies - named == set(), "figures no registry names"
    assert {made[f] for f in named} == {"smvae_figures", "dsprites_beta_figures", "latent2d_figures", "vqvae_figures",
                                        "vqvae_vae2d_figures", "vqvae_pretrained_figures"}


def test_figure_keys_are_unique_and_parts_add_up():
    cfg = with_studies(load_config(overrides={"scale": "full"}))
    for s in STUDIES:
        reg, settings = registry(s), study_settings(cfg, s)
        files = reg.figure_files(settings)
        assert len(set(files.values())) == len(files), s
        if reg.PARTS:
            parts = [reg.figure_files(settings, p) for p in reg.PARTS]
            assert sorted(files.values()) == sorted(f for part in parts for f in part.values())


@pytest.mark.parametrize("path", SCRIPTS + FIGURE_MODULES, ids=lambda p: p.name)
def test_no_figure_script_names_a_figure_file(path):
    """Figure scripts save to ``snakemake.output[key]``; the library's figure modules to the paths they are given."""
    assert hard_coded_names(path.read_text()) == []
    assert "outdir" not in path.read_text() and "assert not missing" not in path.read_text()


def test_the_name_check_finds_a_planted_file_name():
    planted = 'save(fig, out / "fig4.2_reconstructions.png")\nsave(fig, f"{d}/fig{num}_{op}.png")\n'
    assert sorted(hard_coded_names(planted)) == [".png", "/fig", "fig4.2_reconstructions.png"]

