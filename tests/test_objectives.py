"""Every model's training objective against an independent computation on a fixed small model: the KL in
closed form and the summed BCE (or MSE) written out here, the posterior sample redrawn from the same seed.
A doubled or halved KL (or beta / KL weight) in any objective fails one of these tests."""

import math

import pytest
import torch
from torch.distributions import Gamma, kl_divergence

from vaerep.initialisation import init_parameters
from vaerep.models.beta_vae import LOSS_CONVENTIONS, BetaVAE
from vaerep.models.conv2d_vae import ConvVAE2D
from vaerep.models.smvae import build_smvae
from vaerep.models.vae2d_mnist import MnistVAE2D
from vaerep.models.vqvae import VQVAE

SEED = 7


def gauss_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per image, summed over the latent dims (closed form, written out)."""
    return (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).sum(1)


def bce_sum(prob, x):
    """-sum_pixels [x log p + (1 - x) log (1 - p)] per image, from probabilities."""
    return -(x * prob.log() + (1 - x) * (1 - prob).log()).flatten(1).sum(1)


def images(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g, dtype=torch.float64)


def fixed(model, seed=0):
    init_parameters(model, seed)
    # float64, so that loss - rec resolves a KL much smaller than the reconstruction term; no dropout
    return model.double().eval()


def reparameterised(mu, logvar):
    """The posterior sample the model's objective draws after ``torch.manual_seed(SEED)``."""
    torch.manual_seed(SEED)
    return mu + torch.randn(mu.shape, dtype=mu.dtype) * (0.5 * logvar).exp()


def gaussian_vae_reference(encode, decode_logits, x):
    """Per-image summed BCE and KL of a Gaussian VAE with a sigmoid decoder, written out from its encoder and
    decoder at the objective's posterior sample."""
    with torch.no_grad():
        mu, logvar = encode(x)
        z = reparameterised(mu, logvar)
        return bce_sum(torch.sigmoid(decode_logits(z)), x), gauss_kl(mu, logvar)


def terms(model, x):
    torch.manual_seed(SEED)
    with torch.no_grad():
        return {k: float(v) for k, v in model.loss_terms(x).items()}


SMVAE = {"standard": {"mix": "none"}, "pre_normal": {"mix": "pre", "c_dist": "normal"},
         "pre_gamma3": {"mix": "pre", "c_dist": "gamma", "alpha": 3.0},
         "post_lognormal": {"mix": "post", "c_dist": "lognormal"},
         "post_gamma1": {"mix": "post", "c_dist": "gamma", "alpha": 1.0}}


