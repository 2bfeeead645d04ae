"""Configuration: YAML files, per-scale overrides and JSON-schema validation."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import jsonschema
import yaml

from .errors import PipelineError

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "workflow" / "config"
SCHEMA_DIR = REPO_ROOT / "workflow" / "schemas"
REHEARSAL = "rehearsal"  # the `full` scale's data, shapes and evaluation, training cut to a few steps
SCALES = ("smoke", "cpu", "full", REHEARSAL)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when installed: the same documents


def yaml_load(text: str):
    """``yaml.safe_load`` of ``text``, with the C parser where PyYAML has one."""
    return yaml.load(text, Loader=_LOADER)


@functools.lru_cache(maxsize=None)
def _schema(path: str) -> dict:
    return yaml_load(Path(path).read_text())


def deep_merge(base: dict, override: dict) -> dict:
    """Return a copy of ``base`` with ``override`` merged in recursively (override wins)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def dotted(tree: dict, path: str):
    """The value at the dotted key ``path`` of a nested dict (``dotted(cfg, "train.epochs")`` is
    ``cfg["train"]["epochs"]``); None where any step of the path is missing or not a dict."""
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def validate(config: dict, schema_path: Path | str, where: str = "config") -> None:
    """Validate ``config`` against a YAML/JSON schema; raise PipelineError naming the bad key."""
    schema = _schema(str(schema_path))
    validator = jsonschema.Draft7Validator(schema)
    errors = [leaf for err in validator.iter_errors(config) for leaf in _leaves(err)]
    if errors:
        lines = []
        for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            path = ".".join(str(p) for p in err.absolute_path) or "<top level>"
            line = f"{where}: at '{path}': {err.message}"
            if line not in lines:
                lines.append(line)
        raise PipelineError("invalid configuration\n  " + "\n  ".join(lines))


def _leaves(err: jsonschema.ValidationError) -> list:
    """The errors that name the bad key: for a value no branch of an anyOf/oneOf accepts (a scale's
    overrides: null or settings), the deepest errors of its branches, not the whole value."""
    if not err.context:
        return [err]
    found = [leaf for sub in err.context for leaf in _leaves(sub)]
    depth = max(len(e.absolute_path) for e in found)
    return [e for e in found if len(e.absolute_path) == depth] if depth > len(err.absolute_path) else [err]


def read_yaml(path: Path | str):
    """A project YAML file; a syntax error names the file, line and column."""
    path = Path(path)
    try:
        return yaml_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise PipelineError(f"{path}: not valid YAML ({where}{problem})") from None


def shadowed(given: dict, from_file: dict, scale: str) -> list[str]:
    """Dotted keys a command-line study section (``given``) sets that the scale's own overrides (the file's
    ``scales.<scale>`` merged with ``given``'s) set too: the scale wins, so the given value is ignored."""
    scales = deep_merge(from_file.get("scales") or {}, given.get("scales") or {})
    scale_section = scales.get("full" if scale == REHEARSAL else scale) or {}

    def walk(value, scaled, prefix):
        keys = []
        for key, sub in value.items():
            if key not in scaled or (not prefix and key == "scales"):
                continue
            if isinstance(sub, dict) and isinstance(scaled[key], dict):
                keys += walk(sub, scaled[key], f"{prefix}{key}.")
            else:
                keys.append(f"{prefix}{key}")
        return keys

    return walk({k: v for k, v in given.items() if k != "scales"}, scale_section, "")


# -- command-line strings -------------------------------------------------------------------------
# Snakemake parses a nested ``--config`` value with YAML's BaseLoader, so every nested scalar arrives
# as a string ('3', 'true', '1e-3'). They are parsed back where the schema has no string type.
_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = ("null", "Null", "NULL", "~")


def _resolve(schema: dict, root: dict) -> dict:
    """Follow a local ``$ref`` ('#/definitions/x') to the schema it names."""
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema if isinstance(schema, dict) else {}


def _types(schema: dict, root: dict) -> set:
    """Every JSON type a value may have under ``schema`` (empty when it does not say)."""
    schema = _resolve(schema, root)
    kind = schema.get("type", [])
    out = set([kind] if isinstance(kind, str) else kind)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        out |= _types(branch, root)
    return out


def _parse_scalar(text: str, types: set):
    """``text`` as the first of integer, number, boolean, null, array that ``types`` allows; unchanged when
    ``types`` allows a string or none of them parses (the schema then names the value)."""
    if "string" in types:
        return text
    if types & {"integer", "number"} and _INTEGER.fullmatch(text):
        return int(text) if "integer" in types else float(text)
    if "number" in types and _NUMBER.fullmatch(text):
        return float(text)
    if "boolean" in types and text in _BOOLEANS:
        return _BOOLEANS[text]
    if "null" in types and text in _NULLS:
        return None
    if "array" in types and text.lstrip().startswith("["):
        try:
            value = yaml_load(text)
        except yaml.YAMLError:
            return text
        return value if isinstance(value, list) else text
    return text


