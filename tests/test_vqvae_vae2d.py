"""Study C1: the 2-D MNIST VAEs (shapes, loss weighting in closed form, per-dim KL, learning, posterior
collapse under the per-pixel-mean MSE), the claim checks on synthetic tables, and the config. Seconds."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from vaerep.config import CONFIG_DIR, SCHEMA_DIR, study_settings, validate
from vaerep.errors import PipelineError
from vaerep.models.kl import kl_std_normal
from vaerep.models.vae2d_mnist import N_PIXELS, build_vae2d, recon_error
from vaerep.vqvae.vae2d import check_claims, to_markdown

SPEC = {"channels": [8, 16], "hidden": 16, "z_dim": 2}


def _bars(n=16):
    x = torch.zeros(n, 1, 28, 28)
    x[:, :, 8:20, 10:18] = 1.0
    x[n // 2:, :, 4:24, 12:15] = 0.6
    return x


@pytest.mark.parametrize("head", ["fc", "conv"])
def test_shapes_of_both_heads(head):
    model = build_vae2d({**SPEC, "head": head, "recon": "bce"})
    x = torch.rand(3, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (3, 2)
    out = model.decode(mu)
    assert out.shape == (3, 1, 28, 28) and bool(((out > 0) & (out < 1)).all())
    assert model.encode(x.flatten(1))[0].shape == (3, 2)
    assert model(x).shape == (3, 1, 28, 28)


def test_heads_differ_as_documented():
    fc, conv = (build_vae2d({"head": h, "recon": "bce"}) for h in ("fc", "conv"))
    assert any(isinstance(m, torch.nn.Linear) for m in fc.modules())
    assert not any(isinstance(m, torch.nn.Linear) for m in conv.modules())  # no dense layer in the conv head
    # the Keras example: Dense(3136 -> 16) + Dense(16 -> 4) in the encoder, Dense(2 -> 3136) in the decoder
    dense = sum(m.weight.numel() + m.bias.numel() for m in fc.modules() if isinstance(m, torch.nn.Linear))
    assert dense == (3136 * 16 + 16) + (16 * 4 + 4) + (2 * 3136 + 3136)


def test_bad_specs_fail_clearly():
    with pytest.raises(PipelineError, match="unknown 2-D VAE spec"):
        build_vae2d({"zdim": 2})
    with pytest.raises(PipelineError, match="unknown head"):
        build_vae2d({"head": "dense"})
    with pytest.raises(PipelineError, match="unknown reconstruction loss"):
        build_vae2d({"recon": "l1"})


def test_loss_weighting_in_closed_form():
    logits = torch.zeros(2, 1, 28, 28)  # sigmoid = 0.5 everywhere
    x = torch.ones(2, 1, 28, 28)
    assert torch.allclose(recon_error(logits, x, "mse_sum"), torch.full((2,), 0.25 * N_PIXELS))
    assert torch.allclose(recon_error(logits, x, "mse_mean"), torch.full((2,), 0.25))
    assert torch.allclose(recon_error(logits, x, "bce"), torch.full((2,), N_PIXELS * math.log(2)), rtol=1e-5)
    torch.manual_seed(0)
    logits, x = torch.randn(4, 1, 28, 28), torch.rand(4, 1, 28, 28)
    assert torch.allclose(recon_error(logits, x, "mse_sum"), 784 * recon_error(logits, x, "mse_mean"))


@pytest.mark.parametrize("recon", ["bce", "mse_sum", "mse_mean"])
def test_loss_terms_and_kl_per_dimension(recon):
    torch.manual_seed(0)
    model = build_vae2d({**SPEC, "recon": recon})
    x = _bars(8)
    mu, logvar = model.encode(x)
    per_dim = kl_std_normal(mu, logvar).mean(0)  # kl_std_normal itself is checked by Monte Carlo in test_kl.py
    torch.manual_seed(1)
    t = model.loss_terms(x)
    assert torch.allclose(t["loss"], t["rec"] + t["kl"]) and torch.allclose(t["neg_elbo"], t["loss"])
    assert torch.allclose(torch.stack([t["kl_z1"], t["kl_z2"]]), per_dim, atol=1e-6)
    assert torch.allclose(t["kl"], per_dim.sum(), atol=1e-6)
    if recon == "bce":
        assert torch.allclose(t["bce"], t["rec"])
    else:
        scale = 1.0 if recon == "mse_mean" else float(N_PIXELS)
        assert torch.allclose(t["rec"], t["mse"] * scale, rtol=1e-5)


def _train(model, x, steps, lr):
    """Plain Adam steps on one batch; the loss after each step."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = model.loss_terms(x)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("head", ["fc", "conv"])
