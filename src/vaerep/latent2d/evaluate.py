"""Numbers of Study D computed from a trained model: test-set -ELBO terms, latent means, k-NN accuracy
of the 2-D latent, class-centroid neighbours, reflection between checkpoints, smoothness, blur and
whether reconstructions keep the digit."""

from __future__ import annotations

import numpy as np
import torch

from ..device import model_device
from ..models.conv2d_vae import to_float
from ..train import evaluate as eval_terms


def _float_on(model, images: torch.Tensor) -> torch.Tensor:
    """Float images on the model's device: every model pass here runs where the model lives (a GPU when the rule
    found one), and the numbers come back to the CPU."""
    return to_float(images.to(model_device(model)))


@torch.no_grad()
def latent_means(model, images: torch.Tensor, batch_size: int = 2048) -> np.ndarray:
    """Posterior means mu (N, z_dim) of uint8 images."""
    model.eval()
    out = [model.encode(_float_on(model, images[i:i + batch_size]))[0].cpu()
           for i in range(0, images.shape[0], batch_size)]
    return torch.cat(out).numpy()


def test_terms(model, images: torch.Tensor, seed: int, batch_size: int = 2048) -> dict[str, float]:
    """Per-image means over ``images`` of -ELBO, reconstruction, KL (one posterior sample each, fixed seed)."""
    terms = eval_terms(model, [images], model_device(model), prepare=to_float, batch_size=batch_size, seed=seed)
    return {k: terms[k] for k in ("neg_elbo", "rec", "kl", "kl_per_dim")}


def knn_accuracy(train_z: np.ndarray, train_y: np.ndarray, test_z: np.ndarray, test_y: np.ndarray, k: int = 5,
                 chunk: int = 1024) -> float:
    """Accuracy of a k-nearest-neighbour majority vote (Euclidean; ties to the smallest label) that
    predicts each test label from the ``k`` nearest training points."""
    tr = torch.as_tensor(train_z, dtype=torch.float32)
    ytr = torch.as_tensor(train_y, dtype=torch.long)
    k = min(k, tr.shape[0])
    n_cls = int(max(ytr.max(), int(np.max(test_y)))) + 1
    correct = 0
    for i in range(0, len(test_z), chunk):
        te = torch.as_tensor(test_z[i:i + chunk], dtype=torch.float32)
        idx = torch.cdist(te, tr).topk(k, largest=False).indices
        votes = torch.zeros(te.shape[0], n_cls).scatter_add_(1, ytr[idx], torch.ones(idx.shape))
        pred = votes.argmax(1).numpy()  # argmax takes the first maximum: ties go to the smallest label
        correct += int((pred == np.asarray(test_y[i:i + chunk])).sum())
    return correct / len(test_z)


def centroid_neighbours(z: np.ndarray, y: np.ndarray) -> dict:
    """Class centroids of latent points, their distance matrix (scaled by the mean within-class
    spread), and for every class the other classes ordered from nearest to farthest."""
    classes = np.unique(y)
    cent = np.stack([z[y == c].mean(0) for c in classes])
    spread = float(np.mean([np.linalg.norm(z[y == c] - cent[i], axis=1).mean() for i, c in enumerate(classes)]))
    dist = np.linalg.norm(cent[:, None] - cent[None], axis=-1) / max(spread, 1e-12)
    order = {int(c): [int(classes[j]) for j in np.argsort(dist[i]) if j != i] for i, c in enumerate(classes)}
    return {"classes": [int(c) for c in classes], "centroids": cent.tolist(), "distance": dist.tolist(),
            "neighbours": order}


def pair_rank(neighbours: dict, a: int, b: int) -> int | None:
    """Best rank (1 = nearest) of ``b`` among ``a``'s centroid neighbours or of ``a`` among ``b``'s."""
    ranks = []
    if a in neighbours and b in neighbours[a]:
        ranks.append(neighbours[a].index(b) + 1)
    if b in neighbours and a in neighbours[b]:
        ranks.append(neighbours[b].index(a) + 1)
    return min(ranks) if ranks else None


