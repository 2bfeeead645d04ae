"""The rehearsal scale: `full` settings with training cut to a few steps per epoch, every row of
its scorecard 'not comparable', and the per-job usage records gathered per rule."""

import json

import pytest
import torch
import yaml

from vaerep import scorecard as sc
from vaerep import usage
from vaerep.config import CONFIG_DIR, load_config, rehearse, study_settings
from vaerep.errors import PipelineError
from vaerep.initialisation import init_parameters
from vaerep.models.smvae import build_smvae
from vaerep.plan import JOBS
from vaerep.train import TrainSettings, fit


def config_at(scale):
    cfg = load_config(overrides={"scale": scale})
    for study in cfg["studies"]:
        cfg[study] = yaml.safe_load((CONFIG_DIR / f"{study}.yaml").read_text())[study]
    return cfg


def train_blocks(tree, path=""):
    """Every training block (a `train` mapping with `epochs`) of a settings tree, by dotted path."""
    found = {}
    for key, value in tree.items():
        if key == "train" and isinstance(value, dict) and "epochs" in value:
            found[f"{path}{key}"] = value
        elif isinstance(value, dict):
            found.update(train_blocks(value, f"{path}{key}."))
    return found


@pytest.mark.parametrize("study", ["smvae", "dsprites_beta", "vqvae", "latent2d"])
def test_rehearsal_is_full_with_every_training_block_cut(study):
    full, rehearsal = study_settings(config_at("full"), study), study_settings(config_at("rehearsal"), study)
    steps = config_at("rehearsal")["rehearsal"]["max_steps_per_epoch"]
    blocks = train_blocks(rehearsal)
    assert blocks, "every study trains something"
    assert all(b["max_steps_per_epoch"] == steps for b in blocks.values())
    # apart from the cut, the rehearsal IS the full scale: sizes, epochs, kept checkpoints, evaluation
    assert rehearse(full, steps) == rehearsal
    assert {p: {k: v for k, v in b.items() if k != "max_steps_per_epoch"} for p, b in blocks.items()} == \
        train_blocks(full)


def test_rehearsal_without_its_step_count_is_a_clear_error():
    cfg = config_at("rehearsal")
    del cfg["rehearsal"]
    with pytest.raises(PipelineError, match="rehearsal.max_steps_per_epoch"):
        study_settings(cfg, "smvae")


def test_the_plan_counts_only_the_rehearsals_steps():
    full, rehearsal = config_at("full"), config_at("rehearsal")
    for study in full["studies"]:
        for a, b in zip(JOBS[study](study_settings(full, study)), JOBS[study](study_settings(rehearsal, study))):
            assert b.epochs == a.epochs and b.n_train == min(a.n_train, 2 * a.batch_size) < a.n_train


def pixels(n=256):
    g = torch.Generator().manual_seed(0)
    return (torch.rand(n, 784, generator=g) > 0.7).to(torch.uint8) * 255


def counted_fit(tmp_path, **kw):
    model, calls = build_smvae({"mix": "none"}), []
    terms = model.loss_terms
    model.loss_terms = lambda *a: (calls.append(1), terms(*a))[1]
    settings = TrainSettings(batch_size=32, seed=0, **kw)
    hist = fit(model, [pixels()], settings, tmp_path, device=torch.device("cpu"), model_spec={"mix": "none"},
               prepare=lambda p: p.float() / 255, log=lambda s: None)
    return hist, len(calls)


def test_fit_trains_only_the_first_steps_of_each_epoch_and_averages_over_them(tmp_path):
    _, full_calls = counted_fit(tmp_path / "full", epochs=2)
    hist, calls = counted_fit(tmp_path / "cut", epochs=3, max_steps_per_epoch=2)
    assert full_calls == 2 * 256 // 32 and calls == 3 * 2
    init, _ = counted_fit(tmp_path / "init", epochs=0)
    # two steps from the initialisation: the per-image loss is near the untrained one (dividing by all 256 rows
    # instead of the 64 trained on would give a quarter of it)
    assert 0.7 * init["train_loss"][0] < hist["train_loss"][0] <= 1.05 * init["train_loss"][0]
    assert list(hist["epoch"]) == [1, 2, 3]


