"""The convolutional beta-VAE of Study B (seed_003.md §1.2-1.3, Keras summaries of Figs 2.2-2.3).

Encoder: 3 x [Conv 3x3 stride 2 'same' -> BN -> LeakyReLU -> Dropout] (32, 64, 128 filters), flatten,
Dense 256 -> BN -> LeakyReLU -> Dropout, then Dense heads mu and log sigma^2 (latent 16).
Decoder: Dense 8192 (+activation) -> reshape 128 x 8 x 8 -> 3 x [ConvT 3x3 stride 2 (+activation) -> BN]
(128, 64, 32) -> ConvT 1 (3x3 stride 1, no bias) -> logits. The Keras decoder summary has no separate
activation layers, so the activation sits inside the Dense/ConvT layers, i.e. before each BN.

Parameter counts follow Keras's convention (BN moving mean/variance included): encoder 2,200,224,
decoder 380,288 (see :func:`keras_param_count`).
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .kl import kl_std_normal
from .layers import at_least_float32, bce_with_logits_sum

THESIS_PARAMS = {"encoder": 2_200_224, "decoder": 380_288}
# How the logged/optimised loss terms are reduced (Table 2.3's unknown unit); see vaerep.forensics.units.
LOSS_CONVENTIONS = ("image_sum", "batch_sum", "row_mean_x4096", "pixel_x4096_sum", "keras_clipped_linear")
KERAS_EPS = 1e-7  # keras.backend.epsilon(): probabilities clipped into [eps, 1 - eps], and eps added in the logs


class Encoder(nn.Module):
    def __init__(self, filters=(32, 64, 128), dense=256, latent_dim=16, dropout=0.1, negative_slope=0.3):
        super().__init__()
        layers, c_in = [], 1
        for c_out in filters:
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(negative_slope), nn.Dropout(dropout)]
            c_in = c_out
        side = 64 // 2 ** len(filters)
        layers += [nn.Flatten(), nn.Linear(c_in * side * side, dense), nn.BatchNorm1d(dense),
                   nn.LeakyReLU(negative_slope), nn.Dropout(dropout)]
        self.body = nn.Sequential(*layers)
        self.mu = nn.Linear(dense, latent_dim)
        self.logvar = nn.Linear(dense, latent_dim)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, filters=(128, 64, 32), latent_dim=16, negative_slope=0.3):
        super().__init__()
        self.side = 64 // 2 ** len(filters)
        self.c0 = filters[0]
        self.dense = nn.Sequential(nn.Linear(latent_dim, self.c0 * self.side * self.side), nn.LeakyReLU(negative_slope))
        layers, c_in = [], self.c0
        for c_out in filters:
            layers += [nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1),
                       nn.LeakyReLU(negative_slope), nn.BatchNorm2d(c_out)]
            c_in = c_out
        layers.append(nn.ConvTranspose2d(c_in, 1, 3, stride=1, padding=1, bias=False))
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(self.dense(z).view(-1, self.c0, self.side, self.side))


class BetaVAE(nn.Module):
    """beta-VAE with a Bernoulli likelihood on logits. ``loss_terms`` returns per-image batch means:
    'rec' = BCE summed over the 4096 pixels, 'kl' = KL summed over the latent dimensions,
    'loss' = rec + beta * kl. Another ``loss_convention`` (LOSS_CONVENTIONS) reduces the terms as a
    Keras script might have (the forensics hypothesis runs)."""

    def __init__(self, beta: float = 1.0, latent_dim: int = 16, dropout: float = 0.1, negative_slope: float = 0.3,
                 filters=(32, 64, 128), dense: int = 256, loss_convention: str = "image_sum"):
        super().__init__()
        if loss_convention not in LOSS_CONVENTIONS:
            raise ValueError(f"unknown loss_convention '{loss_convention}': choose one of {LOSS_CONVENTIONS}")
        self.loss_convention = loss_convention
        self.beta = float(beta)
        self.latent_dim = latent_dim
        self.encoder = Encoder(tuple(filters), dense, latent_dim, dropout, negative_slope)
        self.decoder = Decoder(tuple(reversed(filters)), latent_dim, negative_slope)

    def encode(self, x):
        return self.encoder(x)

    def decode_logits(self, z):
        return self.decoder(z)

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        rec, kl = self._reduce(self.decode_logits(z), x, kl_std_normal(mu, logvar).sum(1))
        return {"loss": rec + self.beta * kl, "rec": rec, "kl": kl}

    def _reduce(self, out: torch.Tensor, x: torch.Tensor, kl_img: torch.Tensor):
        """(rec, kl) of a batch under the model's loss convention (``out``: decoder output (B, 1, 64, 64))."""
        conv = self.loss_convention
        out = at_least_float32(out)  # the per-pixel terms and their sums in float32, also under bf16 autocast
        if conv == "keras_clipped_linear":  # decoder output used as a probability, Keras-clipped
            p = out.clamp(KERAS_EPS, 1 - KERAS_EPS)
            bce = -(x * torch.log(p + KERAS_EPS) + (1 - x) * torch.log(1 - p + KERAS_EPS))
            return bce.flatten(1).sum(1).mean(), kl_img.mean()
        if conv == "row_mean_x4096":  # mean over the last image axis x 4096, summed over the other axis
            bce = F.binary_cross_entropy_with_logits(out, x, reduction="none")
            return (bce.mean(-1).flatten(1).sum(1) * x[0].numel()).mean(), kl_img.mean()
        if conv == "pixel_x4096_sum":  # per-pixel BCE x 4096, summed over the pixels
            return bce_with_logits_sum(out, x).mean() * x[0].numel(), kl_img.mean()
        rec_img = bce_with_logits_sum(out, x)
        if conv == "batch_sum":
            return rec_img.sum(), kl_img.sum()
        return rec_img.mean(), kl_img.mean()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Mean reconstruction (sigmoid of the decoder at z = mu), same shape as x."""
        return torch.sigmoid(self.decode_logits(self.encode(x)[0]))


def build_beta_vae(spec: dict) -> BetaVAE:
    """A BetaVAE from a model spec {beta, latent_dim, dropout, negative_slope, filters, dense}."""
    return BetaVAE(**spec)


def keras_param_count(module: nn.Module) -> int:
    """Parameters as Keras counts them: trainable weights plus BatchNorm moving mean and variance."""
    n = sum(p.numel() for p in module.parameters())
    n += sum(b.numel() for name, b in module.named_buffers() if name.endswith(("running_mean", "running_var")))
    return n


def param_counts(model: BetaVAE) -> dict[str, int]:
    """Keras-convention and trainable-only parameter counts of encoder and decoder."""
    return {"encoder": keras_param_count(model.encoder), "decoder": keras_param_count(model.decoder),
            "encoder_trainable": sum(p.numel() for p in model.encoder.parameters()),
            "decoder_trainable": sum(p.numel() for p in model.decoder.parameters())}


def to_float(imgs: torch.Tensor) -> torch.Tensor:
    """uint8 0/1 images (B, 64, 64) -> float (B, 1, 64, 64) (the ``prepare`` of the training loop)."""
    return imgs.unsqueeze(1).float()
