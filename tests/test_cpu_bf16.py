"""bf16 autocast on the CPU: it really computes in bf16, the loss terms stay float32, the
shared training loop trains with it, and the study schemas accept the setting."""

import copy
import math

import pytest
import torch
import yaml

from vaerep.config import CONFIG_DIR, SCHEMA_DIR, validate
from vaerep.errors import PipelineError
from vaerep.models.beta_vae import LOSS_CONVENTIONS, BetaVAE
from vaerep.models.conv2d_vae import ConvVAE2D
from vaerep.models.kl import kl_std_normal
from vaerep.models.smvae import build_smvae
from vaerep.models.vae2d_mnist import HEADS, RECONS, MnistVAE2D
from vaerep.models.vqvae import VQVAE, VectorQuantizer
from vaerep.train import TrainSettings, bf16_autocast, fit

CPU = torch.device("cpu")
SMVAE_VARIANTS = {k: v for k, v in yaml.safe_load((CONFIG_DIR / "smvae.yaml").read_text())["smvae"]["variants"].items()}


def test_cpu_autocast_computes_in_bf16_only_when_asked():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    conv = torch.nn.Conv2d(1, 2, 3)
    with bf16_autocast(CPU, True):
        assert (a @ b).dtype == torch.bfloat16
        assert conv(torch.randn(1, 1, 8, 8)).dtype == torch.bfloat16
    with bf16_autocast(CPU, False):
        assert (a @ b).dtype == torch.float32
        assert conv(torch.randn(1, 1, 8, 8)).dtype == torch.float32


def _models():
    for convention in LOSS_CONVENTIONS:
        yield f"beta_vae-{convention}", BetaVAE(beta=5.0, filters=(4, 8, 8), dense=16,
                                                loss_convention=convention), (6, 1, 64, 64)
    yield "vqvae", VQVAE(channels=(8, 8), embedding_dim=4, codebook_size=8, restart_every=2), (6, 1, 28, 28)
    for head in HEADS:
        for recon in RECONS:
            yield f"vae2d-{head}-{recon}", MnistVAE2D(head, recon, channels=(4, 8)), (6, 1, 28, 28)
    yield "conv2d_vae", ConvVAE2D(), (6, 1, 28, 28)
    for name, spec in SMVAE_VARIANTS.items():
        yield f"smvae-{name}", build_smvae(spec), (6, 784)


@pytest.mark.parametrize("name, model, shape", list(_models()), ids=[m[0] for m in _models()])
def test_every_loss_term_stays_float32_under_cpu_autocast(name, model, shape):
    torch.manual_seed(0)
    x = (torch.rand(shape) > 0.5).float()
    with bf16_autocast(CPU, True):
        terms = model.loss_terms(x)
    wrong = {k: v.dtype for k, v in terms.items() if v.dtype != torch.float32}
    assert not wrong, f"{name}: terms not reduced in float32 under bf16 autocast: {wrong}"
    bad = [k for k, v in terms.items() if not torch.isfinite(v).all()]
    assert not bad, f"{name}: non-finite terms under bf16 autocast: {bad}"


def test_std_normal_kl_of_bf16_inputs_is_summed_in_float32():
    # 4096 latent values of a bf16 encoder: KL per element 0.5 (mu^2 + e^lv - 1 - lv), summed. In bf16 the
    # sum (about 4096 x 0.5 = 2048) has a resolution of 8-16, far above float32's round-off.
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4096, generator=g).to(torch.bfloat16)
    logvar = (0.5 * torch.randn(4096, generator=g)).to(torch.bfloat16)
    reference = (0.5 * (mu.double() ** 2 + logvar.double().exp() - 1 - logvar.double())).sum()
    ours = kl_std_normal(mu, logvar)
    assert ours.dtype == torch.float32
    assert abs(float(ours.sum()) - float(reference)) < 1e-3
    in_bf16 = (0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)).sum()  # what the old code returned
    assert abs(float(in_bf16) - float(reference)) > 1e-2  # the check above could see the difference


def test_codebook_choice_under_autocast_is_the_float32_nearest_code():
    # Large encoder outputs and two nearby codes: the distances' bf16 round-off (hundreds) exceeds their
    # difference (a few units), so a bf16 distance picks the wrong code; the quantiser must not.
    g = torch.Generator().manual_seed(0)
    vq = VectorQuantizer(codebook_size=2, dim=16, init="uniform")
    z = 100 + torch.randn(64, 16, generator=g)  # 64 grid vectors
    near, far = z[0] + 0.1, z[0] + 0.5
    vq.codebook.data = torch.stack([far, near])
    z_e = z[:1].repeat(64, 1) + 0.01 * torch.randn(64, 16, generator=g)
    grid = z_e.t().reshape(1, 16, 8, 8)
    exact = vq.indices(grid)
    assert (exact == 1).all()
    with bf16_autocast(CPU, True):
        assert torch.equal(vq.indices(grid.to(torch.bfloat16)), exact)
        flat = grid.to(torch.bfloat16).permute(0, 2, 3, 1).reshape(-1, 16)
        d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ vq.codebook.t() + vq.codebook.pow(2).sum(1)[None]
    assert (d.argmin(1) != 1).any(), "the bf16 distance should have missed the nearest code somewhere"


