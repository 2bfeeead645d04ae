"""The DALL-E discrete VAE (Ramesh et al. 2021; github.com/openai/DALL-E, package ``dall_e``),
re-implemented with the same module structure and parameter names (``blocks.group_1.block_1.res_path.conv_1.w``
...), so that the official weights load into it with ``load_state_dict(strict=True)``.

Encoder: 256x256x3 -> 8192 logits on a 32x32 grid (three 2x max-pools); decoder: one-hot 32x32x8192 ->
6 channels of which the first 3, through a sigmoid and ``unmap_pixels``, are the image.

The published weights (https://cdn.openai.com/dall-e/encoder.pkl, decoder.pkl) are *pickles*: unpickling
runs code, so :func:`load_verified` checks a file's SHA-256 against an expected value from config before it
unpickles anything, and refuses when no expected value is configured.
"""

from __future__ import annotations

import math
import sys
import urllib.request
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F

from ..data.mnist import sha256
from ..errors import PipelineError

LOGIT_LAPLACE_EPS = 0.1
URLS = {"encoder": "https://cdn.openai.com/dall-e/encoder.pkl",
        "decoder": "https://cdn.openai.com/dall-e/decoder.pkl"}


def map_pixels(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] pixels -> the encoder's input range (as dall_e.utils.map_pixels)."""
    return (1 - 2 * LOGIT_LAPLACE_EPS) * x + LOGIT_LAPLACE_EPS


