"""The IWAE term on a seeded subset of the test images (a null control's evaluation): the same estimator,
within its recorded standard error of the estimate on every image."""

import pytest
import torch

from vaerep.models.smvae import SMVAE
from vaerep.smvae import evaluate as ev

CPU = torch.device("cpu")


def split(n=800, seed=0):
    g = torch.Generator().manual_seed(seed)
    pixels = (torch.rand(n, 784, generator=g) > 0.7).to(torch.uint8) * 255
    return {"pixels": pixels, "contrast": torch.full((n,), 0.8), "label": torch.zeros(n, dtype=torch.long),
            "base_index": torch.arange(n)}


def test_subset_rows_are_seeded_sorted_and_distinct():
    a, b = ev.iwae_subset(1000, 100, 7), ev.iwae_subset(1000, 100, 7)
    assert torch.equal(a, b) and len(set(a.tolist())) == 100 and torch.equal(a, a.sort().values)
    assert not torch.equal(a, ev.iwae_subset(1000, 100, 8))
    assert ev.iwae_subset(1000, None, 7) is None and ev.iwae_subset(1000, 1000, 7) is None
    with pytest.raises(ValueError, match="at least 2"):
        ev.iwae_subset(1000, 1, 7)


def test_subset_estimate_lies_within_its_standard_error_of_the_full_one():
    torch.manual_seed(0)
    model = SMVAE("pre", "gamma", alpha=3.0).eval()
    data = split()
    full = ev.table_terms(model, data, CPU, 1234, 8)
    part = ev.table_terms(model, data, CPU, 1234, 8, iwae_images=200)
    assert full["iwae_n"] == 800 and part["iwae_n"] == 200
    # the -ELBO terms never use the subset
    assert part["neg_elbo"] == full["neg_elbo"] and part["kl"] == full["kl"]
    assert part["neg_log_lik_iw_se"] > full["neg_log_lik_iw_se"] > 0
    assert abs(part["neg_log_lik_iw"] - full["neg_log_lik_iw"]) < 4 * part["neg_log_lik_iw_se"]
    # the IWAE bound is tighter than the ELBO on the same images
    assert full["neg_log_lik_iw"] < full["neg_elbo"]


def test_standard_error_is_the_image_std_over_the_square_root_of_the_images(monkeypatch):
    """The IWAE term's standard error is std(per-image log-likelihood) / sqrt(images): per-image values 0, 1, 0, 1
    have sample std sqrt(1/3), so over 4 images the error is sqrt(1/3) / 2."""

    class Stub:
        def iw_log_likelihood(self, x, k):
            return x[:, 0].double()  # the first pixel: 0 or 1

    monkeypatch.setattr(ev, "evaluate", lambda *a, **kw: {"loss": 0.0, "rec": 0.0, "kl": 0.0})
    pixels = torch.zeros(4, 784, dtype=torch.uint8)
    pixels[1::2, 0] = 255
    data = {"pixels": pixels, "contrast": torch.ones(4), "label": torch.zeros(4, dtype=torch.long),
            "base_index": torch.arange(4)}
    out = ev.table_terms(Stub(), data, CPU, 0, 8)
    assert out["neg_log_lik_iw"] == pytest.approx(-0.5)
    assert out["neg_log_lik_iw_se"] == pytest.approx((1 / 3) ** 0.5 / 2)