@pytest.mark.parametrize("name", SMVAE)
def test_smvae_objective(name):
    spec = SMVAE[name]
    model = fixed(build_smvae(spec))
    x = (images((16, 784)) > 0.7).double() * 0.8
    got = terms(model, x)
    with torch.no_grad():
        h = model.encoder(x)
        mu, logvar = h[:, :3], h[:, 3:]
        torch.manual_seed(SEED)
        eps = torch.randn(mu.shape, dtype=mu.dtype)
        s = mu + (0.5 * logvar).exp() * eps
        if spec["mix"] == "none":
            kl, z, c = gauss_kl(mu, logvar), s, None
        else:
            z = s[:, :2]
            kl = gauss_kl(mu[:, :2], logvar[:, :2])
            if spec["c_dist"] == "gamma":  # q(c|x) has mean exp(mu_c) and variance exp(logvar_c)
                mean, var = mu[:, 2].exp(), logvar[:, 2].exp()
                q = Gamma(mean ** 2 / var, mean / var)
                c = q.rsample()
                kl = kl + kl_divergence(q, Gamma(torch.full_like(mean, spec["alpha"]), torch.ones_like(mean)))
            else:  # normal, or log-normal (whose KL is its underlying normal's)
                c = s[:, 2].exp() if spec["c_dist"] == "lognormal" else s[:, 2]
                kl = kl + gauss_kl(mu[:, 2:], logvar[:, 2:])
        if spec["mix"] == "pre":
            z = z * c[:, None]
        prob = torch.sigmoid(model.decoder(z))
        if spec["mix"] == "post":
            prob = (prob * c[:, None]).clamp(1e-6, 1 - 1e-6)
        rec = bce_sum(prob, x)
    assert got["kl"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert got["rec"] == pytest.approx(float(rec.mean()), rel=1e-6)
    assert got["loss"] == pytest.approx(float((rec + kl).mean()), rel=1e-9)
    assert got["loss"] - got["rec"] == pytest.approx(float(kl.mean()), rel=1e-6)


@pytest.mark.parametrize("beta", [1.0, 4.0])
def test_beta_vae_objective(beta):
    model = fixed(BetaVAE(beta=beta, latent_dim=4, filters=(4, 4, 4), dense=8))
    x = (images((3, 1, 64, 64)) > 0.5).double()
    got = terms(model, x)
    rec, kl = gaussian_vae_reference(model.encoder, model.decoder, x)
    assert got["kl"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert got["rec"] == pytest.approx(float(rec.mean()), rel=1e-6)
    assert got["loss"] - got["rec"] == pytest.approx(beta * float(kl.mean()), rel=1e-6)


def test_beta_vae_loss_conventions_scale_the_same_terms():
    """Every convention weights its KL by beta, and its reconstruction is the summed BCE up to the
    convention's stated factor (batch_sum: summed over the batch as well)."""
    x = (images((3, 1, 64, 64)) > 0.5).double()
    base = terms(fixed(BetaVAE(beta=3.0, latent_dim=4, filters=(4, 4, 4), dense=8)), x)
    for conv in LOSS_CONVENTIONS:
        got = terms(fixed(BetaVAE(beta=3.0, latent_dim=4, filters=(4, 4, 4), dense=8, loss_convention=conv)), x)
        n = 3 if conv == "batch_sum" else 1
        assert got["kl"] == pytest.approx(n * base["kl"], rel=1e-6), conv
        assert got["loss"] - got["rec"] == pytest.approx(3.0 * got["kl"], rel=1e-6), conv
        # the summed BCE times: 3 images (batch_sum), 4096 / 64 (mean over a row of 64 pixels, x 4096), 4096
        factor = {"image_sum": 1, "batch_sum": 3, "row_mean_x4096": 64, "pixel_x4096_sum": 4096}.get(conv)
        if factor is not None:  # keras_clipped_linear reads the decoder output as a probability instead
            assert got["rec"] == pytest.approx(factor * base["rec"], rel=1e-6), conv


@pytest.mark.parametrize("kl_weight", [1.0, 0.5])
def test_conv2d_vae_objective(kl_weight):
    """Study D's model: loss = summed BCE + kl_weight x KL; neg_elbo = BCE + KL."""
    model = fixed(ConvVAE2D(kl_weight=kl_weight))
    x = images((4, 1, 28, 28))
    got = terms(model, x)
    rec, kl = gaussian_vae_reference(model.encode, model.decode_logits, x)
    assert got["kl"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert got["rec"] == pytest.approx(float(rec.mean()), rel=1e-6)
    assert got["neg_elbo"] == pytest.approx(float((rec + kl).mean()), rel=1e-6)
    assert got["loss"] - got["rec"] == pytest.approx(kl_weight * float(kl.mean()), rel=1e-6)
    assert got["neg_elbo"] - got["rec"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert got["kl_per_dim"] == pytest.approx(float(kl.mean()) / 2, rel=1e-6)


@pytest.mark.parametrize("head,recon", [("fc", "bce"), ("conv", "mse_sum"), ("fc", "mse_mean")])
def test_vae2d_mnist_objective(head, recon):
    """Study C1's 2-D VAEs: loss = reconstruction (in the model's units) + KL, per-dim KLs add up."""
    model = fixed(MnistVAE2D(head=head, recon=recon))
    x = images((4, 1, 28, 28))
    got = terms(model, x)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        z = reparameterised(mu, logvar)
        prob = torch.sigmoid(model.decode_logits(z))
        sq = ((prob - x) ** 2).flatten(1).sum(1)
        rec = {"bce": bce_sum(prob, x), "mse_sum": sq, "mse_mean": sq / 784}[recon]
        kl = gauss_kl(mu, logvar)
    assert got["kl"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert got["kl_z1"] + got["kl_z2"] == pytest.approx(got["kl"], rel=1e-5)
    assert got["rec"] == pytest.approx(float(rec.mean()), rel=1e-6)
    assert got["loss"] == pytest.approx(float((rec + kl).mean()), rel=1e-9)
    assert got["loss"] - got["rec"] == pytest.approx(float(kl.mean()), rel=1e-6)
    assert got["bce"] == pytest.approx(float(bce_sum(prob, x).mean()), rel=1e-6)


@pytest.mark.parametrize("beta", [0.25, 1.0])
def test_vqvae_objective(beta):
    """Thesis eq. 3.32: MSE + codebook loss + beta x commitment loss, nearest codes by brute force."""
    model = fixed(VQVAE(channels=(4, 8), embedding_dim=3, codebook_size=5, beta=beta, init="uniform"))
    with torch.no_grad():
        model.quantizer.codebook.normal_()  # codes of the encoder's scale, so the nearest code varies
    x = images((2, 1, 28, 28))
    got = terms(model, x)
    with torch.no_grad():
        z_e = model.encoder(x)
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, 3)
        cb = model.quantizer.codebook
        dist = torch.stack([((flat - e) ** 2).sum(1) for e in cb], 1)
        z_q = cb[dist.argmin(1)]
        err = float(((flat - z_q) ** 2).mean())
        x_hat = model.decoder(z_q.reshape(2, 7, 7, 3).permute(0, 3, 1, 2))
        mse = float(((x_hat - x) ** 2).mean())
    assert got["codebook"] == pytest.approx(err, rel=1e-5) and got["commitment"] == pytest.approx(err, rel=1e-5)
    assert got["mse"] == pytest.approx(mse, rel=1e-5)
    assert got["loss"] - got["mse"] == pytest.approx((1 + beta) * err, rel=1e-6)


def test_kl_reference_is_the_textbook_value():
    """The reference itself: KL(N(1, e^0) || N(0, 1)) = 0.5 and KL(N(0, e^-2) || N(0, 1)) = 0.5 (e^-2 - 1 + 2)."""
    assert float(gauss_kl(torch.tensor([[1.0]]), torch.tensor([[0.0]]))) == pytest.approx(0.5)
    assert float(gauss_kl(torch.tensor([[0.0]]), torch.tensor([[-2.0]]))) == pytest.approx(0.5 * (math.exp(-2) + 1))
