"""Configuration: YAML files, per-scale overrides and JSON-schema validation."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from .errors import PipelineError

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "workflow" / "config"
SCHEMA_DIR = REPO_ROOT / "workflow" / "schemas"
SCALES = ("smoke", "cpu", "full")


def deep_merge(base: dict, override: dict) -> dict:
    """Return a copy of ``base`` with ``override`` merged in recursively (override wins)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate(config: dict, schema_path: Path | str, where: str = "config") -> None:
    """Validate ``config`` against a YAML/JSON schema; raise PipelineError naming the bad key."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = []
        for err in errors:
            path = ".".join(str(p) for p in err.absolute_path) or "<top level>"
            lines.append(f"{where}: at '{path}': {err.message}")
        raise PipelineError("invalid configuration\n  " + "\n  ".join(lines))


def load_config(path: Path | str | None = None, overrides: dict | None = None) -> dict:
    """Load the main config file, merge ``overrides`` (like ``--config`` on the command line), validate."""
    path = Path(path) if path else CONFIG_DIR / "config.yaml"
    config = yaml.safe_load(path.read_text()) or {}
    if overrides:
        config = deep_merge(config, overrides)
    validate(config, SCHEMA_DIR / "config.schema.yaml", where=str(path))
    return config


def study_settings(config: dict, study: str) -> dict:
    """The settings of one study at the configured scale: the study's base (thesis) values with the
    scale's overrides merged in."""
    scale = config["scale"]
    if scale not in SCALES:
        raise PipelineError(f"unknown scale '{scale}': choose one of {', '.join(SCALES)}")
    section = config.get(study)
    if section is None:
        raise PipelineError(f"config has no section '{study}'")
    base = {k: v for k, v in section.items() if k != "scales"}
    return deep_merge(base, section.get("scales", {}).get(scale, {}) or {})
