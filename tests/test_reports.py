"""Report notebooks as jupytext scripts, the HTML document they render to (no code), the one map of study
titles, and captioned figures."""

import base64
import re

import matplotlib
import nbformat
import pandas as pd
import pytest
import yaml

from vaerep import reports
from vaerep.captions import figure_html
from vaerep.config import REPO_ROOT, SCHEMA_DIR
from vaerep.errors import PipelineError
from vaerep.studies import STUDIES, label, name_of, title

matplotlib.use("Agg")
SCRIPTS = sorted((REPO_ROOT / "notebooks").glob("*.py"))


def test_every_report_script_is_a_notebook_with_one_parameters_cell():
    assert {p.stem for p in SCRIPTS} >= {"index", "smvae", "dsprites_beta", "vqvae_manipulation", "latent2d"}
    for path in SCRIPTS:
        nb = reports.read_script(path)
        assert nb.cells[0].metadata.get("tags") == ["parameters"], path
        assert reports.title(nb), f"{path} has no Markdown heading"
        for cell in nb.cells:
            if cell.cell_type == "code":
                compile(cell.source, str(path), "exec")  # a syntax error fails here, not in papermill
        sections = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"^## ", c.source, re.M)]
        assert len(sections) >= 3, f"{path}: expected its sections under '## ' headings"


def test_read_script_refuses_what_is_not_a_tagged_percent_script(tmp_path):
    with pytest.raises(PipelineError, match="is not a jupytext percent script"):
        reports.read_script(tmp_path / "report.ipynb")
    with pytest.raises(PipelineError, match="does not exist"):
        reports.read_script(tmp_path / "missing.py")
    untagged = tmp_path / "untagged.py"
    untagged.write_text('# %%\nscale = "smoke"\n\n# %% [markdown]\n# # Title\n')
    with pytest.raises(PipelineError, match="exactly one cell tagged 'parameters'.*found 0"):
        reports.read_script(untagged)
    tagged = tmp_path / "tagged.py"
    tagged.write_text(untagged.read_text().replace("# %%\n", '# %% tags=["parameters"]\n', 1))
    assert reports.read_script(tagged).cells[0].source == 'scale = "smoke"'


def test_html_document_hides_code_and_keeps_outputs():
    code = nbformat.v4.new_code_cell("secret_name_in_code = 41 + 1\nprint(secret_name_in_code)", execution_count=3)
    code.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "forty-two printed"}, execution_count=3),
                    nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>cell</td></tr></table>"})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('results_dir_param = "x"'),
                                         nbformat.v4.new_markdown_cell("# A title\n\nSome *text*."), code])
    html = reports.html_document(nb)
    assert "forty-two printed" in html and "<td>cell</td>" in html and "<em>text</em>" in html
    assert "secret_name_in_code" not in html and "results_dir_param" not in html  # no code cell is shown
    assert "<title>A title</title>" in html
    assert "cdnjs" not in html  # no script fetched from the network
    body = html[html.index("<body"):]
    assert "jp-InputArea-editor" not in body and "jp-OutputPrompt" not in body  # no code editor, no In[ ]/Out[ ] prompts


def test_one_map_of_study_titles():
    enum = yaml.safe_load((SCHEMA_DIR / "config.schema.yaml").read_text())["properties"]["studies"]["items"]["enum"]
    assert list(STUDIES) == enum
    assert label("smvae") == "A smvae" and label("latent2d") == "D latent2d"
    assert title("dsprites_beta") == "B — β-VAE sweep on dSprites (homework report, University of Tehran 2025)"
    assert title("latent2d") == "D — 2-D latent conv VAE on MNIST (Tomáš Faltejsek, VŠE Praha 2023)"
    assert not any("seed_" in title(name) for name in STUDIES)  # extraction file names are not thesis names
    assert [s.letter for s in STUDIES.values()] == ["A", "B", "C", "D"]
    with pytest.raises(PipelineError, match="unknown study 'smvea': known studies are smvae, dsprites_beta"):
        title("smvea")
    assert [name_of(label(name)) for name in STUDIES] == list(STUDIES)
    with pytest.raises(PipelineError, match="unknown study label 'smvae'"):
        name_of("smvae")


def test_figure_html_embeds_the_png_with_its_caption(tmp_path):
    import matplotlib.pyplot as plt

    png = tmp_path / "fig4.2_reconstructions_standard.png"
    plt.figure(figsize=(1, 1))
    plt.savefig(png)
    plt.close()
    html = figure_html("smvae", png)
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html)[1]
    assert base64.b64decode(data) == png.read_bytes()
    assert "<figcaption><b>Fig 4.2.</b> Standard VAE reconstructions" in html
    assert html.index("<img") < html.index("<figcaption>")  # caption under the figure
    extra = tmp_path / "figextra_dropped.png"
    png.rename(extra)
    assert "<b>Beyond the thesis.</b> A variant the thesis dropped" in figure_html("smvae", extra)