def _children(schema: dict, root: dict, kind: str) -> list[dict]:
    """The (resolved) subschemas of ``schema`` that describe a value of JSON type ``kind``."""
    schema = _resolve(schema, root)
    found = [schema] if not schema.get("type") or kind in _types(schema, root) else []
    for branch in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        found += [s for s in _children(branch, root, kind) if s.get("type")]
    return found


def parse_strings(value, schema: dict, root: dict | None = None):
    """A copy of ``value`` whose strings are parsed where ``schema`` expects a number, integer,
    boolean, null or array and no string (and only there): what Snakemake makes of ``--config "smvae={train: {epochs: 3}}"``
    becomes ``{'train': {'epochs': 3}}``."""
    root = root or schema
    if isinstance(value, str):
        value = _parse_scalar(value, _types(schema, root))
    if isinstance(value, dict):
        out = dict(value)
        for sub in _children(schema, root, "object"):
            props, extra = sub.get("properties", {}), sub.get("additionalProperties")
            for key in out:
                child = props.get(key, extra if isinstance(extra, dict) else None)
                if child is not None:
                    out[key] = parse_strings(out[key], child, root)
        return out
    if isinstance(value, list):
        out = list(value)
        for sub in _children(schema, root, "array"):
            if isinstance(sub.get("items"), dict):
                out = [parse_strings(item, sub["items"], root) for item in out]
        return out
    return value


def check_overrides(config: dict) -> None:
    """Parse the command line's strings in ``config`` (in place) by the schemas, then validate its top
    level, so that a study section that is not a mapping (``smvae=[1, 2]``) is named before merging."""
    top = _schema(str(SCHEMA_DIR / "config.schema.yaml"))
    config.update(parse_strings(config, top))
    for study in top["properties"]["studies"]["items"]["enum"]:
        if isinstance(config.get(study), dict):
            schema = _schema(str(SCHEMA_DIR / f"{study}.schema.yaml"))
            config[study] = parse_strings(config[study], schema)
    validate(config, SCHEMA_DIR / "config.schema.yaml", where="config")


def read_study_file(path: Path | str, study: str) -> dict:
    """The section ``study`` of a study's settings file, validated against the study's schema."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise PipelineError(f"invalid configuration\n  {path}: expected a mapping with the section '{study}:' "
                            f"at its top level, found {type(data).__name__}")
    if study not in data:
        raise PipelineError(f"invalid configuration\n  {path}: no section '{study}:' at its top level")
    validate(data[study], SCHEMA_DIR / f"{study}.schema.yaml", where=f"{path}: {study}")
    return data[study]


def load_config(path: Path | str | None = None, overrides: dict | None = None) -> dict:
    """Load the main config file, merge ``overrides`` (like ``--config`` on the command line), validate."""
    path = Path(path) if path else CONFIG_DIR / "config.yaml"
    config = read_yaml(path) or {}
    if overrides:
        config = deep_merge(config, overrides)
    validate(config, SCHEMA_DIR / "config.schema.yaml", where=str(path))
    return config


def with_studies(config: dict, config_dir: Path | str = CONFIG_DIR, warn=None) -> dict:
    """The whole workflow config: ``config`` (config.yaml with any --config values) with each listed study's
    section read from ``<config_dir>/<study>.yaml``, the values ``config`` already gives winning over the file's.
    ``warn`` (a function of one line) hears of each given value the scale's own overrides shadow. The one place
    the workflow, the time plan and the reports assemble config."""
    out = dict(config)
    for study in out.get("studies", []):
        path = Path(config_dir) / f"{study}.yaml"
        if not path.is_file():
            raise PipelineError(f"study '{study}' has no settings file {path}")
        from_file = read_study_file(path, study)
        for key in shadowed(out.get(study) or {}, from_file, out["scale"]) if warn else []:
            warn(f"WARNING: --config {study}.{key} is ignored: scale '{out['scale']}' sets it in {path} "
                 f"(scales.{out['scale']}.{key}); give it as {study}={{scales: {{{out['scale']}: ...}}}} instead\n")
        out[study] = deep_merge(from_file, out.get(study) or {})
    return out


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
    if scale == REHEARSAL:
        full = deep_merge(base, section.get("scales", {}).get("full", {}) or {})
        return rehearse(full, rehearsal_steps(config))
    return deep_merge(base, section.get("scales", {}).get(scale, {}) or {})


def rehearsal_steps(config: dict) -> int:
    """Training steps per epoch of a rehearsal (config key ``rehearsal.max_steps_per_epoch``)."""
    try:
        return int(config["rehearsal"]["max_steps_per_epoch"])
    except (KeyError, TypeError):
        raise PipelineError("scale 'rehearsal' needs the config key rehearsal.max_steps_per_epoch") from None


def rehearse(settings: dict, steps: int) -> dict:
    """``settings`` with every training block (a ``train`` mapping with ``epochs``) cut to ``steps`` steps
    per epoch; everything else (data sizes, shapes, evaluation, epochs, kept checkpoints) unchanged."""
    out = {}
    for key, value in settings.items():
        if key == "train" and isinstance(value, dict) and "epochs" in value:
            value = {**value, "max_steps_per_epoch": steps}
        elif isinstance(value, dict):
            value = rehearse(value, steps)
        out[key] = value
    return out