def test_loss_falls_on_tiny_data(head):
    torch.manual_seed(0)
    losses = _train(build_vae2d({**SPEC, "head": head, "recon": "bce"}), _bars(), 25, 2e-3)
    assert losses[-1] < 0.8 * losses[0]


def _kl_after_training(recon, steps=60):
    torch.manual_seed(0)
    model = build_vae2d({**SPEC, "recon": recon})
    with torch.no_grad():  # start from mu = 0, sigma^2 = e^-2: KL = (e^-2 + 1) / 2 ~ 0.57 nats per dim
        last = model.enc_head[-1]
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0.0, 0.0, -2.0, -2.0]))
    x = _bars()
    _train(model, x, steps, 3e-3)
    torch.manual_seed(1)
    t = model.loss_terms(x)
    return torch.stack([t["kl_z1"], t["kl_z2"]]).detach()


def test_per_pixel_mean_mse_collapses_the_posterior():
    collapsed = _kl_after_training("mse_mean")
    assert bool((collapsed < 0.05).all()), collapsed
    used = _kl_after_training("mse_sum")
    assert float(used.sum()) > 10 * float(collapsed.sum()), (used, collapsed)


@pytest.mark.parametrize("kl, grows", [([3.0, 1.0, 2.0], True), ([3.0, 2.0, 1.0], False), ([1.0, 1.0], False),
                                       ([1.0, 3.0, 2.0], True), ([2.0], False)])
def test_kl_grows_means_ending_above_an_earlier_minimum(kl, grows):
    hist = pd.DataFrame({"epoch": range(1, len(kl) + 1), "train_loss": 100.0, "train_rec": 99.0, "train_kl": kl})
    verdict = check_claims(_table(), {"M1": hist, "M2": hist}, ROLES, THR, 15).set_index("id")["verdict"]
    assert verdict[["C1.kl_grows.fc_bce", "C1.kl_grows.fc_mse"]].tolist() == ["replicates" if grows else "differs"] * 2


def _table(collapse_kl=(1e-4, 2e-4), conv_knn=0.5):
    rows = []
    for name, label, head, recon, knn, kl, mse in [
            ("M1", "M1 FC, MSE x784", "fc", "mse_sum", 0.8, (2.0, 2.5), 0.040),
            ("M2", "M2 FC, BCE", "fc", "bce", 0.75, (2.1, 2.4), 0.042),
            ("M3", "M3 conv, MSE x784", "conv", "mse_sum", 0.6, (1.8, 2.0), 0.045),
            ("M4", "M4 conv, BCE", "conv", "bce", conv_knn, (1.9, 2.2), 0.046),
            ("collapse", "FC, MSE per-pixel mean", "fc", "mse_mean", 0.11, collapse_kl, 0.067)]:
        # test_mse_mean_image 0.067: the MSE of the training mean image (trained models: 0.60-0.69 of it)
        rows.append({"model": name, "label": label, "head": head, "recon": recon, "epochs": 3, "n_train": 100,
                     "test_rec": mse, "test_mse_per_pixel": mse, "test_mse_mean_image": 0.067, "test_bce_sum": 150.0,
                     "test_kl": sum(kl),
                     "test_kl_z1": kl[0], "test_kl_z2": kl[1], "test_neg_elbo": 150 + sum(kl),
                     "test_neg_elbo_bernoulli": 150 + sum(kl), "generalisation_gap": 4.0 if head == "conv" else 1.0,
                     "knn_accuracy": knn, "latent_mean_z1": 0.1, "latent_mean_z2": -0.1,
                     "latent_std_z1": 0.9, "latent_std_z2": 1.0})
    return pd.DataFrame(rows)


