"""dSprites (Matthey et al. 2017): the official ``.npz`` file (local path or DeepMind's GitHub URL,
structure-checked and hashed) or a procedural generator of the same factor grid in the same layout.
A file the user names (``DSPRITES_PATH`` or config ``path``) must be the official one; only when none
is named does ``source: auto`` fall back to the generator.

Layout (as the official file): ``imgs`` uint8 (N, 64, 64) with values 0/1; ``latents_values`` float64
(N, 6) and ``latents_classes`` int64 (N, 6), columns (color, shape, scale, orientation, posX, posY);
rows in that order with the last factor (posY) varying fastest, N = 1 * 3 * 6 * 40 * 32 * 32 = 737,280.

The generator draws each (shape, scale, orientation) sprite once on a patch (4 x 4 supersampled
implicit shape, binarised at half coverage) and translates it to each of the 32 x 32 positions by a
rounded whole-pixel shift: centres run from pixel 16 to pixel 48 in x (columns, left to right) and y
(rows, top to bottom). At scale 1 a square is 20 px wide (about 1/3 of the frame), an ellipse 20 x 10 px,
a heart about 20 px; at scale 0.5 half that. Orientation rotates counter-clockwise.
"""

from __future__ import annotations

import math
import os
import urllib.request
from pathlib import Path

import numpy as np
import torch

from ..errors import PipelineError
from .mnist import file_digest, sha256

FILENAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
URL = "https://github.com/deepmind/dsprites-dataset/raw/master/" + FILENAME
# DeepMind publishes no checksum of the npz. Its MD5, as asserted by at least eight independent public
# loaders (one of them downloads DeepMind's commit fa310c66); its SHA-256 is recorded in the provenance.
OFFICIAL_MD5 = "7da33b31b13a06f4b04a70402ce90c2e"
FACTORS = ("color", "shape", "scale", "orientation", "posX", "posY")
SIZES = (1, 3, 6, 40, 32, 32)
N_IMAGES = int(np.prod(SIZES))  # 737,280
SHAPES = ("square", "ellipse", "heart")
IMAGE_SIZE = 64

# Generator geometry (pixels; see the module docstring).
HALF_SIZE = 10.0          # half width of a scale-1 sprite
CENTRE_RANGE = (16.0, 48.0)
PATCH = 32                # side of the patch each base sprite is drawn on (centre at PATCH / 2)
SUPERSAMPLE = 4


def factor_values() -> list[np.ndarray]:
    """Value of every class of every factor (as in the official ``latents_values``)."""
    return [np.array([1.0]), np.array([1.0, 2.0, 3.0]), np.linspace(0.5, 1.0, 6),
            np.linspace(0.0, 2 * math.pi, 40), np.linspace(0.0, 1.0, 32), np.linspace(0.0, 1.0, 32)]


def classes_of(indices: torch.Tensor) -> torch.Tensor:
    """Factor classes (n, 6) of flat row indices (row-major over SIZES, last factor fastest)."""
    idx = torch.as_tensor(indices, dtype=torch.int64)
    out = torch.empty(idx.shape[0], len(SIZES), dtype=torch.int64)
    rest = idx.clone()
    for col in range(len(SIZES) - 1, -1, -1):
        out[:, col] = rest % SIZES[col]
        rest = rest // SIZES[col]
    return out


def index_of(classes: torch.Tensor) -> torch.Tensor:
    """Flat row indices of factor classes (n, 6)."""
    idx = torch.zeros(classes.shape[0], dtype=torch.int64)
    for col, size in enumerate(SIZES):
        idx = idx * size + classes[:, col].long()
    return idx


