"""Study D's convolutional VAE with a 2-D latent (seed_004.md §2.4–2.6; Foster's GDL `VariationalAutoencoder`).

Encoder: Conv 32/64/64/64 (3x3, strides 1/2/2/1, same padding, LeakyReLU) -> Flatten (3136) -> Dense
mu and Dense log sigma^2 (2 each). Decoder: Dense 3136 -> 7x7x64 -> ConvT 64/64/32/1 (3x3, strides
1/2/2/1, LeakyReLU between, no activation after the last) giving logits; the sigmoid of the logits is
the Bernoulli mean. Shapes 7 -> 7 -> 14 -> 28 -> 28 (``output_padding=1`` on the stride-2 layers).

Loss per image: BCE summed over the 784 pixels + ``kl_weight`` * KL summed over the latent dims.
``kl_weight = 1`` is the canonical ELBO; ``kl_weight = 0.5`` is what the thesis's printed train_step
(unreduced KL, seed_004.md §2.6) optimises.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import PipelineError
from .kl import kl_std_normal
from .layers import bce_with_logits_sum

ENC_FILTERS, ENC_STRIDES = (32, 64, 64, 64), (1, 2, 2, 1)
DEC_FILTERS, DEC_STRIDES = (64, 64, 32, 1), (1, 2, 2, 1)


def _keras_init(module: nn.Module) -> None:
    """Keras defaults: Glorot-uniform kernels, zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


class ConvVAE2D(nn.Module):
    """Conv VAE on (B, 1, 28, 28) images in [0, 1] with a ``z_dim``-dimensional Gaussian latent."""

    def __init__(self, z_dim: int = 2, kl_weight: float = 1.0, negative_slope: float = 0.3,
                 init: str = "keras"):
        super().__init__()
        if kl_weight < 0:
            raise PipelineError(f"kl_weight must be >= 0, got {kl_weight}")
        if init not in ("keras", "torch"):
            raise PipelineError(f"unknown init '{init}': choose keras or torch")
        self.z_dim, self.kl_weight = int(z_dim), float(kl_weight)
        act = lambda: nn.LeakyReLU(negative_slope)  # noqa: E731
        layers, c_in = [], 1
        for c_out, s in zip(ENC_FILTERS, ENC_STRIDES):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=s, padding=1), act()]
            c_in = c_out
        self.encoder_conv = nn.Sequential(*layers, nn.Flatten())
        self.mu = nn.Linear(7 * 7 * 64, z_dim)
        self.logvar = nn.Linear(7 * 7 * 64, z_dim)
        self.decoder_dense = nn.Linear(z_dim, 7 * 7 * 64)
        layers, c_in = [], 64
        for i, (c_out, s) in enumerate(zip(DEC_FILTERS, DEC_STRIDES)):
            layers.append(nn.ConvTranspose2d(c_in, c_out, 3, stride=s, padding=1, output_padding=s - 1))
            if i < len(DEC_FILTERS) - 1:
                layers.append(act())
            c_in = c_out
        self.decoder_conv = nn.Sequential(*layers)
        if init == "keras":
            _keras_init(self)

    # -- parts ------------------------------------------------------------------------------
    def encoder_modules(self) -> list[nn.Module]:
        return [self.encoder_conv, self.mu, self.logvar]

    def decoder_modules(self) -> list[nn.Module]:
        return [self.decoder_dense, self.decoder_conv]

    def param_counts(self) -> dict[str, int]:
        count = lambda mods: sum(p.numel() for m in mods for p in m.parameters())  # noqa: E731
        enc, dec = count(self.encoder_modules()), count(self.decoder_modules())
        return {"encoder": enc, "decoder": dec, "total": enc + dec}

    @staticmethod
    def _as_image(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, 1, 28, 28)

    def encode(self, x: torch.Tensor):
        """(mu, logvar), each (B, z_dim)."""
        h = self.encoder_conv(self._as_image(x))
        return self.mu(h), self.logvar(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits (B, 1, 28, 28)."""
        return self.decoder_conv(self.decoder_dense(z).reshape(-1, 64, 7, 7))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel means (B, 1, 28, 28) in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, _ = self.encode(x)
        return self.decode(mu)

    def per_image_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-image reconstruction (summed BCE) and KL (summed over latent dims), one posterior sample."""
        x = self._as_image(x)
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = bce_with_logits_sum(self.decode_logits(z), x)
        kl = kl_std_normal(mu, logvar).sum(1)
        return {"rec": rec, "kl": kl}

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Batch means: ``loss`` = rec + kl_weight * kl (the objective), ``neg_elbo`` = rec + kl,
        ``rec``, ``kl`` (per image, summed over dims) and ``kl_per_dim`` (what an unreduced
        Keras tracker would log)."""
        t = self.per_image_terms(x)
        rec, kl = t["rec"].mean(), t["kl"].mean()
        return {"loss": rec + self.kl_weight * kl, "neg_elbo": rec + kl, "rec": rec, "kl": kl,
                "kl_per_dim": kl / self.z_dim}


def build_conv2d_vae(spec: dict) -> ConvVAE2D:
    """Build from a model spec (keys: z_dim, kl_weight, negative_slope, init; all optional)."""
    known = {"z_dim", "kl_weight", "negative_slope", "init"}
    unknown = set(spec) - known
    if unknown:
        raise PipelineError(f"unknown conv2d VAE spec keys {sorted(unknown)}; known: {sorted(known)}")
    return ConvVAE2D(**spec)


def to_float(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) MNIST images -> float (B, 1, 28, 28) in [0, 1] (x / 255, no binarisation)."""
    return pixels.float().div_(255.0).unsqueeze(1)