def test_settings_at_reads_the_study_config_at_a_scale():
    # what a report run by hand uses when the rule passes no settings (README: smoke 2 epochs, thesis 20 / 500)
    assert [reports.settings_at(s, "smvae")["train"]["epochs"] for s in ("smoke", "full")] == [2, 20]
    assert reports.settings_at("full", "latent2d")["train"]["epochs"] == 500
    with pytest.raises(PipelineError, match="'huge' is not one of"):
        reports.settings_at("huge", "smvae")


def test_snippet_body_drops_the_title_and_image_link_only():
    from vaerep.forensics import table

    rows = pd.DataFrame([{"study": "A smvae", "source": "Table 4.1", "claim_id": "A.table_4_1.pre_gamma1.neg_elbo",
                          "target": "pre Gamma(1) SMVAE: −ELBO",
                          "thesis_value": 129.2, "hypothesis": "H-A1: author KL", "experiment": "x", "measured": "y",
                          "baseline": "b", "move": "+1", "noise": "0.5", "verdict": "partly", "reason": "z"}])
    text = table.snippet("Study A: why the numbers differ", rows, "figures/smoke/forensics/smvae_why_it_differs.png")
    body = reports.snippet_body(text)
    assert "Study A: why the numbers differ" not in body and "![" not in body and "smvae_why_it_differs" not in body
    assert body.startswith("1 hypotheses tested: 0 explains, 1 partly") and "| H-A1: author KL |" in body
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    # the hypotheses tried per table (header, rule, one table) and the rows (header, rule, one row)
    assert [line for line in body.splitlines() if line.startswith("|")] == table_lines and len(table_lines) == 6
    assert "| A smvae | Table 4.1 | 1 | 0 explains, 1 partly, 0 does not explain |" in body
    with pytest.raises(PipelineError, match="does not start with a '## ' title"):
        reports.snippet_body("# Not a snippet\n")


def test_report_rules_name_their_notebook_relative_to_the_working_directory(tmp_path):
    """An absolute notebook path as input would re-render every report after the checkout is cloned or moved
    (Snakemake sees another input file): the report rules' inputs are relative paths."""
    import os
    import shutil
    import subprocess
    import sys

    checkout = tmp_path / "moved" / "checkout"
    checkout.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "Snakefile", checkout)
    for folder in ("workflow", "notebooks", "src"):
        shutil.copytree(REPO_ROOT / folder, checkout / folder, ignore=shutil.ignore_patterns("__pycache__"))
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "results/smoke/latent2d/report.html", "--config",
                          "scale=smoke", "studies=[latent2d]"], cwd=checkout, capture_output=True, text=True,
                         env={**os.environ, "VAEREP_PLAN_SAMPLES_PER_S": "1e12"}, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    job = re.search(r"rule latent2d_report:\n(.*?)\n\n", run.stdout, re.S)
    assert job, run.stdout[-3000:]
    sources = [p for p in re.search(r"input: (.*)", job.group(1)).group(1).split(", ") if p.endswith(".py")]
    assert sources == ["notebooks/latent2d.py"], job.group(1)


def test_captions_state_what_the_figure_shows_at_its_scale():
    from vaerep.captions import _all, caption
    from vaerep.config import SCALES

    assert "8x8 decoded grids" in caption("smvae", "figures/smoke/smvae/fig4.3_slices_standard.png")
    assert "20x20 decoded grids" in caption("smvae", "figures/full/smvae/fig4.3_slices_standard.png")
    for scale in SCALES:  # every caption fills in at every scale (no unknown placeholder, no stray brace)
        for study, captions in _all().items():
            for key in captions:
                text = caption(study, f"figures/{scale}/{study}/fig{key}_x.png", key)
                assert text and "{" not in text.replace("{-3, -1, 0, 1, 3}", ""), (scale, study, key)


def test_smoke_and_rehearsal_reports_carry_a_banner_and_every_report_shows_it():
    banner = reports.scale_banner("smoke")
    assert "not evidence" in banner and reports.scale_banner("rehearsal") and not reports.scale_banner("cpu")
    for name in ("smvae", "dsprites_beta", "vqvae_manipulation", "latent2d", "index"):
        assert "show_scale_banner(scale)" in (REPO_ROOT / "notebooks" / f"{name}.py").read_text(), name