def latents(indices: torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(latents_values float64, latents_classes int64) of the given rows (all rows when None)."""
    indices = torch.arange(N_IMAGES) if indices is None else torch.as_tensor(indices)
    cls = classes_of(indices).numpy()
    vals = np.stack([factor_values()[c][cls[:, c]] for c in range(len(SIZES))], 1)
    return vals.astype(np.float64), cls.astype(np.int64)


# -- procedural generator ------------------------------------------------------------------------
def _heart(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Inside test of the classic implicit heart (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, rescaled so that
    its bounding box is centred and its larger half-extent is 1 (v points up)."""
    # The curve's bounding box is x in [-1.139, 1.139], y in [-1, 1.236] (computed numerically).
    k, cy = 1.139, 0.118
    x, y = u * k, v * k + cy
    return (x * x + y * y - 1) ** 3 - x * x * y ** 3 <= 0


def _inside(shape: int, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Whether sprite-frame points (u, v) in units of the half size lie inside shape 0/1/2."""
    if shape == 0:
        return (u.abs() <= 1) & (v.abs() <= 1)
    if shape == 1:
        return u * u + (v / 0.5) ** 2 <= 1
    return _heart(u, v)


def draw(shape: int, scale: float, angles) -> torch.Tensor:
    """One shape at one scale and the given orientations (radians): uint8 (len(angles), PATCH, PATCH),
    the sprite's centre at the patch's centre (a pixel corner), 4 x 4 supersampled, binarised at half
    coverage."""
    ss = SUPERSAMPLE
    coords = (torch.arange(PATCH * ss, dtype=torch.float64) + 0.5) / ss - PATCH / 2  # sub-pixel centres
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    x, y = xx.flatten(), -yy.flatten()  # y up
    ang = torch.as_tensor(angles, dtype=torch.float64).reshape(-1, 1)
    c, sn = torch.cos(ang), torch.sin(ang)
    h = HALF_SIZE * float(scale)
    # rotate points by -theta into the sprite frame (the sprite turns by +theta, counter-clockwise)
    u = (c * x + sn * y) / h
    v = (-sn * x + c * y) / h
    inside = _inside(shape, u, v).reshape(-1, PATCH, ss, PATCH, ss).float().mean((2, 4))
    return (inside >= 0.5).to(torch.uint8)


def sprite_patches() -> torch.Tensor:
    """Every (shape, scale, orientation) sprite drawn once: uint8 (3, 6, 40, PATCH, PATCH), so a
    whole-pixel shift places it anywhere."""
    scales, angles = factor_values()[2], factor_values()[3]
    out = torch.empty(3, 6, 40, PATCH, PATCH, dtype=torch.uint8)
    for s in range(3):
        for k, scale in enumerate(scales):
            out[s, k] = draw(s, scale, angles)
    return out


def _centres(n: int = 32) -> torch.Tensor:
    lo, hi = CENTRE_RANGE
    return torch.round(lo + torch.linspace(0, 1, n, dtype=torch.float64) * (hi - lo)).long()


def generate(indices: torch.Tensor | None = None, patches: torch.Tensor | None = None,
             chunk: int = 8192) -> torch.Tensor:
    """Procedural dSprites images uint8 (n, 64, 64) (0/1) of the given flat rows (all when None)."""
    indices = torch.arange(N_IMAGES) if indices is None else torch.as_tensor(indices, dtype=torch.int64)
    if patches is None:
        patches = sprite_patches()
    # One zero border so that indices outside a patch (clamped) read 0.
    flat = torch.nn.functional.pad(patches, (1, 1, 1, 1)).reshape(-1, PATCH + 2, PATCH + 2)
    centres = _centres()
    pix = torch.arange(IMAGE_SIZE)
    out = torch.empty(indices.shape[0], IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)
    for start in range(0, indices.shape[0], chunk):
        cls = classes_of(indices[start:start + chunk])
        base = (cls[:, 1] * 6 + cls[:, 2]) * 40 + cls[:, 3]
        # patch pixel = image pixel - centre + PATCH/2 (+1 for the border)
        rows = (pix[None, :] - centres[cls[:, 5]][:, None] + PATCH // 2 + 1).clamp_(0, PATCH + 1)
        cols = (pix[None, :] - centres[cls[:, 4]][:, None] + PATCH // 2 + 1).clamp_(0, PATCH + 1)
        out[start:start + chunk] = flat[base[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out


# -- official file -----------------------------------------------------------------------------------
def check_official(path: Path) -> dict:
    """Open the official npz and check its structure (keys, shapes, dtypes, 0/1 pixels, factor grid).
    Returns the arrays (imgs memory stays numpy) plus the file's SHA-256."""
    try:
        npz = np.load(path, allow_pickle=False)
        imgs, values, classes = npz["imgs"], npz["latents_values"], npz["latents_classes"]
    except Exception as err:
        raise PipelineError(f"'{path}' is not a readable dSprites npz ({err.__class__.__name__}: {err})") from None
    problems = []
    if imgs.shape != (N_IMAGES, IMAGE_SIZE, IMAGE_SIZE) or imgs.dtype != np.uint8:
        problems.append(f"imgs is {imgs.dtype}{imgs.shape}, expected uint8{(N_IMAGES, 64, 64)}")
    if values.shape != (N_IMAGES, 6) or values.dtype != np.float64:
        problems.append(f"latents_values is {values.dtype}{values.shape}, expected float64{(N_IMAGES, 6)}")
    if classes.shape != (N_IMAGES, 6) or not np.issubdtype(classes.dtype, np.integer):
        problems.append(f"latents_classes is {classes.dtype}{classes.shape}, expected int64{(N_IMAGES, 6)}")
    if not problems:
        _, want = latents()
        if not np.array_equal(classes.astype(np.int64), want):
            problems.append("latents_classes is not the factor grid in row order (color, shape, scale, orientation, posX, posY)")
        if imgs[:1000].max() > 1:
            problems.append("imgs are not 0/1")
    md5 = file_digest(path, "md5")
    if not problems and md5 != OFFICIAL_MD5:
        problems.append(f"its MD5 is {md5}, the official file's is {OFFICIAL_MD5}")
    if problems:
        raise PipelineError(f"'{path}' is not the official dSprites file: " + "; ".join(problems))
    return {"imgs": imgs, "latents_values": values, "latents_classes": classes.astype(np.int64),
            "sha256": sha256(path), "md5": md5}


def download(url: str, root: Path, timeout: float = 60.0) -> Path:
    """Download the official npz from ``url`` into ``root`` (kept for later runs)."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / FILENAME
    if target.is_file():
        return target
    tmp = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as fh:
            while block := resp.read(1 << 20):
                fh.write(block)
    except Exception as err:  # network errors come in many types
        tmp.unlink(missing_ok=True)
        raise PipelineError(f"could not download dSprites from {url} ({err.__class__.__name__}: {err})") from None
    os.replace(tmp, target)
    return target


def locate_official(path: str | None, url: str | None, download_root: Path | str) -> tuple[Path, str]:
    """The official file: env DSPRITES_PATH, else config ``path``, else a download from ``url``."""
    if os.environ.get("DSPRITES_PATH"):
        found, how = Path(os.environ["DSPRITES_PATH"]), "from the environment variable DSPRITES_PATH"
    elif path:
        found, how = Path(path), "from config key dsprites_beta.data.path"
    elif url:
        found, how = download(url, Path(download_root)), f"downloaded from {url}"
    else:
        raise PipelineError("no dSprites file: set DSPRITES_PATH, config data.path or data.url")
    if not found.is_file():
        raise PipelineError(f"dSprites file '{found}' ({how}) does not exist")
    return found, how


class Source:
    """Rows of dSprites from the resolved source: ``images(indices)`` gives uint8 (n, 64, 64)."""

    def __init__(self, source: str = "auto", path: str | None = None, url: str | None = URL,
                 download_root: Path | str = "data/download", log=print):
        if source not in ("auto", "official", "procedural"):
            raise PipelineError(f"unknown dSprites source '{source}': choose auto, official or procedural")
        self.meta: dict = {"requested": source}
        self._official = None
        if source in ("auto", "official"):
            named = bool(os.environ.get("DSPRITES_PATH") or path)  # a file named on purpose must work
            try:
                found, how = locate_official(path, url, download_root)
                try:
                    self._official = check_official(found)
                except PipelineError as err:
                    raise PipelineError(f"{err} (file {how})") from None
                self.meta.update(source="official", file=str(found), how=how, sha256=self._official["sha256"],
                                 md5=self._official["md5"], md5_reference=OFFICIAL_MD5)
            except PipelineError as err:
                if source == "official" or named:
                    raise PipelineError(f"{err}. Fix or unset it, or set dsprites_beta.data.source: procedural"
                                        if named else str(err)) from None
                log(f"official dSprites not available ({err}); using the procedural generator")
                self.meta["official_error"] = str(err)
        if self._official is None:
            self.meta.update(source="procedural", generator=generator_meta())
            self._patches = sprite_patches()

    @property
    def name(self) -> str:
        return self.meta["source"]

    def images(self, indices) -> torch.Tensor:
        indices = torch.as_tensor(indices, dtype=torch.int64)
        if self._official is not None:
            return torch.from_numpy(np.ascontiguousarray(self._official["imgs"][indices.numpy()]))
        return generate(indices, self._patches)

    def latents(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        indices = torch.as_tensor(indices, dtype=torch.int64)
        if self._official is not None:
            i = indices.numpy()
            return (torch.from_numpy(self._official["latents_values"][i]),
                    torch.from_numpy(self._official["latents_classes"][i]))
        vals, cls = latents(indices)
        return torch.from_numpy(vals), torch.from_numpy(cls)


def generator_meta() -> dict:
    return {"half_size_px": HALF_SIZE, "centre_range_px": list(CENTRE_RANGE), "patch": PATCH,
            "supersample": SUPERSAMPLE, "shapes": list(SHAPES)}


def pack(imgs: torch.Tensor) -> torch.Tensor:
    """0/1 uint8 images (n, 64, 64) packed 8 pixels a byte: (n, 512)."""
    return torch.from_numpy(np.packbits(imgs.reshape(imgs.shape[0], -1).numpy(), axis=1))


def unpack(packed: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`pack`."""
    return torch.from_numpy(np.unpackbits(packed.numpy(), axis=1)).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
