"""VQ-VAE (van den Oord et al. 2017) as in the Keras example the thesis follows (seed_002.md §1.2, M5).

Encoder Conv(c1, 3, s2)-ReLU-Conv(c2, 3, s2)-ReLU-Conv(D, 1): a 28x28 digit becomes a 7x7xD grid z_e.
Each grid vector is replaced by its nearest codebook vector (K vectors of size D): z_q. The decoder
mirrors the encoder with transposed convolutions (linear output). Loss (thesis eq. 3.32):
MSE(x, x_hat) + ||sg[z_e] - z_q||^2 + beta ||z_e - sg[z_q]||^2, with the straight-through gradient
z_e + sg[z_q - z_e] at the decoder input.

Against codebook collapse (few codes used): the codebook is initialised from encoder outputs of the
first training batch (k-means), and codes unused for ``restart_every`` training steps are restarted at
random encoder outputs of the current batch. Both are logged in the buffers and reported.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .layers import at_least_float32


def kmeans(x: torch.Tensor, k: int, iters: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
    """Plain Lloyd k-means of the rows of ``x`` (N, D) -> (k, D); centres start at random rows."""
    n = x.shape[0]
    idx = (torch.randperm(n, generator=generator, device=x.device)[:k] if n >= k
           else torch.randint(n, (k,), generator=generator, device=x.device))
    centres = x[idx].clone()
    for _ in range(iters):
        assign = torch.cdist(x, centres).argmin(1)
        for j in range(k):
            members = x[assign == j]
            if len(members):
                centres[j] = members.mean(0)
    return centres


class VectorQuantizer(nn.Module):
    """Nearest-neighbour quantiser of a (B, D, H, W) grid onto a (K, D) codebook."""

    def __init__(self, codebook_size: int, dim: int, beta: float = 0.25, init: str = "kmeans",
                 restart_every: int = 0):
        super().__init__()
        self.codebook_size, self.dim, self.beta = codebook_size, dim, beta
        self.init, self.restart_every = init, restart_every
        self.codebook = nn.Parameter(torch.empty(codebook_size, dim))
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))
        self.register_buffer("steps_unused", torch.zeros(codebook_size, dtype=torch.long))
        self.register_buffer("n_restarts", torch.zeros((), dtype=torch.long))
        self.reset_parameters()

    def reset_parameters(self):
        # Keras example: uniform initialiser; replaced by data on the first training batch if init=kmeans.
        nn.init.uniform_(self.codebook, -1.0 / self.codebook_size, 1.0 / self.codebook_size)
        self.initialised.fill_(self.init != "kmeans")
        self.steps_unused.zero_()
        self.n_restarts.zero_()

    def indices(self, z_e: torch.Tensor) -> torch.Tensor:
        """(B, D, H, W) -> (B, H, W) index of the nearest codebook vector (distances in float32, also
        under bf16 autocast: a bf16 distance would pick a wrong code when two are close)."""
        flat = at_least_float32(z_e).permute(0, 2, 3, 1).reshape(-1, self.dim)
        with torch.autocast(flat.device.type, enabled=False):
            d = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.t()
                 + self.codebook.pow(2).sum(1)[None])
        return d.argmin(1).view(z_e.shape[0], z_e.shape[2], z_e.shape[3])

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, H, W) indices -> (B, D, H, W) codebook vectors."""
        return self.codebook[idx].permute(0, 3, 1, 2)

    @torch.no_grad()
    def _maintain(self, z_e: torch.Tensor, idx: torch.Tensor | None):
        flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, self.dim)
        if idx is None:  # first training batch: k-means init
            self.codebook.data.copy_(kmeans(flat, self.codebook_size))
            self.initialised.fill_(True)
            return
        used = torch.bincount(idx.flatten(), minlength=self.codebook_size) > 0
        self.steps_unused.add_(1).masked_fill_(used, 0)
        dead = (self.steps_unused >= self.restart_every).nonzero().flatten()
        if len(dead):
            pick = torch.randint(flat.shape[0], (len(dead),), device=flat.device)
            self.codebook.data[dead] = flat[pick]
            self.steps_unused[dead] = 0
            self.n_restarts.add_(len(dead))

    def forward(self, z_e: torch.Tensor):
        """Returns z_q with the straight-through gradient, the indices, codebook and commitment losses
        (the quantiser works in float32: a bf16 encoder output is converted first)."""
        z_e = at_least_float32(z_e)
        if self.training and not bool(self.initialised):
            self._maintain(z_e, None)
        idx = self.indices(z_e)
        z_q = self.lookup(idx)
        codebook_loss = F.mse_loss(z_q, z_e.detach())      # ||sg[z_e] - e||^2 moves the codebook
        commitment_loss = F.mse_loss(z_e, z_q.detach())    # ||z_e - sg[e]||^2 moves the encoder
        if self.training and self.restart_every:
            self._maintain(z_e, idx)
        z_st = z_e + (z_q - z_e).detach()                   # straight-through estimator
        return z_st, idx, codebook_loss, commitment_loss


