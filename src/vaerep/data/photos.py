"""Natural photos available offline: the sample images that ship inside scikit-image's wheel (no download).

Used by Study C4 in place of the thesis's penguin / Pisa / polar-bear photos, and (other images) as the
training set of the substitute VQ-VAE. Images are resized so the shorter side is ``size`` (antialiased),
center-cropped to a square for the figures, or cut into random crops for training; grey images become RGB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import PipelineError

# name -> file in skimage/data (bundled in the wheel; skimage.data's other images are fetched with pooch).
BUNDLED = {"astronaut": "astronaut.png", "brick": "brick.png", "camera": "camera.png", "chelsea": "chelsea.png",
           "coffee": "coffee.png", "coins": "coins.png", "grass": "grass.png", "gravel": "gravel.png",
           "hubble_deep_field": "hubble_deep_field.jpg", "immunohistochemistry": "ihc.png", "moon": "moon.png",
           "motorcycle_left": "motorcycle_left.png", "motorcycle_right": "motorcycle_right.png",
           "retina": "retina.jpg", "rocket": "rocket.jpg"}


def _data_dir() -> Path:
    try:
        import skimage.data
    except ImportError:
        raise PipelineError("scikit-image is not installed (pip install scikit-image): its bundled sample "
                            "images are the photos of Study C4") from None
    return Path(skimage.data.__file__).parent


def load_rgb(name: str) -> torch.Tensor:
    """A bundled sample image as uint8 (3, H, W); read from the installed package, never downloaded."""
    if name not in BUNDLED:
        raise PipelineError(f"unknown photo '{name}'; offline choices: {', '.join(sorted(BUNDLED))}")
    path = _data_dir() / BUNDLED[name]
    if not path.is_file():
        raise PipelineError(f"photo '{name}' is not bundled in this scikit-image install ({path} missing)")
    from skimage.io import imread

    a = np.asarray(imread(path))
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.dtype != np.uint8:  # e.g. 16-bit or float images
        a = (a.astype(np.float64) / (a.max() or 1) * 255).round().astype(np.uint8)
    return torch.from_numpy(np.ascontiguousarray(a[..., :3])).permute(2, 0, 1).contiguous()


def resize_short(img: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (3, H, W) -> uint8 with the shorter side = ``size`` (bicubic, antialiased)."""
    h, w = img.shape[-2:]
    s = size / min(h, w)
    out = F.interpolate(img[None].float(), size=(max(size, round(h * s)), max(size, round(w * s))),
                        mode="bicubic", antialias=True, align_corners=False)[0]
    return out.round().clamp(0, 255).to(torch.uint8)


def square_photo(name: str, size: int) -> torch.Tensor:
    """Resize the shorter side to ``size`` and center-crop: float (3, size, size) in [0, 1]
    (the DALL-E notebook's preprocessing, seed_002.md §2.1)."""
    img = resize_short(load_rgb(name), size)
    h, w = img.shape[-2:]
    y, x = (h - size) // 2, (w - size) // 2
    return img[:, y:y + size, x:x + size].float() / 255.0


def random_crops(names: list[str], n: int, crop: int, short_side: int, seed: int) -> torch.Tensor:
    """``n`` random ``crop`` x ``crop`` crops (random image, position, horizontal flip) of the named photos,
    each first resized to shorter side ``short_side``: uint8 (n, 3, crop, crop)."""
    if not names:
        raise PipelineError("no training photos configured for the substitute VQ-VAE")
    images = [resize_short(load_rgb(name), short_side) for name in names]
    small = [name for name, im in zip(names, images) if min(im.shape[-2:]) < crop]
    if small:
        raise PipelineError(f"crop size {crop} exceeds photos {small} at shorter side {short_side}")
    g = torch.Generator().manual_seed(seed)
    which = torch.randint(len(images), (n,), generator=g)
    out = torch.empty(n, 3, crop, crop, dtype=torch.uint8)
    for i, k in enumerate(which.tolist()):
        im = images[k]
        y = int(torch.randint(im.shape[1] - crop + 1, (1,), generator=g))
        x = int(torch.randint(im.shape[2] - crop + 1, (1,), generator=g))
        patch = im[:, y:y + crop, x:x + crop]
        out[i] = patch.flip(-1) if bool(torch.rand((), generator=g) < 0.5) else patch
    return out