def _blobs(n=384):
    """uint8 28x28 images of one bright square each at a seeded random place (learnable structure)."""
    g = torch.Generator().manual_seed(0)
    imgs = torch.zeros(n, 28, 28, dtype=torch.uint8)
    corners = torch.randint(2, 18, (n, 2), generator=g)
    for i, (r, c) in enumerate(corners.tolist()):
        imgs[i, r:r + 8, c:c + 8] = 255
    return imgs


def _to_float(pixels):
    return pixels.float().div(255.0).unsqueeze(1)


def _run(tmp_path, bf16):
    data = _blobs()
    settings = TrainSettings(epochs=3, batch_size=32, seed=0, autocast_bf16=bf16)
    return fit(MnistVAE2D("fc", "bce", channels=(4, 8)), [data[:320]], settings, tmp_path, device=CPU,
               model_spec={}, prepare=_to_float, val=[data[320:]], log=lambda s: None)


def test_fit_with_cpu_bf16_autocast_trains_with_finite_float32_history(tmp_path):
    bf16 = _run(tmp_path / "bf16", True)
    fp32 = _run(tmp_path / "fp32", False)
    assert bf16["train_loss"].iloc[-1] < bf16["train_loss"].iloc[0] - 20  # nats per image: it learns
    terms = [c for c in bf16.columns if c.startswith(("train_", "val_"))]
    assert all(math.isfinite(v) for c in terms for v in bf16[c])
    assert all(bf16[c].dtype == "float64" for c in terms)  # Python floats of float32 values
    # bf16 really was used: the numbers differ from the float32 run's, by round-off-driven amounts only
    assert not bf16["train_loss"].equals(fp32["train_loss"])
    rel = ((bf16["val_loss"] - fp32["val_loss"]).abs() / fp32["val_loss"]).max()
    assert rel < 0.05
    import json
    assert json.loads((tmp_path / "bf16" / "train_meta.json").read_text())["settings"]["autocast_bf16"] is True


# where each conv study's training settings sit in its file
TRAIN_BLOCKS = {"dsprites_beta": [("train",)], "latent2d": [("train",)],
                "vqvae": [("mnist", "train"), ("vae2d", "train"), ("pretrained", "substitute", "train")]}


@pytest.mark.parametrize("study", sorted(TRAIN_BLOCKS))
def test_study_schemas_accept_autocast_bf16_in_the_cpu_scale_and_name_a_wrong_type(study):
    section = yaml.safe_load((CONFIG_DIR / f"{study}.yaml").read_text())[study]
    for path in TRAIN_BLOCKS[study]:
        for value, ok in ((True, True), (False, True), ("yes", False)):
            cfg = copy.deepcopy(section)
            block = cfg["scales"].setdefault("cpu", {})
            for key in path:
                block = block.setdefault(key, {})
            block["autocast_bf16"] = value
            if ok:
                validate(cfg, SCHEMA_DIR / f"{study}.schema.yaml")
            else:
                with pytest.raises(PipelineError, match="autocast_bf16"):
                    validate(cfg, SCHEMA_DIR / f"{study}.schema.yaml")


def test_the_time_plan_times_a_bf16_study_under_autocast():
    from vaerep.plan import Job, measure

    seen = []

    class Probe(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)

        def loss_terms(self, x):
            h = self.lin(x)
            seen.append(h.dtype)
            return {"loss": h.float().pow(2).mean()}

    class ProbeJob(Job):
        def build(self):
            return Probe()

    for precision, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
        seen.clear()
        measure(ProbeJob("x", "probe", 1, 1, 8, 4, "", {}, (4,), precision=precision), CPU, 2)
        assert seen[-3:] == [dtype] * 3  # the warm-up and the two timed steps


@pytest.mark.parametrize("name", [k for k, v in SMVAE_VARIANTS.items() if v["mix"] == "post"])
def test_post_hoc_smvae_stays_finite_near_saturated_pixels_under_bf16(name):
    """A post-hoc output c * sigmoid(.) near 1 is clamped to 1 - eps, which rounds to 1 in bf16: the Bernoulli
    NLL of a grey pixel would be infinite unless it is computed in float32."""
    torch.manual_seed(0)
    model = build_smvae(SMVAE_VARIANTS[name])
    torch.nn.init.constant_(model.decoder[-1].bias, 10.0)
    x = torch.rand(6, 784)
    with bf16_autocast(CPU, True):
        terms = model.loss_terms(x)
    assert all(torch.isfinite(v).all() for v in terms.values()), {k: float(v) for k, v in terms.items()}
