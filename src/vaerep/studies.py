"""The four studies by workflow name: letter, thesis extraction, the thesis as reports name it and title,
written once for the rules (`snakemake --report` categories), the scorecard's study column and the report
notebooks; and each study's registry of figure files and scorecard tables."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import NamedTuple

from .errors import PipelineError


class Study(NamedTuple):
    letter: str  # A-D, the order of the README and the scorecard
    extraction: str  # the English extraction of the thesis (path from the repository's parent)
    thesis: str  # the replicated work as reports name it: author, institution and year
    title: str


STUDIES = {
    "smvae": Study("A", "shared/spec/seed_000.md", "Martos Domonkos, ELTE 2023", "Scale Mixtures VAE on contrast-augmented MNIST"),
    "dsprites_beta": Study("B", "shared/spec/seed_003.md", "homework report, University of Tehran 2025", "β-VAE sweep on dSprites"),
    "vqvae": Study("C", "shared/spec/seed_002.md", "Dominik Babić, FER Zagreb 2023", "VAE variants and VQ-VAE latent manipulations"),
    "latent2d": Study("D", "shared/spec/seed_004.md", "Tomáš Faltejsek, VŠE Praha 2023", "2-D latent conv VAE on MNIST"),
}


def study(name: str) -> Study:
    """The study called ``name`` (a clear error for an unknown one)."""
    if name not in STUDIES:
        raise PipelineError(f"unknown study '{name}': known studies are {', '.join(STUDIES)}")
    return STUDIES[name]


def label(name: str) -> str:
    """Short label of the scorecard's study column: 'A smvae'."""
    return f"{study(name).letter} {name}"


def name_of(study_label: str) -> str:
    """The study name behind a scorecard label: 'A smvae' -> 'smvae' (a clear error for an unknown label)."""
    names = {label(name): name for name in STUDIES}
    if study_label not in names:
        raise PipelineError(f"unknown study label '{study_label}': known labels are {', '.join(names)}")
    return names[study_label]


def title(name: str) -> str:
    """Full title for reports: 'A — Scale Mixtures VAE on contrast-augmented MNIST (Martos Domonkos, ELTE 2023)'."""
    s = study(name)
    return f"{s.letter} — {s.title} ({s.thesis})"


def registry(name: str) -> ModuleType:
    """The registry of study ``name`` (``vaerep.<name>.registry``, torch-free): ``figure_files(settings, part)``
    (key -> file in figures/<scale>/<name>/), ``PARTS`` (its figure rules' parts, none for one rule) and
    ``TABLES`` (the scorecard's number tables: name -> file in results/<scale>/<name>/)."""
    study(name)
    return importlib.import_module(f".{name}.registry", __package__)
