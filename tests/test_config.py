"""Configuration: scale merging and schema validation."""

import re

import pytest

from vaerep.config import SCHEMA_DIR, dotted, load_config, study_settings, validate
from vaerep.errors import PipelineError


def test_scale_overrides_merge_into_thesis_values():
    cfg = load_config(overrides={"scale": "smoke"})
    import yaml
    from vaerep.config import CONFIG_DIR
    cfg["smvae"] = yaml.safe_load((CONFIG_DIR / "smvae.yaml").read_text())["smvae"]
    validate(cfg["smvae"], SCHEMA_DIR / "smvae.schema.yaml")
    smoke = study_settings(cfg, "smvae")
    assert smoke["train"]["epochs"] == 2 and smoke["train"]["batch_size"] == 128
    cfg["scale"] = "full"
    full = study_settings(cfg, "smvae")
    assert full["train"] == {"epochs": 20, "batch_size": 128, "lr": 0.001}
    assert full["seeds"] == [0, 1, 2] and full["n_train_images"] is None


def test_unknown_key_and_wrong_type_are_named():
    with pytest.raises(PipelineError, match="'colour' was unexpected"):
        load_config(overrides={"colour": "red"})
    with pytest.raises(PipelineError, match="at 'device'"):
        load_config(overrides={"device": "tpu"})


# -- command-line overrides, parsed as Snakemake parses --config -------------------------------------
def cli(*entries):
    """The main config with ``--config ENTRIES`` merged in through Snakemake's own parser, then checked."""
    import yaml
    from snakemake.cli import parse_config  # what `snakemake --config` calls

    from vaerep.config import CONFIG_DIR, check_overrides, deep_merge
    cfg = deep_merge(yaml.safe_load((CONFIG_DIR / "config.yaml").read_text()), parse_config(list(entries)))
    check_overrides(cfg)
    return cfg


def test_nested_numbers_booleans_and_lists_arrive_typed():
    assert cli("smvae={seeds: [0, 1, 2, 3, 4]}")["smvae"]["seeds"] == [0, 1, 2, 3, 4]
    assert cli("smvae={train: {epochs: 3}}")["smvae"]["train"] == {"epochs": 3}
    train = cli("smvae={train: {lr: 1e-3, compile: true, batch_size: 64}}")["smvae"]["train"]
    assert train == {"lr": 0.001, "compile": True, "batch_size": 64}
    assert type(train["batch_size"]) is int and type(train["lr"]) is float
    scaled = cli("smvae={scales: {smoke: {train: {epochs: 4}}, cpu: null}}")["smvae"]["scales"]
    assert scaled == {"smoke": {"train": {"epochs": 4}}, "cpu": None}
    tol = cli("scorecard={tolerances: {smvae: {neg_elbo: 2, rec: .5, kl: 1}}}")["scorecard"]["tolerances"]
    assert tol["smvae"] == {"neg_elbo": 2.0, "rec": 0.5, "kl": 1.0}


def test_strings_stay_strings_where_the_schema_wants_a_string():
    # figure numbers and folder names look like numbers but are strings in the schema
    cfg = cli("smvae={variants: {standard: {figures: {recon: 4.2}}}}", "data={mnist_dir: 1, root: 2}")
    assert cfg["smvae"]["variants"]["standard"]["figures"]["recon"] == "4.2"
    assert cfg["data"] == {"mnist_dir": "1", "root": "2"}


def checked_smvae(*entries):
    """Study A's settings file with ``--config ENTRIES`` merged in, validated as the workflow does."""
    from vaerep.config import CONFIG_DIR, deep_merge, read_study_file
    section = deep_merge(read_study_file(CONFIG_DIR / "smvae.yaml", "smvae"), cli(*entries)["smvae"])
    validate(section, SCHEMA_DIR / "smvae.schema.yaml")
    return section


def test_nested_values_the_schema_refuses_are_still_named():
    assert checked_smvae("smvae={train: {epochs: 1}}")["train"]["epochs"] == 1
    with pytest.raises(PipelineError, match="at 'train.epochs': 0 is less than the minimum of 1"):
        checked_smvae("smvae={train: {epochs: 0}}")  # parsed to 0, which the schema's minimum refuses
    for bad, shown in [("3.5", "'3.5'"), ("three", "'three'"), ("[3]", "['3']")]:
        with pytest.raises(PipelineError, match=rf"at 'train.epochs': {re.escape(shown)} is not of type 'integer'"):
            checked_smvae(f"smvae={{train: {{epochs: {bad}}}}}")
    assert checked_smvae("smvae={train: {compile: False}}")["train"]["compile"] is False
    with pytest.raises(PipelineError, match="at 'train.compile': 'yes' is not of type 'boolean'"):
        checked_smvae("smvae={train: {compile: yes}}")


