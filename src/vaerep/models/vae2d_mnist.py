"""Study C1: the thesis's four MNIST VAEs with a 2-D latent (seed_002.md §1.2, M1-M4) and the collapse run.

Shared trunk (the Keras VAE example): Conv(1->c1, 3, s2) - ReLU - Conv(c1->c2, 3, s2) - ReLU, 28 -> 14 -> 7.
The two heads differ at the encoder output and the decoder input (thesis 5.1.1):

- ``fc``: Flatten (7*7*c2) -> Dense(hidden) - ReLU -> Dense mu, Dense log sigma^2 (2 each); decoder
  Dense(2 -> 7*7*c2) - ReLU -> reshape. Exactly the Keras example (hidden = 16).
- ``conv``: Conv(c2 -> 2*z_dim, 3, same) and the global mean over the 7x7 map -> (mu, log sigma^2);
  decoder ConvTranspose(z_dim -> c2, 7) from the 1x1 latent to the 7x7 map - ReLU. No dense layer.

Decoder body: ConvT(c2->c2, 3, s2) - ReLU - ConvT(c2->c1, 3, s2) - ReLU - ConvT(c1->1, 3, s1) - sigmoid.

Reconstruction term per image (``recon``): ``bce`` = Bernoulli NLL summed over the 784 pixels;
``mse_sum`` = squared error summed over the pixels (= 784 x the per-pixel-mean MSE: the re-weighted
"regularised" MSE); ``mse_mean`` = per-pixel-mean MSE (the un-weighted MSE that collapses the posterior).
Objective: rec + KL(q(z|x) || N(0, I)) summed over the latent dims, one posterior sample.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import PipelineError
from .kl import kl_std_normal
from .layers import at_least_float32, bce_with_logits_sum

HEADS = ("fc", "conv")
RECONS = ("bce", "mse_sum", "mse_mean")
N_PIXELS = 28 * 28


def recon_error(logits: torch.Tensor, x: torch.Tensor, recon: str) -> torch.Tensor:
    """Per-image reconstruction term of the objective for decoder logits and targets (B, 1, 28, 28),
    summed in float32 (also under bf16 autocast)."""
    logits = at_least_float32(logits)
    if recon == "bce":
        return bce_with_logits_sum(logits, x)
    sq = (torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1)
    return sq if recon == "mse_sum" else sq / N_PIXELS


class MnistVAE2D(nn.Module):
    """VAE on (B, 1, 28, 28) images in [0, 1]; ``head`` in HEADS, ``recon`` in RECONS."""

    def __init__(self, head: str = "fc", recon: str = "bce", z_dim: int = 2, channels=(32, 64), hidden: int = 16):
        super().__init__()
        if head not in HEADS:
            raise PipelineError(f"unknown head '{head}': choose one of {HEADS}")
        if recon not in RECONS:
            raise PipelineError(f"unknown reconstruction loss '{recon}': choose one of {RECONS}")
        c1, c2 = channels
        self.head, self.recon, self.z_dim, self.c2 = head, recon, int(z_dim), c2
        self.trunk = nn.Sequential(nn.Conv2d(1, c1, 3, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 3, 2, 1), nn.ReLU())
        if head == "fc":
            self.enc_head = nn.Sequential(nn.Flatten(), nn.Linear(7 * 7 * c2, hidden), nn.ReLU(),
                                          nn.Linear(hidden, 2 * z_dim))
            self.dec_head = nn.Sequential(nn.Linear(z_dim, 7 * 7 * c2), nn.ReLU())
        else:
            self.enc_head = nn.Conv2d(c2, 2 * z_dim, 3, 1, 1)
            self.dec_head = nn.Sequential(nn.ConvTranspose2d(z_dim, c2, 7), nn.ReLU())
        self.body = nn.Sequential(
            nn.ConvTranspose2d(c2, c2, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c2, c1, 3, 2, 1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 3, 1, 1))

    def param_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def encode(self, x: torch.Tensor):
        """(mu, logvar), each (B, z_dim)."""
        h = self.enc_head(self.trunk(x.reshape(-1, 1, 28, 28)))
        if self.head == "conv":
            h = h.mean((2, 3))
        return h[:, :self.z_dim], h[:, self.z_dim:]

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Pre-sigmoid outputs (B, 1, 28, 28)."""
        if self.head == "fc":
            h = self.dec_head(z).reshape(-1, self.c2, 7, 7)
        else:
            h = self.dec_head(z.reshape(-1, self.z_dim, 1, 1))
        return self.body(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel means (B, 1, 28, 28) in [0, 1] (sigmoid output)."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Batch means: ``loss`` = ``neg_elbo`` = rec + KL (the objective, ``rec`` in the model's own
        units), ``kl`` (summed over dims), ``kl_z<i>`` per dim, and for comparison across models
        ``bce`` (summed over pixels) and ``mse`` (per pixel)."""
        x = x.reshape(-1, 1, 28, 28)
        return self.terms_given(x, *self.encode(x))

    def terms_given(self, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> dict[str, torch.Tensor]:
        """``loss_terms`` of images x (B, 1, 28, 28) whose posterior (mu, logvar) is already encoded."""
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.decode_logits(z)
        rec = recon_error(logits, x, self.recon).mean()
        kl_dims = kl_std_normal(mu, logvar).mean(0)
        kl = kl_dims.sum()
        out = {"loss": rec + kl, "neg_elbo": rec + kl, "rec": rec, "kl": kl}
        out.update({f"kl_z{i + 1}": kl_dims[i] for i in range(self.z_dim)})
        with torch.no_grad():
            out["bce"] = bce_with_logits_sum(logits, x).mean()
            out["mse"] = (torch.sigmoid(at_least_float32(logits)) - x).pow(2).mean()
        return out


def build_vae2d(spec: dict) -> MnistVAE2D:
    """Build from a model spec (keys: head, recon, z_dim, channels, hidden)."""
    known = {"head", "recon", "z_dim", "channels", "hidden"}
    unknown = set(spec) - known
    if unknown:
        raise PipelineError(f"unknown 2-D VAE spec keys {sorted(unknown)}; known: {sorted(known)}")
    return MnistVAE2D(**spec)