def nearest_pairs(neighbours: dict) -> list[tuple[int, int]]:
    """Mutually-or-one-way nearest class pairs: (a, nearest of a), each unordered pair once."""
    pairs = {tuple(sorted((a, ns[0]))) for a, ns in neighbours.items() if ns}
    return sorted(pairs)


def reflection(a: np.ndarray, b: np.ndarray) -> dict:
    """Best orthogonal map R (Procrustes, after centring) taking layout ``a`` onto ``b``: whether it is
    a reflection (det R = -1), its rotation angle, and the fit (1 - relative residual)."""
    from scipy.linalg import orthogonal_procrustes

    a0, b0 = a - a.mean(0), b - b.mean(0)
    scale = np.linalg.norm(b0) / max(np.linalg.norm(a0), 1e-12)
    r, _ = orthogonal_procrustes(a0, b0)
    resid = np.linalg.norm(a0 @ r * scale - b0) / max(np.linalg.norm(b0), 1e-12)
    det = float(np.linalg.det(r))
    refl = np.diag([1.0, -1.0]) if det < 0 else np.eye(2)
    rot = refl @ r if det < 0 else r
    return {"det": det, "is_reflection": det < 0, "angle_deg": float(np.degrees(np.arctan2(rot[0, 1], rot[0, 0]))),
            "fit": float(1.0 - resid)}


@torch.no_grad()
def path_smoothness(model, start: np.ndarray, end: np.ndarray, n_steps: int) -> dict:
    """Decode ``n_steps`` + 1 points on the straight latent line from ``start`` to ``end``; the largest
    single step in pixel space as a fraction of the whole path length (1 / n_steps when every step is
    equal, near 1 when the images jump once)."""
    t = torch.linspace(0, 1, n_steps + 1).unsqueeze(1)
    z = torch.as_tensor(start, dtype=torch.float32) * (1 - t) + torch.as_tensor(end, dtype=torch.float32) * t
    imgs = model.decode(z.to(model_device(model))).flatten(1).cpu()
    steps = (imgs[1:] - imgs[:-1]).norm(dim=1)
    return {"max_step_fraction": float(steps.max() / steps.sum().clamp_min(1e-12)), "n_steps": n_steps,
            "path_length": float(steps.sum())}


def class_mean_distance(images: torch.Tensor, labels: np.ndarray, a: int, b: int) -> float:
    """Euclidean pixel distance (images in [0, 1]) between the mean test images of digits ``a`` and ``b``:
    how far a path that shows ``a`` at one end and ``b`` at the other must at least travel."""
    x = to_float(images).flatten(1)
    y = torch.as_tensor(np.asarray(labels))
    return float((x[y == a].mean(0) - x[y == b].mean(0)).norm())


def gradient_energy(images: torch.Tensor) -> float:
    """Mean absolute horizontal plus vertical pixel difference of (B, 1, 28, 28) images (edge sharpness)."""
    dx = (images[..., :, 1:] - images[..., :, :-1]).abs().mean()
    dy = (images[..., 1:, :] - images[..., :-1, :]).abs().mean()
    return float(dx + dy)


@torch.no_grad()
def sharpness_ratio(model, images: torch.Tensor) -> float:
    """Edge sharpness of the mean reconstructions (decoded posterior means) over that of the originals:
    below 1 = blurrier than the input."""
    x = to_float(images)
    return gradient_energy(model(x.to(model_device(model))).cpu()) / max(gradient_energy(x), 1e-12)


@torch.no_grad()
def digit_kept(model, images: torch.Tensor, labels: np.ndarray, ref_images: torch.Tensor, ref_labels: np.ndarray,
               k: int = 5) -> dict[str, float]:
    """Whether reconstructions keep the digit: accuracy of a pixel-space k-NN vote (reference: labelled
    training images) on the mean reconstructions, and on the originals for comparison (chance 0.1)."""
    ref = to_float(ref_images).flatten(1).numpy()
    x = to_float(images)
    recon = model(x.to(model_device(model))).flatten(1).cpu().numpy()
    return {"reconstructions": knn_accuracy(ref, ref_labels, recon, labels, k),
            "originals": knn_accuracy(ref, ref_labels, x.flatten(1).numpy(), labels, k)}
