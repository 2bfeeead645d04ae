"""Configuration: scale merging and schema validation."""

import pytest

from vaerep.config import SCHEMA_DIR, load_config, study_settings, validate
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
