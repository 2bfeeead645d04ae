"""Closed-form KL divergences and parameter conversions used by the VAEs (all elementwise)."""

from __future__ import annotations

import torch

from .layers import at_least_float32


def kl_std_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per element: 0.5 (mu^2 + sigma^2 - 1 - log sigma^2), in float32
    (at least) whatever the inputs' precision."""
    mu, logvar = at_least_float32(mu), at_least_float32(logvar)
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_normal_normal(mu_q, logvar_q, mu_p, logvar_p) -> torch.Tensor:
    """KL(N(mu_q, var_q) || N(mu_p, var_p)) per element."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1.0)


def kl_gamma_gamma(alpha_q, beta_q, alpha_p, beta_p) -> torch.Tensor:
    """KL(Gamma(alpha_q, rate beta_q) || Gamma(alpha_p, rate beta_p)) per element (thesis Prop. 4.3):
    (aq - ap) psi(aq) - (bq - bp) aq / bq + ap log(bq / bp) - log(Gamma(aq) / Gamma(ap))."""
    alpha_p = torch.as_tensor(alpha_p, dtype=alpha_q.dtype, device=alpha_q.device)
    beta_p = torch.as_tensor(beta_p, dtype=alpha_q.dtype, device=alpha_q.device)
    return ((alpha_q - alpha_p) * torch.digamma(alpha_q) - (beta_q - beta_p) * alpha_q / beta_q
            + alpha_p * (torch.log(beta_q) - torch.log(beta_p))
            - torch.lgamma(alpha_q) + torch.lgamma(alpha_p))


def kl_gamma_gamma_author(alpha_q, beta_q, alpha_p, beta_p) -> torch.Tensor:
    """The thesis author's Gamma KL (seed_000.md §9): the closed form with the posterior alpha_q in place of
    the prior alpha_p in the alpha * log(beta_q / beta_p) term. Differs from ``kl_gamma_gamma`` by exactly
    (alpha_q - alpha_p) * log(beta_q / beta_p)."""
    alpha_p = torch.as_tensor(alpha_p, dtype=alpha_q.dtype, device=alpha_q.device)
    beta_p = torch.as_tensor(beta_p, dtype=alpha_q.dtype, device=alpha_q.device)
    return ((alpha_q - alpha_p) * torch.digamma(alpha_q) - (beta_q - beta_p) * alpha_q / beta_q
            + alpha_q * (torch.log(beta_q) - torch.log(beta_p))
            - torch.lgamma(alpha_q) + torch.lgamma(alpha_p))


def gamma_from_log_mean_var(log_mean: torch.Tensor, log_var: torch.Tensor):
    """(alpha, rate beta) of the Gamma with the given log mean and log variance:
    alpha = mean^2 / var, beta = mean / var (the thesis prints these formulas wrongly); in float32 (at least)
    whatever the inputs' precision, as the Gamma sampler and the KL need."""
    log_mean, log_var = at_least_float32(log_mean), at_least_float32(log_var)
    alpha = torch.exp(2.0 * log_mean - log_var)
    beta = torch.exp(log_mean - log_var)
    return alpha, beta


def lognormal_mean_std(mu: torch.Tensor, logvar: torch.Tensor):
    """Mean and std of c = exp(u), u ~ N(mu, exp(logvar))."""
    var = logvar.exp()
    mean = torch.exp(mu + 0.5 * var)
    variance = torch.exp(2 * mu + 2 * var) - torch.exp(2 * mu + var)
    return mean, variance.clamp_min(0).sqrt()
