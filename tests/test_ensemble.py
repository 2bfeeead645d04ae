"""Seed-batched training: K seeds as one model give each seed's separate-run numbers."""

import json

import pytest
import torch
from torch import nn

from vaerep.ensemble import Ensemble
from vaerep.errors import PipelineError
from vaerep.config import study_settings
from vaerep.models.smvae import build_smvae
from vaerep.plan import full_config
from vaerep.smvae import forensics_runs as fa_runs
from vaerep.smvae import model_spec
from vaerep.train import CHECKPOINT, TrainSettings, fit

SEEDS = [0, 1, 2]
CPU = torch.device("cpu")
# Float32 round-off: batched and plain matmuls sum in another order, and Adam divides near-zero
# gradients by sqrt(v) + eps, so round-off grows over the steps; three epochs stay below 1e-5.
REL_TOL = 1e-5
# Weights: the same round-off, amplified by Adam on a few near-zero gradients (at most lr per step);
# another seed's weights differ by ~0.05.
WEIGHT_ATOL = 2e-4


def data(n=256):
    g = torch.Generator().manual_seed(0)
    pixels = (torch.rand(n, 784, generator=g) > 0.7).to(torch.uint8) * 255
    contrast = torch.tensor([0.2, 0.5, 0.8, 1.0]).repeat(n // 4)
    return [pixels, contrast]


def prepare(pixels, contrast):
    return pixels.float().div(255).mul(contrast.unsqueeze(1))


def settings(epochs, seed=0, **kw):
    return TrainSettings(epochs=epochs, batch_size=48, seed=seed, keep_epochs=(1,), **kw)


def separate(tmp_path, spec, epochs, seed):
    return fit(build_smvae(spec), data(), settings(epochs, seed), tmp_path / f"separate{seed}", device=CPU,
               model_spec=spec, prepare=prepare, log=lambda s: None)


def batched(tmp_path, spec, epochs, seeds=SEEDS, log=lambda s: None, name="batched"):
    dirs = [tmp_path / name / f"seed{s}" for s in seeds]
    return fit(Ensemble(build_smvae, spec, seeds), data(), settings(epochs), dirs, device=CPU, model_spec=spec,
               prepare=prepare, log=log)


def max_rel_diff(a, b):
    cols = [c for c in a.columns if c.startswith("train_")]
    return float(((a[cols] - b[cols]).abs() / b[cols].abs().clip(lower=1e-3)).max().max())


@pytest.mark.parametrize("spec, epochs", [({"mix": "none"}, 3),
                                          ({"mix": "pre", "c_dist": "gamma", "alpha": 3.0}, 3),
                                          ({"mix": "pre", "c_dist": "lognormal"}, 3)])
def test_batched_seeds_equal_separate_runs(tmp_path, spec, epochs):
    together = batched(tmp_path, spec, epochs)
    for seed, hist in zip(SEEDS, together):
        alone = separate(tmp_path, spec, epochs, seed)
        assert list(hist["epoch"]) == list(range(1, epochs + 1))
        assert max_rel_diff(hist, alone) <= REL_TOL
        a = torch.load(tmp_path / f"separate{seed}" / "model.pt", weights_only=True)
        b = torch.load(tmp_path / "batched" / f"seed{seed}" / "model.pt", weights_only=True)
        assert a["spec"] == b["spec"] and a["model"].keys() == b["model"].keys()
        for key in a["model"]:
            assert a["model"][key].shape == b["model"][key].shape
            torch.testing.assert_close(b["model"][key], a["model"][key], rtol=0, atol=WEIGHT_ATOL)


def test_the_tolerance_rejects_another_seed(tmp_path):
    """The null: member seed 0 against the separate run of seed 1 differs far beyond the tolerance."""
    spec = {"mix": "pre", "c_dist": "gamma", "alpha": 3.0}
    together = batched(tmp_path, spec, 1)
    assert max_rel_diff(together[0], separate(tmp_path, spec, 1, 1)) > 100 * REL_TOL
    a = torch.load(tmp_path / "separate1" / "model.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "batched" / "seed0" / "model.pt", weights_only=True)["model"]
    assert max(float((a[k] - b[k]).abs().max()) for k in a) > 10 * WEIGHT_ATOL


def test_member_folders_hold_what_a_separate_run_writes(tmp_path):
    batched(tmp_path, {"mix": "none"}, 2)
    for seed in SEEDS:
        folder = tmp_path / "batched" / f"seed{seed}"
        assert sorted(p.name for p in folder.iterdir()) == ["epoch_1.pt", "history.csv", "model.pt",
                                                            "train_meta.json"]
        meta = json.loads((folder / "train_meta.json").read_text())
        assert meta["settings"]["seed"] == seed and meta["batched_with_seeds"] == SEEDS
        assert meta["train_seconds"] > 0


def test_interrupted_batched_run_resumes_to_the_same_numbers(tmp_path):
    spec = {"mix": "pre", "c_dist": "normal"}
    whole = batched(tmp_path, spec, 3, name="whole")
    lines = []

    def stop_in_epoch_two(line):
        lines.append(line)
        if line.startswith("[seed 0] epoch=2"):  # epoch 1 checkpointed for all members, epoch 2 not yet
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batched(tmp_path, spec, 3, log=stop_in_epoch_two, name="cut")
    assert all((tmp_path / "cut" / f"seed{s}" / CHECKPOINT).is_file() for s in SEEDS)
    resumed_log = []
    resumed = batched(tmp_path, spec, 3, log=resumed_log.append, name="cut")
    assert sum(line.startswith("resuming") for line in resumed_log) == len(SEEDS)
    for a, b in zip(resumed, whole):
        assert a["train_loss"].tolist() == b["train_loss"].tolist()


def test_a_separate_run_resumes_a_batched_members_checkpoint(tmp_path):
    spec = {"mix": "none"}

    def stop_in_epoch_two(line):
        if line.startswith("[seed 0] epoch=2"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batched(tmp_path, spec, 2, log=stop_in_epoch_two)
    lines = []
    resumed = fit(build_smvae(spec), data(), settings(2, seed=1), tmp_path / "batched" / "seed1", device=CPU,
                  model_spec=spec, prepare=prepare, log=lines.append)
    assert lines[0].startswith("resuming") and list(resumed["epoch"]) == [1, 2]
    assert max_rel_diff(resumed, separate(tmp_path, spec, 2, 1)) <= REL_TOL


def test_nan_guard_names_the_member_that_met_it_first(tmp_path):
    pixels, contrast = data()
    bad = prepare(pixels, contrast)
    bad[100] = float("nan")
    # The member whose epoch-1 permutation (seed * 100_003 + 1) puts row 100 into the earliest batch.
    step = {s: int((torch.randperm(256, generator=torch.Generator().manual_seed(s * 100_003 + 1)) == 100)
                   .nonzero()) // 48 for s in SEEDS}
    first = min(SEEDS, key=lambda s: (step[s], s))
    dirs = [tmp_path / f"seed{s}" for s in SEEDS]
    with pytest.raises(PipelineError, match=rf"member seed {first} \(.*seed{first}\): non-finite loss at epoch 1, "
                                            rf"step {step[first]} .*loss=nan"):
        fit(Ensemble(build_smvae, {"mix": "none"}, SEEDS), [bad], settings(1), dirs, device=CPU,
            model_spec={"mix": "none"}, log=lambda s: None)


def test_unsupported_models_and_random_ops_are_named():
    with pytest.raises(PipelineError, match="nn.Linear layers only; '0' is a Conv2d"):
        Ensemble(lambda spec: nn.Sequential(nn.Conv2d(1, 2, 3)), {}, SEEDS)
    with pytest.raises(PipelineError, match="distinct seeds"):
        Ensemble(build_smvae, {"mix": "none"}, [1, 1])

    class Dropping(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(4, 2)

        def loss_terms(self, x):
            return {"loss": torch.bernoulli(torch.sigmoid(self.layer(x))).mean()}

    model = Ensemble(lambda spec: Dropping(), {}, SEEDS)
    model.reseed(SEEDS, CPU)
    with pytest.raises(PipelineError, match="cannot give bernoulli a per-member random stream"):
        model.loss_terms(torch.zeros(6, 4))


def test_batched_linear_and_means_are_per_member():
    """Closed form: member k's weight is k * [[1, 2], [0, 1]] and the loss is the mean of x @ W.T over
    member k's own rows only (a transposed or mixed-up weight gives other numbers)."""
    class Lin(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2, bias=False)

        def loss_terms(self, x):
            return {"loss": self.layer(x).mean()}

    model = Ensemble(lambda spec: Lin(), {}, SEEDS)
    for k in range(3):
        model.load_member_state_dict(k, {"layer.weight": k * torch.tensor([[1.0, 2.0], [0.0, 1.0]])})
    model.reseed(SEEDS, CPU)
    x = torch.arange(12.0).reshape(6, 2)  # member k owns rows 2k, 2k + 1
    loss = model.loss_terms(x)["loss"]
    expected = torch.tensor([(x[2 * k:2 * k + 2] @ (k * torch.tensor([[1.0, 0.0], [2.0, 1.0]]))).mean()
                             for k in range(3)])
    torch.testing.assert_close(loss, expected)
    assert model.member_state_dict(2)["layer.weight"].tolist() == [[2.0, 4.0], [0.0, 2.0]]


def forensics_specs():
    """The model specs of Study A's forensics hypotheses (trained seed-batched at ``full``), as the train rule
    passes them."""
    section = study_settings(full_config("full"), "smvae")
    specs = [fa_runs.spec(section["variants"], section["forensics"], v) for v in section["forensics"]["variants"]]
    return [model_spec(s) for s in specs]


@pytest.mark.parametrize("spec", [{"mix": "post", "c_dist": "lognormal"}, {"mix": "post", "c_dist": "gamma"},
                                  *forensics_specs()], ids=str)
def test_round_off_sensitive_variants_equal_separate_runs_in_float64(tmp_path, spec):
    """A post-hoc model clamps c * sigmoid(.) into [eps, 1 - eps]: float32 round-off moves pixels across
    the clamp within an epoch and the runs drift apart (1e-3 after one epoch), so these compare in
    float64 (same code paths; the history itself is summed in float32). The forensics hypotheses too: the
    author's Gamma KL at alpha 1 drifts by 3e-5 in float32 over two epochs, the author's clamp by 4e-2."""
    build = lambda s: build_smvae(s).double()  # noqa: E731

    def prepare64(pixels, contrast):
        return prepare(pixels, contrast).double()

    dirs = [tmp_path / f"seed{s}" for s in SEEDS]
    together = fit(Ensemble(build, spec, SEEDS), data(), settings(2), dirs, device=CPU, model_spec=spec,
                   prepare=prepare64, log=lambda s: None)
    for seed, hist in zip(SEEDS, together):
        alone = fit(build(spec), data(), settings(2, seed), tmp_path / f"separate{seed}", device=CPU,
                    model_spec=spec, prepare=prepare64, log=lambda s: None)
        assert max_rel_diff(hist, alone) <= REL_TOL
