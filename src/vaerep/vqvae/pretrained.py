"""Study C4: which pretrained token model runs (the DALL-E dVAE from verified weights, or the pipeline's
substitute VQ-VAE), and one interface for both (``encode`` -> (grid, indices), ``decode`` grid -> image,
``quantizer.codebook_size``), so the figure and metric code of C3 runs on either unchanged."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F

from ..data.mnist import sha256
from ..errors import PipelineError
from ..initialisation import init_parameters
from ..models import dalle_dvae
from ..models.vqvae import build_vqvae
from ..train import load_model

PARTS = ("encoder", "decoder")
SUBSTITUTE_LABEL = "substitute (pipeline-trained VQ-VAE, not DALL-E)"
DALLE_LABEL = "DALL-E dVAE (published weights, SHA-256 verified)"


def model_label(source: str) -> str:
    """The label every C4 figure title and table carries."""
    return DALLE_LABEL if source == "dalle" else SUBSTITUTE_LABEL


def _candidates(cfg: dict, cache_dir: Path, env) -> list[tuple[str, dict]]:
    """(where, {part: path or URL}) in the order tried: config folder, environment variable, the download
    cache, the published URLs."""
    out = []
    if cfg.get("local_dir"):
        out.append((f"config local_dir {cfg['local_dir']}", {p: str(Path(cfg["local_dir"]) / f"{p}.pkl") for p in PARTS}))
    var = cfg.get("env_var")
    if var and env.get(var):
        out.append((f"${var}={env[var]}", {p: str(Path(env[var]) / f"{p}.pkl") for p in PARTS}))
    out.append((f"download cache {cache_dir}", {p: str(cache_dir / f"{p}.pkl") for p in PARTS}))
    if cfg.get("allow_download"):
        out.append(("published URLs", dict(cfg["urls"])))
    return out


def _verify(where: str, files: dict, cfg: dict, cache_dir: Path) -> dict:
    """{part: {path, sha256}} once every part is present (downloaded if a URL) with the configured hash."""
    out = {}
    for part in PARTS:
        expected = (cfg.get("sha256") or {}).get(part)
        src = files[part]
        if not expected:
            found = (f"; {src} has SHA-256 {sha256(Path(src))}: compare it with a trusted copy's and set "
                     f"vqvae.pretrained.dalle.sha256.{part}") if Path(src).is_file() else ""
            raise PipelineError(f"no SHA-256 configured for the {part}: an unverified pickle is never loaded{found}")
        if not src.startswith(("http://", "https://")) and not Path(src).is_file():
            raise PipelineError(f"{src} does not exist")
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(cfg.get("download_timeout_s", 30))
        try:
            path = dalle_dvae.fetch(src, cache_dir)
        finally:
            socket.setdefaulttimeout(old)
        actual = sha256(path)
        if actual != expected.lower():
            raise PipelineError(f"{path} has SHA-256 {actual}, config expects {expected}")
        out[part] = {"path": str(path), "sha256": actual}
    return out


def resolve_source(cfg: dict, cache_dir, env=None) -> dict:
    """Decide which model C4 runs. ``cfg`` = the ``pretrained`` config section. ``source: substitute``
    skips DALL-E; ``dalle`` fails with every reason when no verified weights are found; ``auto`` falls
    back to the substitute and records why."""
    env = os.environ if env is None else env
    source, dcfg, cache_dir = cfg["source"], cfg["dalle"], Path(cache_dir)
    if source == "substitute":
        return {"source": "substitute", "label": SUBSTITUTE_LABEL, "reason": "config sets source: substitute",
                "attempts": []}
    attempts = []
    for where, files in _candidates(dcfg, cache_dir, env):
        try:
            weights = _verify(where, files, dcfg, cache_dir)
        except PipelineError as err:
            attempts.append(f"{where}: {err}")
            continue
        return {"source": "dalle", "label": DALLE_LABEL, "reason": f"verified weights found ({where})",
                "attempts": attempts, "weights": weights}
    if source == "dalle":
        raise PipelineError("source: dalle, but no verified DALL-E dVAE weights: " + "; ".join(attempts))
    return {"source": "substitute", "label": SUBSTITUTE_LABEL, "attempts": attempts,
            "reason": "source: auto and no verified DALL-E weights were available (" + "; ".join(attempts) + ")"}


class _TokenCodebook:
    """The quantiser interface of :class:`vaerep.models.vqvae.VectorQuantizer` for one-hot tokens."""

    def __init__(self, k: int):
        self.codebook_size = k

    def indices(self, z: torch.Tensor) -> torch.Tensor:
        return z.argmax(1)

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        return F.one_hot(idx, self.codebook_size).permute(0, 3, 1, 2).float()


class DalleTokenModel(nn.Module):
    """The DALL-E dVAE behind the VQ-VAE interface: the latent grid is the one-hot token grid
    (B, 8192, 32, 32), so manipulations (rotation, shift, transplant, -z) act on it before decoding."""

    def __init__(self, encoder: dalle_dvae.Encoder, decoder: dalle_dvae.Decoder):
        super().__init__()
        self.encoder, self.decoder = encoder.eval(), decoder.eval()
        self.quantizer = _TokenCodebook(decoder.vocab_size)

    @torch.no_grad()
    def encode(self, x):
        idx = dalle_dvae.tokens(self.encoder, x)
        return self.quantizer.lookup(idx), idx

    @torch.no_grad()
    def decode(self, z):
        return dalle_dvae.decode_grid(self.decoder, z)


def dalle_null_model(arch: dict, seed: int) -> DalleTokenModel:
    """C4's null control when DALL-E runs: the dVAE architecture ``arch`` (n_hid, n_blk_per_group, vocab_size,
    n_init) at its seeded initialisation. No weight file is opened."""
    enc = dalle_dvae.Encoder(n_hid=arch["n_hid"], n_blk_per_group=arch["n_blk_per_group"],
                             vocab_size=arch["vocab_size"])
    dec = dalle_dvae.Decoder(n_init=arch["n_init"], n_hid=arch["n_hid"], n_blk_per_group=arch["n_blk_per_group"],
                             vocab_size=arch["vocab_size"])
    init_parameters(enc, seed)
    init_parameters(dec, seed + 1)
    return DalleTokenModel(enc, dec)


def load_token_model(info: dict, substitute_model=None, null: dict | None = None) -> nn.Module:
    """The model that ``resolve_source`` chose: DALL-E through the verified loader, or the trained substitute.
    ``null`` ({architecture, seed}): the null control, so DALL-E is :func:`dalle_null_model`, never its
    weights (the substitute's null is its seeded initialisation, given as ``substitute_model``)."""
    if info["source"] == "dalle" and null is not None:
        return dalle_null_model(null["architecture"], null["seed"])
    if info["source"] == "dalle":
        w = info["weights"]
        return DalleTokenModel(dalle_dvae.load_verified(w["encoder"]["path"], w["encoder"]["sha256"], "encoder"),
                               dalle_dvae.load_verified(w["decoder"]["path"], w["decoder"]["sha256"], "decoder"))
    if substitute_model is None:
        raise PipelineError("C4 runs the substitute but no substitute model file was given")
    return load_model(substitute_model, build_vqvae)


def figure_photos(photos_cfg: dict) -> dict:
    """Role -> (name, float (3, size, size) photo) for roles a, b and the transplant source."""
    from ..data.photos import square_photo

    return {role: (photos_cfg[role], square_photo(photos_cfg[role], photos_cfg["size"]))
            for role in ("a", "b", "transplant_source")}
