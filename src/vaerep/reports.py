"""Report notebooks: each is kept as a jupytext percent script (notebooks/<name>.py), read here as a notebook
for papermill; an executed notebook is rendered as an HTML document (outputs only: the .ipynb keeps the code)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import jupytext
import nbformat
from nbconvert import HTMLExporter

from .config import load_config, study_settings, with_studies
from .errors import PipelineError

# nbconvert's "lab" page without the scripts it fetches from a CDN (require.js for widgets, MathJax for LaTeX,
# Mermaid for diagrams): the reports use none of them, and the page must read the same offline.
_DOCUMENT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def read_script(path) -> nbformat.NotebookNode:
    """The notebook of a percent-format report script; it must have exactly one cell tagged `parameters`."""
    path = Path(path)
    if path.suffix != ".py":
        raise PipelineError(f"report notebook '{path}' is not a jupytext percent script (.py)")
    if not path.is_file():
        raise PipelineError(f"report notebook '{path}' does not exist")
    nb = jupytext.read(path, fmt="py:percent")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if len(tagged) != 1:
        raise PipelineError(f"report notebook '{path}' needs exactly one cell tagged 'parameters' "
                            f"(`# %% tags=[\"parameters\"]`), found {len(tagged)}")
    return nb


def settings_at(scale: str, study: str) -> dict:
    """A study's settings at ``scale`` from workflow/config/<study>.yaml, for a report run by hand (the rule
    passes the settings it ran with, --config overrides included)."""
    return study_settings(with_studies(load_config(overrides={"scale": scale, "studies": [study]})), study)


NOT_EVIDENCE = {
    "smoke": "tiny data and two epochs, made to run every rule in minutes",
    "rehearsal": "every training run cut to a few steps per epoch, made to prove a `full` run's rules and sizes",
}


def scale_banner(scale: str) -> str:
    """A Markdown banner for a report at a scale whose verdicts are not evidence ('' at the others)."""
    if scale not in NOT_EVIDENCE:
        return ""
    return (f"> **Scale `{scale}`: the verdicts below are not evidence** about the thesis ({NOT_EVIDENCE[scale]}). "
            "They show the pipeline works; `cpu` (Study A at thesis scale) or `full` makes verdicts.")


def show_scale_banner(scale: str) -> None:
    """In a report notebook: the scale's banner, where it has one."""
    if scale_banner(scale):
        from IPython.display import Markdown, display

        display(Markdown(scale_banner(scale)))


def title(nb: nbformat.NotebookNode) -> str:
    """The text of the notebook's first Markdown heading ('' when it has none)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#+\s+(.+)$", cell.source, re.MULTILINE)
            if m:
                return m[1].strip()
    return ""


def snippet_body(markdown: str) -> str:
    """A forensics snippet (results/<scale>/forensics/<study>.md) for a report section: without its own
    ``## `` title and its image link (the report embeds the figure with a caption instead)."""
    lines = markdown.splitlines()
    if not lines or not lines[0].startswith("## "):
        raise PipelineError(f"forensics snippet does not start with a '## ' title: {lines[:1]}")
    return "\n".join(line for line in lines[1:] if not line.startswith("![")).strip() + "\n"


def html_document(nb: nbformat.NotebookNode) -> str:
    """The executed notebook as a self-contained HTML page: Markdown, tables and figures, no code cells or
    prompts, titled by its first heading."""
    exporter = HTMLExporter(template_name="lab", template_file="document.html.j2", embed_images=True,
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            extra_loaders=[jinja2.DictLoader({"document.html.j2": _DOCUMENT_TEMPLATE})])
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title(nb) or "report"}})
    return body