ROLES = {"fc_mse": "M1", "fc_bce": "M2", "conv_mse": "M3", "conv_bce": "M4", "collapse": "collapse"}
THR = {"knn_k": 5, "separates_knn": 0.4, "collapse_kl_per_dim": 0.05, "active_kl_per_dim": 0.5, "overfit_margin_nats": 2.0,
       "reconstructs_vs_mean_image": 0.8, "much_smaller": 0.5, "same_recon_ratio": 1.25, "normal_mean_abs": 0.5,
       "normal_std": [0.3, 1.5]}


def test_claims_on_synthetic_tables():
    hist = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [200.0, 160.0, 150.0], "train_rec": [199.0, 156.0, 145.0],
                         "train_kl": [1.0, 4.0, 5.0], "train_neg_elbo": [200.0, 160.0, 150.0]})
    histories = {"M1": hist.assign(train_loss=[60.0, 40.0, 35.0], train_rec=[59.0, 36.0, 30.0]), "M2": hist}
    roles = ROLES
    c = check_claims(_table(), histories, roles, THR, 15)
    assert set(c["verdict"]) == {"replicates"}, c[c["verdict"] != "replicates"]
    c2 = check_claims(_table(collapse_kl=(0.3, 1.0), conv_knn=0.9), histories, roles, THR, 15).set_index("claim")
    assert c2.filter(like="collapse: every image", axis=0)["verdict"].item() == "differs"
    assert c2.filter(like="separates the digit classes better", axis=0)["verdict"].item() == "differs"
    md = to_markdown(_table())
    assert md.count("\n| ") == 5 and "MSE per-pixel mean" in md


@pytest.mark.parametrize("scale", ["smoke", "cpu", "full"])
def test_config_validates_at_every_scale(scale):
    section = yaml.safe_load((CONFIG_DIR / "vqvae.yaml").read_text())["vqvae"]
    validate(section, SCHEMA_DIR / "vqvae.schema.yaml")
    s = study_settings({"scale": scale, "vqvae": section}, "vqvae")["vae2d"]
    assert set(s["models"]) == {"M1", "M2", "M3", "M4", "collapse"}
    assert {(m["head"], m["recon"]) for k, m in s["models"].items() if k != "collapse"} == {
        ("fc", "mse_sum"), ("fc", "bce"), ("conv", "mse_sum"), ("conv", "bce")}
    if scale == "full":
        assert s["train"] == {"epochs": 15, "batch_size": 128, "lr": 0.001, "seed": 0}
    bad = dict(section, vae2d=dict(section["vae2d"], models={"M1": {"head": "fc", "recon": "mse", "colour": 1}}))
    with pytest.raises(PipelineError):
        validate(bad, SCHEMA_DIR / "vqvae.schema.yaml")


def test_evaluation_on_random_images():
    from vaerep.vqvae.vae2d import evaluate_vae2d

    torch.manual_seed(0)
    model = build_vae2d({**SPEC, "recon": "mse_sum"}).eval()
    x = torch.randint(0, 256, (40, 28, 28), dtype=torch.uint8)
    y = torch.arange(40) % 10
    m, arrays = evaluate_vae2d(model, x[:20], y[:20], x[20:], y[20:], seed=0, knn_k=3)
    assert arrays["z"].shape == (20, 2) and list(arrays["labels"]) == list(range(10)) * 2
    assert m["test_neg_elbo"] == pytest.approx(m["test_rec"] + m["test_kl"], rel=1e-5)
    assert m["test_rec"] == pytest.approx(784 * m["test_mse"], rel=1e-4)
    assert m["test_neg_elbo_bernoulli"] == pytest.approx(m["test_bce"] + m["test_kl"])
    assert sum(m["kl_per_dim"]) == pytest.approx(m["test_kl"], rel=1e-5)
    assert 0.0 <= m["knn_accuracy"] <= 1.0 and np.isfinite(m["train_neg_elbo"])


