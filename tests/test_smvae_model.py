"""Study A models: shapes, KL wiring, IWAE bound, and a loss that falls on a small batch."""

import math

import pytest
import torch

from vaerep.errors import PipelineError
from vaerep.models.kl import kl_std_normal
from vaerep.models.smvae import SMVAE, build_smvae

VARIANTS = [dict(mix="none"), dict(mix="pre", c_dist="normal"), dict(mix="pre", c_dist="gamma", alpha=1.0),
            dict(mix="pre", c_dist="gamma", alpha=3.0), dict(mix="post", c_dist="lognormal"),
            dict(mix="post", c_dist="gamma", alpha=3.0)]


def batch(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = (torch.rand(n, 784, generator=g) > 0.8).float()
    c = torch.tensor([0.2, 0.5, 0.8, 1.0]).repeat(n // 4)
    return base * c[:, None]


@pytest.mark.parametrize("spec", VARIANTS)
def test_shapes_and_terms(spec):
    torch.manual_seed(0)
    model = build_smvae(spec)
    x = batch()
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (64, 3)
    z, c = model.sample_latent(mu, logvar)
    assert z.shape == (64, 3 if spec["mix"] == "none" else 2)
    assert (c is None) == (spec["mix"] == "none")
    recon = model.decode(z, c)
    assert recon.shape == (64, 784) and recon.min() >= 0 and recon.max() <= 1
    terms = model.loss_terms(x)
    assert set(terms) == {"loss", "rec", "kl"}
    assert torch.isclose(terms["loss"], terms["rec"] + terms["kl"])
    assert terms["kl"] >= 0 and torch.isfinite(terms["loss"])
    mean, std = model.posterior_mean_std(x)
    assert mean.shape == std.shape == (64, 3) and (std > 0).all()
    if spec.get("c_dist") in ("gamma", "lognormal"):
        assert (mean[:, 2] > 0).all()


@pytest.mark.parametrize("spec", VARIANTS)
def test_loss_falls_on_a_small_batch(spec):
    torch.manual_seed(0)
    model = build_smvae(spec)
    x = batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = float(model.loss_terms(x)["loss"].detach())
    for _ in range(150):
        opt.zero_grad()
        model.loss_terms(x)["loss"].backward()
        opt.step()
    torch.manual_seed(1)
    last = float(model.loss_terms(x)["loss"].detach())
    assert last < 0.7 * first, (first, last)


def test_standard_kl_is_the_closed_form():
    model = SMVAE("none")
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    assert torch.allclose(model.kl(mu, logvar), kl_std_normal(mu, logvar).sum(1))


@pytest.mark.parametrize("spec", VARIANTS)
def test_importance_weights_average_to_the_elbo_and_iwae_is_tighter(spec):
    """E_q[log p(x, z) - log q(z|x)] = -(reconstruction + closed-form KL): checks the densities used
    by the IWAE estimate against the KL formulas, to a tenth of the KL (so that a doubled or a zeroed KL
    fails); the IWAE bound is then above the ELBO. Posterior parameters set far from the prior, so that
    the KL is sizeable."""
    torch.manual_seed(0)
    model = build_smvae(spec)
    x = batch(8)
    k = 4000
    torch.manual_seed(2)
    with torch.no_grad():
        mu, logvar = 1.0 + 0.5 * torch.randn(8, 3), torch.full((8, 3), -1.5)
        z, c = model.sample_latent(mu, logvar, n=k)
        log_w = model.log_weights(x, mu, logvar, z, c)
        rec, kl = model.reconstruction_nll(x, z, c).mean(0), model.kl(mu, logvar)
    assert kl.mean() > 2.0, kl  # a KL worth checking
    tol = 0.1 * kl.mean()  # batch means: the Monte-Carlo error is far smaller

    def matches(kl_used):
        return bool((log_w.mean(0) + rec + kl_used).mean().abs() <= tol)

    assert matches(kl), (log_w.mean(0), -(rec + kl))
    assert not matches(2 * kl) and not matches(0 * kl)  # the check rejects a doubled or a zeroed KL
    with torch.no_grad():
        iw = torch.logsumexp(log_w[:256], 0) - math.log(256)
        assert iw.mean() >= log_w.mean() - tol


def test_iwae_estimate_is_the_log_mean_of_the_importance_weights(monkeypatch):
    """log (1/k) sum_k w_k, from given log weights: equal weights give their common value at any k, and two
    weights give the log of their mean."""
    model = build_smvae(dict(mix="none"))
    x = batch(4)
    for k in (1, 7, 100):
        monkeypatch.setattr(model, "log_importance_weights", lambda x, k: torch.full((k, len(x)), -123.5))
        assert torch.allclose(model.iw_log_likelihood(x, k), torch.full((4,), -123.5))
    monkeypatch.setattr(model, "log_importance_weights",
                        lambda x, k: torch.tensor([[-100.0] * 4, [-102.0] * 4], dtype=torch.float64))
    expected = math.log((math.exp(-100.0 + 100) + math.exp(-102.0 + 100)) / 2) - 100
    assert torch.allclose(model.iw_log_likelihood(x, 2), torch.full((4,), expected, dtype=torch.float64))


@pytest.mark.parametrize("spec", VARIANTS)
def test_reconstruction_of_many_posterior_samples_equals_one_sample_at_a_time(spec):
    """The IWAE pass scores K samples per image without copying the image K times: the same BCE as scoring
    each sample on its own (float32 round-off apart)."""
    torch.manual_seed(0)
    model = build_smvae(spec)
    x = batch(8)
    with torch.no_grad():
        mu, logvar = torch.randn(8, 3), torch.randn(8, 3) - 1
        z, c = model.sample_latent(mu, logvar, n=5)
        many = model.reconstruction_nll(x, z, c)
        one = torch.stack([model.reconstruction_nll(x, z[i], None if c is None else c[i]) for i in range(5)])
    assert many.shape == (5, 8)
    assert torch.allclose(many, one, rtol=1e-5, atol=1e-3)
    assert not torch.allclose(many[1:], one[:-1], rtol=1e-5, atol=1e-3)  # the samples are really different


def test_pre_hoc_zoom_symmetry():
    """The decoder sees c * z: (z, c) and (2z, c/2) decode to the same image (seed_000.md §3 caveat)."""
    model = SMVAE("pre", "normal")
    z, c = torch.randn(4, 2), torch.rand(4) + 0.5
    assert torch.allclose(model.decode(z, c), model.decode(2 * z, c / 2), atol=1e-6)


@pytest.mark.parametrize("c_dist", ["gamma", "lognormal"])
def test_posterior_moments_of_c_are_those_of_its_distribution(c_dist):
    """The reported mean and std of c are the moments of q(c|x) itself: a Gamma with log mean log 3 and log
    variance log 4 has mean 3 and std 2; a log-normal's come from its own closed form."""
    model = SMVAE("pre", c_dist, alpha=3.0)
    mu = torch.tensor([[0.1, -0.2, math.log(3.0)]])
    logvar = torch.tensor([[0.0, 0.5, math.log(4.0)]])
    mean, std = model.moments(mu, logvar)
    q = model._c_posterior(mu[:, 2], logvar[:, 2])
    assert torch.allclose(mean[:, 2], q.mean) and torch.allclose(std[:, 2], q.stddev)
    if c_dist == "gamma":
        assert mean[0, 2].item() == pytest.approx(3.0) and std[0, 2].item() == pytest.approx(2.0)
    assert torch.allclose(std[:, :2], (0.5 * logvar[:, :2]).exp()) and torch.equal(mean[:, :2], mu[:, :2])

def test_bad_variant_is_a_clear_error():
    with pytest.raises(PipelineError, match="mix"):
        SMVAE("middle")
    with pytest.raises(PipelineError, match="prior"):
        SMVAE("post", c_dist="cauchy")
