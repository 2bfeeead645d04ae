"""The Scale Mixtures VAE family of Study A (seed_000.md §3): one class, parameterised by where the
contrast latent c multiplies (none / pre: before the decoder / post: after it) and by its prior."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Gamma, LogNormal, Normal

# Argument validation costs time every step and turns a NaN into a ValueError deep inside
# torch.distributions; the training loop's NaN guard reports non-finite losses instead.
NO_CHECK = {"validate_args": False}

from ..errors import PipelineError
from .kl import gamma_from_log_mean_var, kl_gamma_gamma, kl_gamma_gamma_author, kl_std_normal, lognormal_mean_std
from .layers import (at_least_float32, bce_prob_author_sum, bce_prob_sum, bce_prob_sum_samples, bce_with_logits_sum,
                     bce_with_logits_sum_samples, mlp)

MIXES = ("none", "pre", "post")
C_DISTS = ("normal", "gamma", "lognormal")
KL_FORMS = ("closed_form", "author_code")  # Gamma KL: the true closed form, or the author's (seed_000.md §9)
OUTPUT_CLAMPS = ("eps", "author")  # post-hoc output: clamp into [eps, 1 - eps], or the author's clamp(max=1)


class SMVAE(nn.Module):
    """MLP VAE with latent dimension 3. ``mix='none'``: standard VAE, z in R^3. ``'pre'``: decoder
    input c * (z1, z2). ``'post'``: x_hat = c * Decoder(z1, z2). ``c_dist``: normal (prior N(0,1)),
    gamma (prior Gamma(alpha, 1), posterior from log mean / log variance) or lognormal (log c ~ N(0,1)).
    ``kl``: the Gamma KL trained with (closed_form | author_code); ``output_clamp``: how a post-hoc
    output c * sigmoid(.) is kept a probability (eps | author)."""

    def __init__(self, mix: str = "none", c_dist: str = "normal", alpha: float = 1.0,
                 encoder_hidden=(256, 32), decoder_hidden=(32, 256), n_pixels: int = 784,
                 post_clamp_eps: float = 1e-6, kl: str = "closed_form", output_clamp: str = "eps"):
        super().__init__()
        if kl not in KL_FORMS:
            raise PipelineError(f"unknown SMVAE kl '{kl}': choose one of {KL_FORMS}")
        if output_clamp not in OUTPUT_CLAMPS:
            raise PipelineError(f"unknown SMVAE output_clamp '{output_clamp}': choose one of {OUTPUT_CLAMPS}")
        self.kl_form, self.output_clamp = kl, output_clamp
        if mix not in MIXES:
            raise PipelineError(f"unknown SMVAE mix '{mix}': choose one of {MIXES}")
        if mix != "none" and c_dist not in C_DISTS:
            raise PipelineError(f"unknown contrast prior '{c_dist}': choose one of {C_DISTS}")
        self.mix, self.c_dist, self.alpha, self.eps = mix, c_dist, float(alpha), post_clamp_eps
        self.n_z = 3 if mix == "none" else 2
        self.encoder = mlp([n_pixels, *encoder_hidden, 6])
        self.decoder = mlp([self.n_z, *decoder_hidden, n_pixels])

    # -- posterior -------------------------------------------------------------------------
    def encode(self, x: torch.Tensor):
        """Encoder outputs (mu, logvar), each (B, 3); for a Gamma c the last column holds the log
        mean and log variance of q(c|x)."""
        h = self.encoder(x)
        return h[:, :3], h[:, 3:]

    def _c_posterior(self, mu_c, logvar_c):
        # float32 under bf16 autocast too: the Gamma sampler has no bf16 CPU kernel, and c scales every pixel
        mu_c, logvar_c = at_least_float32(mu_c), at_least_float32(logvar_c)
        if self.c_dist == "normal":
            return Normal(mu_c, (0.5 * logvar_c).exp(), **NO_CHECK)
        if self.c_dist == "lognormal":
            return LogNormal(mu_c, (0.5 * logvar_c).exp(), **NO_CHECK)
        alpha, beta = gamma_from_log_mean_var(mu_c, logvar_c)
        return Gamma(alpha, beta, **NO_CHECK)

    def _c_prior(self, like: torch.Tensor):
        one, zero = torch.ones_like(like), torch.zeros_like(like)
        if self.c_dist == "normal":
            return Normal(zero, one, **NO_CHECK)
        if self.c_dist == "lognormal":
            return LogNormal(zero, one, **NO_CHECK)
        return Gamma(one * self.alpha, one, **NO_CHECK)

    def kl(self, mu, logvar, form: str | None = None) -> torch.Tensor:
        """KL(q(z, c | x) || p(z, c)) per image; for a Gamma c in the model's ``kl`` form unless ``form``
        (closed_form | author_code) is given."""
        if self.mix == "none":
            return kl_std_normal(mu, logvar).sum(1)
        kl_z = kl_std_normal(mu[:, :2], logvar[:, :2]).sum(1)
        mu_c, lv_c = mu[:, 2], logvar[:, 2]
        if self.c_dist in ("normal", "lognormal"):  # KL of log-normals = KL of the underlying normals
            kl_c = kl_std_normal(mu_c, lv_c)
        else:
            alpha_q, beta_q = gamma_from_log_mean_var(mu_c, lv_c)
            kl_gamma = kl_gamma_gamma_author if (form or self.kl_form) == "author_code" else kl_gamma_gamma
            kl_c = kl_gamma(alpha_q, beta_q, self.alpha, 1.0)
        return kl_z + kl_c

    def posterior_mean_std(self, x: torch.Tensor):
        """Mean and std of q per latent dimension (B, 3): (z1, z2, z3) or (z1, z2, c), using each
        distribution's own moments for c."""
        return self.moments(*self.encode(x))

    def moments(self, mu: torch.Tensor, logvar: torch.Tensor):
        """Mean and std per latent dimension from the encoder outputs (see posterior_mean_std)."""
        mean, std = mu.clone(), (0.5 * logvar).exp()
        if self.mix != "none":
            if self.c_dist == "gamma":
                mean[:, 2], std[:, 2] = mu[:, 2].exp(), (0.5 * logvar[:, 2]).exp()
            elif self.c_dist == "lognormal":
                mean[:, 2], std[:, 2] = lognormal_mean_std(mu[:, 2], logvar[:, 2])
        return mean, std

    # -- sampling and decoding --------------------------------------------------------------
    def sample_latent(self, mu, logvar, n: int | None = None):
        """Reparameterised samples (z, c); c is None for the standard VAE. With ``n``, a leading
        sample dimension is added."""
        shape = mu.shape if n is None else (n, *mu.shape)
        # Normal draws written out (mu + sigma * eps): same numbers as Normal.rsample, less overhead.
        sample = mu + (0.5 * logvar).exp() * torch.randn(shape, dtype=mu.dtype, device=mu.device)
        if self.mix == "none":
            return sample, None
        if self.c_dist == "gamma":
            c = self._c_posterior(mu[:, 2], logvar[:, 2]).rsample(() if n is None else (n,))
        elif self.c_dist == "lognormal":
            c = sample[..., 2].exp()
        else:
            c = sample[..., 2]
        return sample[..., :2], c

    def decoder_logits(self, z, c=None):
        """Decoder pre-activation; for 'pre' the decoder sees c * z."""
        if self.mix == "pre":
            z = z * c.unsqueeze(-1)
        return self.decoder(z)

    def decode(self, z, c=None) -> torch.Tensor:
        """Mean image in [0, 1] (post-hoc: c * sigmoid(.), clamped into [eps, 1 - eps], or at 1 only)."""
        prob = torch.sigmoid(self.decoder_logits(z, c))
        if self.mix == "post":
            prob = prob * c.unsqueeze(-1)
            prob = prob.clamp(max=1.0) if self.output_clamp == "author" else prob.clamp(self.eps, 1 - self.eps)
        return prob

    def reconstruction_nll(self, x, z, c=None) -> torch.Tensor:
        """-log p(x | z, c): BCE summed over pixels, per image (any leading sample dims)."""
        logits = self.decoder_logits(z, c)
        if self.mix == "post":  # in float32: 1 - eps rounds to 1 in bf16, and log(1 - p) would be -inf
            prob = torch.sigmoid(at_least_float32(logits)) * c.unsqueeze(-1)
            if prob.dim() > x.dim() and self.output_clamp != "author":  # IWAE samples: no copy of x per sample
                return bce_prob_sum_samples(prob, x, self.eps)
            bce = bce_prob_author_sum if self.output_clamp == "author" else bce_prob_sum
            return bce(prob.reshape(-1, x.shape[-1]), x.expand_as(prob).reshape(-1, x.shape[-1]),
                                self.eps).reshape(prob.shape[:-1])
        if logits.dim() > x.dim():  # posterior samples of every image (IWAE): no copy of x per sample
            return bce_with_logits_sum_samples(logits, x)
        return bce_with_logits_sum(logits.reshape(-1, x.shape[-1]),
                                   x.expand_as(logits).reshape(-1, x.shape[-1])).reshape(logits.shape[:-1])

    # -- objectives -------------------------------------------------------------------------
    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-batch means of -ELBO ('loss'), reconstruction BCE ('rec') and KL ('kl'), per image."""
        mu, logvar = self.encode(x)
        z, c = self.sample_latent(mu, logvar)
        rec = self.reconstruction_nll(x, z, c).mean()
        kl = self.kl(mu, logvar).mean()
        return {"loss": rec + kl, "rec": rec, "kl": kl}

    @torch.no_grad()
    def log_importance_weights(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """log p(x, z_k) - log q(z_k | x) for k posterior samples, shape (k, B)."""
        mu, logvar = self.encode(x)
        z, c = self.sample_latent(mu, logvar, n=k)
        return self.log_weights(x, mu, logvar, z, c)

    def log_weights(self, x, mu, logvar, z, c) -> torch.Tensor:
        """log p(x, z, c) - log q(z, c | x) at given posterior samples (leading sample dimension)."""
        mu_z = mu if self.mix == "none" else mu[:, :2]
        lv_z = logvar if self.mix == "none" else logvar[:, :2]
        log_w = (-self.reconstruction_nll(x, z, c)
                 + Normal(0.0, 1.0, **NO_CHECK).log_prob(z).sum(-1)
                 - Normal(mu_z, (0.5 * lv_z).exp(), **NO_CHECK).log_prob(z).sum(-1))
        if c is not None:
            q_c = self._c_posterior(mu[:, 2], logvar[:, 2])
            log_w = log_w + self._c_prior(mu[:, 2]).log_prob(c) - q_c.log_prob(c)
        return log_w

    @torch.no_grad()
    def iw_log_likelihood(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Importance-weighted estimate of log p(x) with k samples (IWAE bound), per image."""
        log_w = self.log_importance_weights(x, k)
        return torch.logsumexp(log_w, 0) - math.log(k)


def build_smvae(spec: dict) -> SMVAE:
    """An SMVAE from a config entry {mix, c_dist, alpha[, kl, output_clamp]}."""
    return SMVAE(mix=spec["mix"], c_dist=spec.get("c_dist", "normal"), alpha=spec.get("alpha", 1.0),
                 kl=spec.get("kl", "closed_form"), output_clamp=spec.get("output_clamp", "eps"))