def usage_stats(idx: torch.Tensor, codebook_size: int) -> dict:
    """Codebook usage (fraction of codes used at least once) and perplexity exp(H(code frequencies))."""
    counts = torch.bincount(idx.flatten(), minlength=codebook_size).double()
    p = counts / counts.sum()
    nz = p[p > 0]
    return {"codes_used": int((counts > 0).sum()), "usage": float((counts > 0).double().mean()),
            "perplexity": float(torch.exp(-(nz * nz.log()).sum()))}


class VQVAE(nn.Module):
    """One strided conv per entry of ``channels`` (two for MNIST: 28 -> 7; three for the C4 substitute:
    factor 8 like DALL-E) + 1x1 to D channels, quantiser, mirrored transposed-conv decoder."""

    def __init__(self, in_channels: int = 1, channels=(32, 64), embedding_dim: int = 16,
                 codebook_size: int = 64, beta: float = 0.25, init: str = "kmeans", restart_every: int = 0,
                 n_res: int = 0):
        super().__init__()
        chans = [in_channels, *channels]  # one stride-2 conv per entry: down-sampling 2 ** len(channels)
        enc = [m for a, b in zip(chans[:-1], chans[1:]) for m in (nn.Conv2d(a, b, 3, 2, 1), nn.ReLU())]
        c_last = chans[-1]
        enc += [m for _ in range(n_res) for m in (nn.Conv2d(c_last, c_last, 3, 1, 1), nn.ReLU())]
        self.encoder = nn.Sequential(*enc, nn.Conv2d(c_last, embedding_dim, 1))
        self.quantizer = VectorQuantizer(codebook_size, embedding_dim, beta, init, restart_every)
        dec = [nn.ConvTranspose2d(embedding_dim, c_last, 3, 2, 1, output_padding=1), nn.ReLU()]
        dec += [m for _ in range(n_res) for m in (nn.Conv2d(c_last, c_last, 3, 1, 1), nn.ReLU())]
        rev = chans[::-1]  # c_last ... c1, in_channels
        dec += [m for a, b in zip(rev[:-2], rev[1:-1]) for m in (nn.ConvTranspose2d(a, b, 3, 2, 1, output_padding=1),
                                                                 nn.ReLU())]
        self.decoder = nn.Sequential(*dec, nn.ConvTranspose2d(chans[1], in_channels, 3, 1, 1))
        self.beta = beta

    def encode(self, x):
        """x (B, C, H, W) in [0, 1] -> z_q (B, D, H/f, W/f) and the index grid (B, H/f, W/f), f = 2 ** len(channels)."""
        z_e = self.encoder(x)
        idx = self.quantizer.indices(z_e)
        return self.quantizer.lookup(idx), idx

    def decode(self, z_q):
        """Any (B, D, h, w) grid (quantised or not) -> image (linear output; clamp for display)."""
        return self.decoder(z_q)

    def loss_terms(self, x):
        z_e = self.encoder(x)
        z_st, idx, cb, commit = self.quantizer(z_e)
        x_hat = self.decoder(z_st)
        rec = F.mse_loss(x_hat, x)
        return {"loss": rec + cb + self.beta * commit, "mse": rec, "codebook": cb, "commitment": commit}


def build_vqvae(spec: dict) -> VQVAE:
    """Build from a config/model spec dict (keys as VQVAE's arguments)."""
    spec = dict(spec)
    if "channels" in spec:
        spec["channels"] = tuple(spec["channels"])
    return VQVAE(**spec)