def test_evaluation_encodes_each_image_once_with_the_numbers_of_separate_passes():
    """evaluate_vae2d's loss terms and latent means come from one encoder pass per image, and equal those of
    the shared evaluation loop plus a separate latent-means pass (same seed, same batches)."""
    from vaerep.latent2d.evaluate import latent_means
    from vaerep.train import evaluate
    from vaerep.vqvae.evaluate import mnist_to_float
    from vaerep.vqvae.vae2d import evaluate_vae2d, terms_and_means

    torch.manual_seed(1)
    model = build_vae2d({**SPEC, "recon": "bce"}).eval()
    x = torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8)
    y = torch.arange(50) % 10
    terms, z = terms_and_means(model, x, seed=3, batch_size=16)
    ref = evaluate(model, [x], torch.device("cpu"), prepare=mnist_to_float, batch_size=16, seed=3)
    assert terms.keys() == ref.keys() and all(terms[k] == ref[k] for k in ref)
    assert np.array_equal(z, latent_means(model, x, batch_size=16))
    # a different seed draws other posterior samples: the comparison above can fail
    assert terms_and_means(model, x, seed=4, batch_size=16)[0]["rec"] != terms["rec"]
    encoded = []
    encode = model.encode
    model.encode = lambda images: (encoded.append(images.shape[0]), encode(images))[1]
    evaluate_vae2d(model, x[:20], y[:20], x[20:], y[20:], seed=0, knn_k=3)
    assert sum(encoded) == 50  # 20 test + 30 train images, each encoded once (it was 100 before)


def test_mean_image_baseline_is_the_training_mean_scored_on_the_test_images():
    """The reference a model ignoring its input can reach: the training images' mean image, scored on the test
    images. All-black training images against all-white test images: MSE per pixel exactly 1."""
    from vaerep.vqvae.vae2d import evaluate_vae2d

    torch.manual_seed(0)
    model = build_vae2d({**SPEC, "recon": "mse_sum"}).eval()
    train = torch.zeros(10, 28, 28, dtype=torch.uint8)
    test = torch.full((10, 28, 28), 255, dtype=torch.uint8)
    y = torch.arange(10)
    m, _ = evaluate_vae2d(model, test, y, train, y, seed=0, knn_k=3)
    assert m["test_mse_mean_image"] == pytest.approx(1.0)


def test_generalisation_gap_is_test_minus_training_elbo():
    """Overfitting shows as a positive gap: test -ELBO 110 against 100 on the training images gives +10."""
    from vaerep.vqvae.vae2d import loss_table

    metrics = {"test_rec": 100.0, "test_mse": 0.04, "test_mse_mean_image": 0.067, "test_bce": 100.0, "test_kl": 10.0,
               "kl_per_dim": [4.0, 6.0], "test_neg_elbo": 110.0, "test_neg_elbo_bernoulli": 110.0,
               "train_neg_elbo": 100.0, "knn_accuracy": 0.8, "latent_mean": [0.0, 0.0], "latent_std": [1.0, 1.0]}
    table = loss_table({"M2": {"label": "M2", "head": "fc", "recon": "bce"}}, {"M2": metrics},
                       {"M2": pd.DataFrame({"epoch": [1, 2]})},
                       {"M2": {"n_train": 100, "samples_per_s": 1.0, "train_seconds": 1.0}})
    assert table.set_index("model").loc["M2", "generalisation_gap"] == pytest.approx(10.0)
