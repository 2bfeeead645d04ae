"""Figure captions (workflow/report/captions.yaml), shared by the report notebooks and `snakemake --report`."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from .config import REPO_ROOT

CAPTIONS_FILE = REPO_ROOT / "workflow" / "report" / "captions.yaml"


@functools.lru_cache(maxsize=1)
def _all() -> dict:
    return yaml.safe_load(CAPTIONS_FILE.read_text()) or {}


def figure_key(path) -> str:
    """'figures/cpu/smvae/fig4.10a_reconstructions_pre_gamma1.png' -> '4.10a' (the thesis figure number)."""
    stem = Path(str(path)).name.split("_")[0]
    return stem[3:] if stem.startswith("fig") else stem


def caption(study: str, path) -> str:
    """The caption of one figure file of ``study`` ('' when none is written)."""
    return str(_all().get(study, {}).get(figure_key(path), ""))


def thesis_order(path):
    """Sort key: thesis figure order (4.2 < 4.9 < 4.10a < 5.1 < B.1 < C.1), extras last."""
    key = figure_key(path)
    m = re.fullmatch(r"([A-Z]|\d+)\.(\d+)([a-z]?)", key)
    if not m:
        return (2, 0, 0, key, Path(str(path)).name)
    chapter = int(m[1]) if m[1].isdigit() else 1000 + ord(m[1])
    return (0 if m[1].isdigit() else 1, chapter, int(m[2]), m[3], Path(str(path)).name)


def show_figures(study: str, figures_dir) -> None:
    """In a report notebook: every PNG of the study in thesis order, each under its name and caption."""
    from IPython.display import Image, Markdown, display

    for png in sorted(Path(figures_dir).glob("*.png"), key=thesis_order):
        display(Markdown(f"**{png.name}** — {caption(study, png)}"))
        display(Image(filename=str(png)))
