"""Figure captions (workflow/report/captions.yaml), shared by the report notebooks and `snakemake --report`."""

from __future__ import annotations

import base64
import functools
import html
import re
from pathlib import Path

import yaml

from .config import REPO_ROOT, SCALES

CAPTIONS_FILE = REPO_ROOT / "workflow" / "report" / "captions.yaml"


@functools.lru_cache(maxsize=1)
def _all() -> dict:
    return yaml.safe_load(CAPTIONS_FILE.read_text()) or {}


def figure_key(path) -> str:
    """'figures/cpu/smvae/fig4.10a_reconstructions_pre_gamma1.png' -> '4.10a' (the thesis figure number)."""
    stem = Path(str(path)).name.split("_")[0]
    return stem[3:] if stem.startswith("fig") else stem


def caption(study: str, path, key: str | None = None) -> str:
    """The caption of one figure file of ``study`` ('' when none is written); ``key`` overrides the file name's.
    Fields such as ``{figures[grid][n]}`` are filled in with the study's settings at the figure's scale (the
    scale folder of figures/<scale>/...; the thesis values when the path names none)."""
    text = str(_all().get(study, {}).get(key or figure_key(path), ""))
    parts = Path(str(path)).parts
    scale = parts[-3] if len(parts) >= 3 and parts[-3] in SCALES else "full"
    return text.format_map(_settings(scale, study)) if "{" in text else text


@functools.lru_cache(maxsize=None)
def _settings(scale: str, study: str) -> dict:
    from .reports import settings_at

    return settings_at(scale, study)


def caption_of_file(path) -> str:
    """The caption of a figure file from its place: figures/<scale>/<study>/fig<number>_*.png, or a forensics
    figure figures/<scale>/forensics/<study>_why_it_differs.png (caption key ``why_it_differs``)."""
    path = Path(str(path))
    if path.parent.name == "forensics" and path.stem.endswith("_why_it_differs"):
        return caption(path.stem[: -len("_why_it_differs")], path, "why_it_differs")
    return caption(path.parent.name, path)


def thesis_order(path):
    """Sort key: thesis figure order (4.2 < 4.9 < 4.10a < 5.1 < B.1 < C.1), extras last."""
    key = figure_key(path)
    m = re.fullmatch(r"([A-Z]|\d+)\.(\d+)([a-z]?)", key)
    if not m:
        return (2, 0, 0, key, Path(str(path)).name)
    chapter = int(m[1]) if m[1].isdigit() else 1000 + ord(m[1])
    return (0 if m[1].isdigit() else 1, chapter, int(m[2]), m[3], Path(str(path)).name)


def figure_html(study: str, png, key: str | None = None) -> str:
    """One figure as an HTML <figure>: the PNG embedded, under it the thesis figure number, caption and file name
    (``key``: the caption's key when the file name does not start with fig<number>_)."""
    key = key or figure_key(png)
    number = f"Fig {key}" if re.fullmatch(r"([A-Z]|\d+)\.\d+[a-z]?", key) else "Beyond the thesis"
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return (f'<figure style="margin: 1.5em 0"><img src="data:image/png;base64,{data}" alt="{html.escape(Path(png).name)}" '
            f'style="max-width: 100%"><figcaption><b>{number}.</b> {html.escape(caption(study, png, key))} '
            f"<code>{html.escape(Path(png).name)}</code></figcaption></figure>")


def show_figures(study: str, figures_dir) -> None:
    """In a report notebook: every PNG of the study in thesis order, each with its caption under it."""
    from IPython.display import HTML, display

    for png in sorted(Path(figures_dir).glob("*.png"), key=thesis_order):
        display(HTML(figure_html(study, png)))