def test_a_study_section_that_is_not_a_mapping_is_a_schema_message(tmp_path):
    from vaerep.config import read_study_file
    with pytest.raises(PipelineError, match=r"config: at 'smvae': \['1', '2'\] is not of type 'object'"):
        cli("smvae=[1, 2]")
    bad = tmp_path / "smvae.yaml"
    bad.write_text("smvae: [1, 2]\n")
    with pytest.raises(PipelineError, match=r"smvae.yaml: smvae: at '<top level>': \[1, 2\] is not of type 'object'"):
        read_study_file(bad, "smvae")
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(PipelineError, match="expected a mapping with the section 'smvae:' at its top level, found list"):
        read_study_file(bad, "smvae")
    bad.write_text("smvea: {seeds: [0]}\n")
    with pytest.raises(PipelineError, match="smvae.yaml: no section 'smvae:' at its top level"):
        read_study_file(bad, "smvae")


def test_command_line_value_and_scale_precedence_as_the_readme_says():
    from vaerep.config import CONFIG_DIR, deep_merge, read_study_file

    def seeds(*entries):
        cfg = cli(*entries)
        cfg["smvae"] = deep_merge(read_study_file(CONFIG_DIR / "smvae.yaml", "smvae"), cfg["smvae"])
        return study_settings(cfg, "smvae")["seeds"]

    assert seeds("scale=full", "smvae={seeds: [0, 1, 2, 3, 4]}") == [0, 1, 2, 3, 4]
    assert seeds("scale=smoke", "smvae={seeds: [0, 1, 2, 3, 4]}") == [0]  # smoke sets seeds itself
    assert seeds("scale=smoke", "smvae={scales: {smoke: {seeds: [0, 1]}}}") == [0, 1]


# -- errors under `scales:`, overrides a scale shadows, YAML syntax errors ---------------------------------
def test_a_bad_key_under_scales_is_named_not_the_whole_section():
    import yaml

    from vaerep.config import CONFIG_DIR
    section = yaml.safe_load((CONFIG_DIR / "smvae.yaml").read_text())["smvae"]
    section["scales"]["smoke"]["train"]["epochz"] = 3
    section["scales"]["cpu"]["iwae_k"] = "x"
    with pytest.raises(PipelineError) as err:
        validate(section, SCHEMA_DIR / "smvae.schema.yaml", where="smvae")
    text = str(err.value)
    assert "at 'scales.smoke.train': Additional properties are not allowed ('epochz' was unexpected)" in text
    assert "at 'scales.cpu.iwae_k': 'x' is not of type 'integer'" in text
    assert "is not valid under any of the given schemas" not in text and "'seeds': [0]" not in text


def test_an_override_the_scale_also_sets_is_warned_about():
    from vaerep.config import CONFIG_DIR, read_study_file, shadowed
    from_file = read_study_file(CONFIG_DIR / "smvae.yaml", "smvae")
    given = cli("scale=smoke", "smvae={seeds: [0, 1, 2, 3, 4], train: {epochs: 3, lr: 0.01}}")
    assert shadowed(given["smvae"], from_file, "smoke") == ["seeds", "train.epochs"]  # lr: smoke leaves it
    assert shadowed(given["smvae"], from_file, "full") == []
    under = cli("scale=smoke", "smvae={scales: {smoke: {seeds: [0, 1]}}}")["smvae"]
    assert shadowed(under, from_file, "smoke") == []


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path):
    from vaerep.config import read_study_file
    bad = tmp_path / "smvae.yaml"
    bad.write_text("smvae:\n  seeds: [0, 1\n  train: {epochs: 2}\n")
    with pytest.raises(PipelineError, match=rf"{re.escape(str(bad))}: not valid YAML \(line 3"):
        read_study_file(bad, "smvae")
    main = tmp_path / "config.yaml"
    main.write_text("scale: smoke\ndevice: [cpu\n")
    with pytest.raises(PipelineError, match=rf"{re.escape(str(main))}: not valid YAML"):
        load_config(main)


def test_dotted_reads_a_nested_key_and_gives_none_where_the_path_breaks():
    tree = {"train": {"epochs": 3, "n_train_images": None}, "seeds": [0, 1]}
    assert dotted(tree, "train.epochs") == 3
    assert dotted(tree, "seeds") == [0, 1]
    assert dotted(tree, "train.n_train_images") is None
    assert dotted(tree, "train.lr") is None
    assert dotted(tree, "seeds.first") is None
