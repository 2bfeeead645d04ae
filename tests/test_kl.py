"""Closed-form KLs against torch.distributions and Monte-Carlo estimates (also the formulas of the lecture
notes shared/spec/seed_001.md)."""

import math

import torch
from torch.distributions import Gamma, LogNormal, Normal, kl_divergence

from vaerep.models.kl import (gamma_from_log_mean_var, kl_gamma_gamma, kl_normal_normal, kl_std_normal,
                              lognormal_mean_std)


def test_std_normal_kl_matches_torch_and_monte_carlo():
    torch.manual_seed(0)
    mu, logvar = torch.randn(50), torch.randn(50)
    ours = kl_std_normal(mu, logvar)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    assert torch.allclose(ours, ref, atol=1e-5)
    q = Normal(mu[:3].double(), (0.5 * logvar[:3]).double().exp())
    z = q.sample((400_000,))
    mc = (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).mean(0)
    assert torch.allclose(mc, ours[:3].double(), atol=0.02)


def test_general_normal_kl():
    torch.manual_seed(1)
    a, b, c, d = torch.randn(4, 20)
    ref = kl_divergence(Normal(a, (0.5 * b).exp()), Normal(c, (0.5 * d).exp()))
    assert torch.allclose(kl_normal_normal(a, b, c, d), ref, atol=1e-5)
    assert torch.allclose(kl_normal_normal(a, b, torch.zeros(20), torch.zeros(20)), kl_std_normal(a, b), atol=1e-6)


def test_gamma_kl_matches_torch_and_monte_carlo():
    aq = torch.tensor([0.5, 1.0, 2.5, 7.0])
    bq = torch.tensor([0.3, 1.0, 2.0, 4.0])
    for ap in (1.0, 3.0):
        ours = kl_gamma_gamma(aq, bq, ap, 1.0)
        ref = kl_divergence(Gamma(aq, bq), Gamma(torch.full_like(aq, ap), torch.ones_like(aq)))
        assert torch.allclose(ours, ref, atol=1e-5), (ap, ours, ref)
    q = Gamma(aq.double(), bq.double())
    c = q.sample((400_000,))
    mc = (q.log_prob(c) - Gamma(torch.tensor(3.0, dtype=torch.double), 1.0).log_prob(c)).mean(0)
    assert torch.allclose(mc, kl_gamma_gamma(aq, bq, 3.0, 1.0).double(), rtol=0.02, atol=0.01)
    # zero for equal distributions, positive otherwise
    assert kl_gamma_gamma(torch.tensor(3.0), torch.tensor(1.0), 3.0, 1.0).abs() < 1e-6


def test_gamma_conversion_from_log_mean_and_log_variance():
    log_mean, log_var = torch.tensor([0.3, -1.0]), torch.tensor([-0.5, 0.7])
    alpha, beta = gamma_from_log_mean_var(log_mean, log_var)
    g = Gamma(alpha, beta)
    assert torch.allclose(g.mean, log_mean.exp(), rtol=1e-5)
    assert torch.allclose(g.variance, log_var.exp(), rtol=1e-5)


def test_lognormal_kl_equals_normal_kl_and_moments():
    mu, logvar = torch.tensor([0.2, -0.4]), torch.tensor([-1.0, 0.3])
    sd = (0.5 * logvar).exp()
    ref = kl_divergence(LogNormal(mu, sd), LogNormal(0.0, 1.0))
    assert torch.allclose(kl_std_normal(mu, logvar), ref, atol=1e-5)
    mean, std = lognormal_mean_std(mu, logvar)
    assert torch.allclose(mean, LogNormal(mu, sd).mean, rtol=1e-5)
    assert torch.allclose(std, LogNormal(mu, sd).variance.sqrt(), rtol=1e-5)


def test_bernoulli_nll_matches_closed_form():
    from vaerep.models.layers import bce_prob_sum, bce_with_logits_sum
    x = torch.tensor([[0.0, 1.0, 0.3]])
    logits = torch.tensor([[0.5, -1.0, 2.0]])
    p = torch.sigmoid(logits)
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).sum()
    assert math.isclose(float(bce_with_logits_sum(logits, x)), float(expected), rel_tol=1e-5)
    assert math.isclose(float(bce_prob_sum(p, x)), float(expected), rel_tol=1e-4)