def unmap_pixels(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp((x - LOGIT_LAPLACE_EPS) / (1 - 2 * LOGIT_LAPLACE_EPS), 0, 1)


class Conv2d(nn.Module):
    """dall_e.utils.Conv2d: parameters ``w`` (out, in, k, k) and ``b``, 'same' padding."""

    def __init__(self, n_in: int, n_out: int, kw: int):
        super().__init__()
        self.n_in, self.n_out, self.kw = n_in, n_out, kw
        self.w = nn.Parameter(torch.empty(n_out, n_in, kw, kw))
        self.b = nn.Parameter(torch.zeros(n_out))
        self.reset_parameters()

    def reset_parameters(self):
        with torch.no_grad():
            self.w.normal_(std=1 / math.sqrt(self.n_in * self.kw ** 2))
            self.b.zero_()

    def forward(self, x):
        return F.conv2d(x.float(), self.w, self.b, padding=(self.kw - 1) // 2)


class _ResBlock(nn.Module):
    """The residual block shared by dall_e's encoder and decoder; they differ only in kernel sizes."""

    kernels: tuple = (3, 3, 3, 1)

    def __init__(self, n_in: int, n_out: int, n_layers: int):
        super().__init__()
        self.n_in, self.n_out, self.n_layers = n_in, n_out, n_layers
        self.n_hid = n_out // 4
        self.post_gain = 1 / (n_layers ** 2)
        self.id_path = Conv2d(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        k1, k2, k3, k4 = self.kernels
        self.res_path = nn.Sequential(OrderedDict([
            ("relu_1", nn.ReLU()), ("conv_1", Conv2d(n_in, self.n_hid, k1)),
            ("relu_2", nn.ReLU()), ("conv_2", Conv2d(self.n_hid, self.n_hid, k2)),
            ("relu_3", nn.ReLU()), ("conv_3", Conv2d(self.n_hid, self.n_hid, k3)),
            ("relu_4", nn.ReLU()), ("conv_4", Conv2d(self.n_hid, n_out, k4))]))

    def forward(self, x):
        return self.id_path(x) + self.post_gain * self.res_path(x)


class EncoderBlock(_ResBlock):
    kernels = (3, 3, 3, 1)


class DecoderBlock(_ResBlock):
    kernels = (1, 3, 3, 3)


class Encoder(nn.Module):
    """dall_e.encoder.Encoder (defaults = the published model: n_hid 256, 2 blocks per group, 8192 tokens)."""

    group_count = 4

    def __init__(self, n_hid: int = 256, n_blk_per_group: int = 2, input_channels: int = 3, vocab_size: int = 8192):
        super().__init__()
        self.n_hid, self.n_blk_per_group = n_hid, n_blk_per_group
        self.input_channels, self.vocab_size = input_channels, vocab_size
        n_layers = self.group_count * n_blk_per_group
        widths = [n_hid, n_hid, 2 * n_hid, 4 * n_hid, 8 * n_hid]
        groups = [("input", Conv2d(input_channels, n_hid, 7))]
        for g in range(1, 5):
            blocks = [(f"block_{i + 1}", EncoderBlock(widths[g - 1] if i == 0 else widths[g], widths[g], n_layers))
                      for i in range(n_blk_per_group)]
            if g < 4:
                blocks.append(("pool", nn.MaxPool2d(kernel_size=2)))
            groups.append((f"group_{g}", nn.Sequential(OrderedDict(blocks))))
        groups.append(("output", nn.Sequential(OrderedDict([("relu", nn.ReLU()),
                                                            ("conv", Conv2d(8 * n_hid, vocab_size, 1))]))))
        self.blocks = nn.Sequential(OrderedDict(groups))

    def forward(self, x):
        """``map_pixels``-ed images (B, 3, H, W) -> token logits (B, vocab, H/8, W/8)."""
        if x.ndim != 4 or x.shape[1] != self.input_channels:
            raise PipelineError(f"encoder input must be (B, {self.input_channels}, H, W), got {tuple(x.shape)}")
        return self.blocks(x.float())


class Decoder(nn.Module):
    """dall_e.decoder.Decoder (defaults = the published model: n_init 128, n_hid 256, 8192 tokens)."""

    group_count = 4

    def __init__(self, n_init: int = 128, n_hid: int = 256, n_blk_per_group: int = 2, output_channels: int = 3,
                 vocab_size: int = 8192):
        super().__init__()
        self.n_init, self.n_hid, self.n_blk_per_group = n_init, n_hid, n_blk_per_group
        self.output_channels, self.vocab_size = output_channels, vocab_size
        n_layers = self.group_count * n_blk_per_group
        widths = [n_init, 8 * n_hid, 4 * n_hid, 2 * n_hid, n_hid]
        groups = [("input", Conv2d(vocab_size, n_init, 1))]
        for g in range(1, 5):
            blocks = [(f"block_{i + 1}", DecoderBlock(widths[g - 1] if i == 0 else widths[g], widths[g], n_layers))
                      for i in range(n_blk_per_group)]
            if g < 4:
                blocks.append(("upsample", nn.Upsample(scale_factor=2, mode="nearest")))
            groups.append((f"group_{g}", nn.Sequential(OrderedDict(blocks))))
        groups.append(("output", nn.Sequential(OrderedDict([("relu", nn.ReLU()),
                                                            ("conv", Conv2d(n_hid, 2 * output_channels, 1))]))))
        self.blocks = nn.Sequential(OrderedDict(groups))

    def forward(self, z):
        """One-hot tokens (B, vocab, h, w) -> statistics (B, 2 x channels, 8h, 8w)."""
        if z.ndim != 4 or z.shape[1] != self.vocab_size:
            raise PipelineError(f"decoder input must be (B, {self.vocab_size}, h, w), got {tuple(z.shape)}")
        return self.blocks(z.float())


@torch.no_grad()
def tokens(encoder: Encoder, x01: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] -> token grid (B, H/8, W/8) (argmax of the logits)."""
    return encoder(map_pixels(x01)).argmax(1)


@torch.no_grad()
def decode_tokens(decoder: Decoder, idx: torch.Tensor) -> torch.Tensor:
    """Token grid (B, h, w) -> images in [0, 1]."""
    return decode_grid(decoder, F.one_hot(idx, decoder.vocab_size).permute(0, 3, 1, 2).float())


@torch.no_grad()
def decode_grid(decoder: Decoder, z: torch.Tensor) -> torch.Tensor:
    """Any (B, vocab, h, w) grid (one-hot tokens or a manipulation of them) -> images in [0, 1]."""
    return unmap_pixels(torch.sigmoid(decoder(z)[:, :decoder.output_channels]))


def fetch(source: str, cache_dir: Path | str) -> Path:
    """A local path as is; an http(s) URL downloaded once into ``cache_dir``."""
    if not source.startswith(("http://", "https://")):
        path = Path(source)
        if not path.is_file():
            raise PipelineError(f"dVAE weight file '{path}' does not exist")
        return path
    path = Path(cache_dir) / source.rsplit("/", 1)[-1]
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            urllib.request.urlretrieve(source, path.with_suffix(".part"))
        except Exception as err:  # network errors come in many types
            raise PipelineError(f"could not download the dVAE weights from {source} ({err.__class__.__name__}: "
                                f"{err}); give a local path instead") from None
        path.with_suffix(".part").rename(path)
    return path


def _infer_encoder(sd: dict) -> dict:
    return {"n_hid": sd["blocks.input.w"].shape[0], "input_channels": sd["blocks.input.w"].shape[1],
            "vocab_size": sd["blocks.output.conv.w"].shape[0],
            "n_blk_per_group": len({k.split(".")[2] for k in sd if k.startswith("blocks.group_1.block_")})}


def _infer_decoder(sd: dict) -> dict:
    return {"n_init": sd["blocks.input.w"].shape[0], "vocab_size": sd["blocks.input.w"].shape[1],
            "n_hid": sd["blocks.output.conv.w"].shape[1], "output_channels": sd["blocks.output.conv.w"].shape[0] // 2,
            "n_blk_per_group": len({k.split(".")[2] for k in sd if k.startswith("blocks.group_1.block_")})}


def load_verified(source: str, expected_sha256: str | None, kind: str, cache_dir: Path | str = "data/dalle"):
    """Load the encoder or decoder (``kind``) from a URL or path, only after its SHA-256 matches
    ``expected_sha256``. Accepts the official pickled modules (the ``dall_e`` classes are resolved to the
    ones here) or a plain state dict; returns a module of this file's class in eval mode."""
    if kind not in ("encoder", "decoder"):
        raise PipelineError(f"unknown dVAE part '{kind}' (encoder or decoder)")
    if not expected_sha256:
        raise PipelineError(f"no expected SHA-256 is configured for the dVAE {kind} ({source}): refusing to "
                            "unpickle an unverified file. Put the file's hash in config to use it.")
    path = fetch(source, cache_dir)
    actual = sha256(path)
    if actual != expected_sha256.lower():
        raise PipelineError(f"dVAE {kind} file '{path}' has SHA-256 {actual}, config expects {expected_sha256}: "
                            "refusing to unpickle it")
    this = sys.modules[__name__]
    aliases = {name: this for name in ("dall_e", "dall_e.encoder", "dall_e.decoder", "dall_e.utils")}
    saved = {name: sys.modules.get(name) for name in aliases}
    sys.modules.update(aliases)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)  # verified above
    except Exception as err:
        raise PipelineError(f"dVAE {kind} file '{path}' could not be loaded ({err.__class__.__name__}: {err})") from None
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    sd = obj.state_dict() if isinstance(obj, nn.Module) else obj
    if not isinstance(sd, dict) or "blocks.input.w" not in sd:
        raise PipelineError(f"dVAE {kind} file '{path}' is neither a dall_e module nor its state dict")
    model = Encoder(**_infer_encoder(sd)) if kind == "encoder" else Decoder(**_infer_decoder(sd))
    model.load_state_dict(sd, strict=True)
    return model.eval()
