"""Random-code null control of C2/C3: the trained VQ-VAE's codebook and decoder fed uniformly random code
indices instead of its encoder's, so the code carries nothing about the input image."""

from __future__ import annotations

import torch
from torch import nn


class RandomCode(nn.Module):
    """``model`` (a VQVAE) with its encoder replaced: ``encode(x)`` returns codebook vectors of seeded uniformly
    random indices on the grid the encoder would give; ``decode`` is the trained decoder."""

    def __init__(self, model: nn.Module, seed: int):
        super().__init__()
        self.model, self.seed, self.quantizer = model, seed, model.quantizer

    @torch.no_grad()
    def encode(self, x):
        _, idx = self.model.encode(x)
        gen = torch.Generator().manual_seed(self.seed)
        rand = torch.randint(0, self.quantizer.codebook_size, idx.shape, generator=gen).to(idx.device)
        return self.quantizer.lookup(rand), rand

    def decode(self, z_q):
        return self.model.decode(z_q)