def test_real_runs_keep_their_checkpoint_fingerprint_and_a_rehearsal_never_resumes_one():
    real = TrainSettings(epochs=3, batch_size=32, seed=0)
    assert real.fingerprint({"mix": "none"}, 256) == "bd023351412bb3c8"  # as before the rehearsal existed
    cut = TrainSettings(epochs=3, batch_size=32, seed=0, max_steps_per_epoch=2)
    assert cut.fingerprint({"mix": "none"}, 256) != real.fingerprint({"mix": "none"}, 256)


def test_every_rehearsal_row_is_not_comparable_claims_too():
    reason = sc.reduced_scale({"train": {"epochs": 20}}, "rehearsal", ["train.epochs"])
    assert reason.startswith("rehearsal")
    rows = [sc.number_row("A", "T", "x", 1.0, 1.0, 0.1, claim_id="A.t.x", reason=reason),
            {"study": "A", "claim": "c", "verdict": "replicates", "reason": reason}]
    marked = sc.with_scale(rows, reason, "rehearsal")
    assert {r["verdict"] for r in marked} == {"not comparable"} and {r["scale"] for r in marked} == {"rehearsal"}
    assert sc.with_scale(rows[1:], "")[0]["verdict"] == "replicates"  # a thesis-scale claim keeps its verdict


def test_usage_records_are_gathered_per_rule(tmp_path):
    for i, (rule, wall, rss) in enumerate([("train", 10.0, 100.0), ("train", 30.0, 300.0), ("eval", 5.0, 50.0)]):
        d = tmp_path / f"job{i}"
        d.mkdir()
        (d / "train.usage.json").write_text(json.dumps(
            {"rule": rule, "wildcards": {"seed": i}, "threads": 1, "wall_s": wall, "cpu_s": wall / 2,
             "peak_rss_mib": rss, "cuda_max_allocated_mib": None, "device": "cpu", "finished": "now"}))
    jobs = usage.jobs([tmp_path, tmp_path / "missing"])
    table = usage.per_rule(jobs).set_index("rule")
    assert table.loc["train", "jobs"] == 2 and table.loc["train", "wall_total_s"] == 40.0
    assert table.loc["train", "wall_max_s"] == 30.0 and table.loc["train", "peak_rss_max_mib"] == 300.0
    assert list(table.index) == ["train", "eval"]  # longest total wall time first
    md = usage.to_markdown(table.reset_index(), "t")
    assert "| **all** | 3 | 45.0 | 30.0 | 22.5 | 300.0 |" in md
    (tmp_path / "job0" / "train.usage.json").write_text("{broken")
    with pytest.raises(ValueError, match="unreadable usage record"):
        usage.jobs([tmp_path])


def test_a_null_control_can_evaluate_its_training_terms_on_the_first_rows(tmp_path):
    """`null_eval_rows` (B at full: 10,000 of 190,000 images): the untrained training terms are those of the
    first N rows exactly, every row without it; real runs' fingerprints are unchanged (checked above)."""
    from vaerep.train import evaluate

    data, prepare, spec = pixels(), (lambda p: p.float() / 255), {"mix": "none"}

    def null_history(out, **kw):
        settings = TrainSettings(epochs=0, batch_size=32, seed=3, **kw)
        return fit(build_smvae(spec), [data], settings, out, device=torch.device("cpu"), model_spec=spec,
                   prepare=prepare, log=lambda s: None).iloc[0]

    cut, whole = null_history(tmp_path / "cut", null_eval_rows=64), null_history(tmp_path / "all")
    model = build_smvae(spec)
    init_parameters(model, 3)
    first = evaluate(model, [data[:64]], torch.device("cpu"), prepare, seed=3)
    every = evaluate(model, [data], torch.device("cpu"), prepare, seed=3)
    assert cut["train_loss"] == pytest.approx(first["loss"], rel=1e-6)
    assert whole["train_loss"] == pytest.approx(every["loss"], rel=1e-6)
    assert first["loss"] != pytest.approx(every["loss"], rel=1e-5)  # the two row sets give different numbers
    assert TrainSettings(epochs=0, batch_size=32, null_eval_rows=64).fingerprint(spec, 256) != \
        TrainSettings(epochs=0, batch_size=32).fingerprint(spec, 256)
