"""Study B: dSprites generator layout and images, data split, MIG estimator, beta-VAE parameter counts."""
import math

import numpy as np
import pytest
import torch

from vaerep.data import dsprites
from vaerep.dsprites_beta import data as SD
from vaerep.dsprites_beta import evaluate as ev
from vaerep.dsprites_beta.mig import discretize, entropy, mig, mutual_info
from vaerep.errors import PipelineError
from vaerep.models.beta_vae import THESIS_PARAMS, BetaVAE, param_counts, to_float


def rows(*classes):
    return dsprites.index_of(torch.tensor(classes))


def img(shape, scale, orient, px, py):
    return dsprites.generate(rows([0, shape, scale, orient, px, py]))[0]


# -- layout -----------------------------------------------------------------------------------------
def test_grid_size_and_row_order():
    assert dsprites.N_IMAGES == 737_280
    vals, cls = dsprites.latents(torch.tensor([0, 1, 32, 1024, 40960, 245760, dsprites.N_IMAGES - 1]))
    assert vals.dtype == np.float64 and cls.dtype == np.int64 and cls.shape == (7, 6)
    assert cls.tolist() == [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0], [0, 0, 0, 1, 0, 0],
                            [0, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 2, 5, 39, 31, 31]]
    assert (vals[:, 0] == 1).all()
    assert vals[-1].tolist() == pytest.approx([1, 3, 1, 2 * math.pi, 1, 1])
    assert vals[5, 1] == 2 and vals[4, 2] == pytest.approx(0.6)


def test_index_roundtrip_and_counts():
    idx = torch.randint(0, dsprites.N_IMAGES, (5000,))
    assert torch.equal(dsprites.index_of(dsprites.classes_of(idx)), idx)
    _, cls = dsprites.latents(torch.arange(0, dsprites.N_IMAGES, 7))
    assert [len(np.unique(cls[:, c])) for c in range(6)] == [1, 3, 6, 40, 32, 32]


def test_generated_images_are_binary_uint8():
    x = dsprites.generate(torch.arange(1000, 1300))
    assert x.shape == (300, 64, 64) and x.dtype == torch.uint8
    assert set(x.unique().tolist()) <= {0, 1} and (x.flatten(1).sum(1) > 0).all()


# -- known images -----------------------------------------------------------------------------------
def test_square_at_known_positions():
    top_left = img(0, 5, 0, 0, 0)  # scale 1: 20 px square centred on pixel corner (16, 16)
    expected = torch.zeros(64, 64, dtype=torch.uint8)
    expected[6:26, 6:26] = 1
    assert torch.equal(top_left, expected)
    bottom_right = img(0, 5, 0, 31, 31)
    expected = torch.zeros(64, 64, dtype=torch.uint8)
    expected[38:58, 38:58] = 1
    assert torch.equal(bottom_right, expected)
    # posX moves columns (left to right), posY moves rows (top to bottom)
    x_only = img(0, 5, 0, 31, 0)
    assert x_only[6:26, 38:58].all() and x_only.sum() == 400


def test_scale_and_ellipse_aspect():
    small, large = img(0, 0, 0, 16, 16).sum(), img(0, 5, 0, 16, 16).sum()
    assert small == 100 and large == 400
    ell = img(1, 5, 0, 16, 16)
    r, c = ell.nonzero().T
    assert (c.max() - c.min()) > 1.8 * (r.max() - r.min())  # elongated along x at orientation 0


def test_orientation_symmetries():
    angles = torch.tensor(dsprites.factor_values()[3])
    for shape in range(3):  # orientation 0 and 2*pi are the same image
        p = dsprites.draw(shape, 1.0, angles)
        assert torch.equal(p[0], p[-1])
    sq, sq90 = dsprites.draw(0, 1.0, angles), dsprites.draw(0, 1.0, angles + math.pi / 2)
    assert (sq != sq90).float().mean() < 1e-3
    el, el180 = dsprites.draw(1, 1.0, angles), dsprites.draw(1, 1.0, angles + math.pi)
    assert (el != el180).float().mean() < 1e-3
    assert (el != dsprites.draw(1, 1.0, angles + math.pi / 2)).sum() > 100  # not 90-degree symmetric
    heart = dsprites.draw(2, 1.0, [0.0, math.pi])
    assert (heart[0] != heart[1]).sum() > 30  # a heart upside down is another image


def test_orientation_turns_counter_clockwise_with_y_up():
    """Orientation rotates counter-clockwise on screen (y points up, rows run down): an ellipse turned by
    45 degrees covers the pixel 6.5 px right of and above the centre, not the one right of and below it.
    The upright heart has its two lobes (the wider part) in the upper half."""
    el = dsprites.draw(1, 1.0, [math.pi / 4])[0]  # patch centre at the corner of pixels 15 and 16
    assert el[9, 22] == 1 and el[22, 22] == 0      # row 9 = 6.5 px above the centre, row 22 = 6.5 px below
    assert el[22, 9] == 1 and el[9, 9] == 0        # and the mirror: lower left in, upper left out
    heart = dsprites.draw(2, 1.0, [0.0])[0]
    assert heart[:16].sum() > heart[16:].sum()

def test_pack_roundtrip_and_source():
    x = dsprites.generate(torch.arange(500, 600))
    assert torch.equal(dsprites.unpack(dsprites.pack(x)), x)
    src = dsprites.Source("procedural")
    assert src.name == "procedural" and torch.equal(src.images(torch.arange(500, 600)), x)
    with pytest.raises(PipelineError):
        dsprites.Source("official", path="/nonexistent/dsprites.npz", url=None)


def test_official_structure_check(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, imgs=np.zeros((10, 64, 64), np.uint8), latents_values=np.zeros((10, 6)),
             latents_classes=np.zeros((10, 6), np.int64))
    with pytest.raises(PipelineError, match="not the official"):
        dsprites.check_official(bad)


def test_subset_is_random_and_disjoint():
    train, val = SD.choose_rows(2000, 0.05, 0)
    assert len(train) == 1900 and len(val) == 100
    assert len(set(train.tolist()) | set(val.tolist())) == 2000
    assert train.max() > 200_000  # not the first rows
    shapes = dsprites.classes_of(train)[:, 1].bincount(minlength=3)
    assert (shapes > 500).all()


# -- MIG ---------------------------------------------------------------------------------------------
def synthetic_factors():
    """A full factorial grid of four factors (3, 6, 10, 16 values): every combination once, so
    different factors are exactly independent in the sample (as in dSprites)."""
    grids = torch.meshgrid(*[torch.arange(k) for k in (3, 6, 10, 16)], indexing="ij")
    return torch.stack([g.flatten() for g in grids], 1)


def test_mutual_info_basics():
    a = torch.tensor([0, 0, 1, 1] * 100)
    assert entropy(a) == pytest.approx(math.log(2))
    assert mutual_info(a, a) == pytest.approx(math.log(2))
    assert mutual_info(a, torch.tensor([0, 1, 0, 1] * 100)) == pytest.approx(0.0, abs=1e-12)
    assert discretize(torch.tensor([[0.0], [1.0], [0.5]]), 20).flatten().tolist() == [0, 19, 10]


def test_mig_perfect_code_scores_one():
    f = synthetic_factors()
    codes = torch.cat([2.5 * f.double() - 1, torch.zeros(len(f), 3)], 1)  # plus dead latents
    out = mig(codes, f, bins=20)
    assert out["mig"] == pytest.approx(1.0, abs=1e-9)
    assert all(v == pytest.approx(1.0, abs=1e-9) for v in out["per_factor"].values())


def test_mig_code_ignoring_factors_scores_zero():
    f = synthetic_factors()
    assert mig(torch.zeros(len(f), 5), f)["mig"] == 0.0  # constant code
    noise = torch.randn(len(f), 5, generator=torch.Generator().manual_seed(3))
    assert mig(noise, f)["mig"] < 0.02  # independent code: only the plug-in bias remains


def test_mig_duplicated_latent_scores_zero_for_its_factor():
    f = synthetic_factors()
    codes = torch.cat([f.double(), f[:, :1].double()], 1)  # factor 0 encoded twice
    out = mig(codes, f, names=["a", "b", "c", "d"])
    assert out["per_factor"]["a"] == pytest.approx(0.0, abs=1e-12)
    assert out["per_factor"]["b"] == pytest.approx(1.0)


def test_pca2_recovers_dominant_directions():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 6, generator=g) * torch.tensor([5.0, 3.0, 0.1, 0.1, 0.1, 0.1])
    proj, explained = ev.pca2(x)
    assert proj.shape == (2000, 2) and explained[0] > explained[1] > 0.2 and sum(explained) > 0.99


def test_pca2_centres_the_codes_before_the_svd():
    """A constant offset does not change the PCA: four points (+-1 in x, +-0.5 in y) have variance shares
    4 : 1 = 0.8, 0.2 and their projections have mean zero, with or without an offset of 100."""
    x = torch.tensor([[-1.0, -0.5], [1.0, -0.5], [-1.0, 0.5], [1.0, 0.5]], dtype=torch.float64)
    for offset in (0.0, 100.0):
        proj, explained = ev.pca2(x + offset)
        assert explained == pytest.approx([0.8, 0.2])
        assert torch.allclose(proj.mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-12)


def test_mig_factors_are_the_dsprites_class_columns():
    """Each scored factor reads its own latents_classes column: a code holding only posY (plus noise) scores
    MIG ~ 1 for posY and ~ 0 for posX."""
    _, cls = dsprites.latents(torch.randperm(dsprites.N_IMAGES, generator=torch.Generator().manual_seed(0))[:3000])
    cls = torch.from_numpy(cls)
    g = torch.Generator().manual_seed(1)
    codes = torch.stack([cls[:, 5].double(), torch.randn(3000, generator=g, dtype=torch.float64)], 1)
    out = ev.mig_scores(codes, cls, 32)["per_factor"]
    assert out["posY"] > 0.9 and out["posX"] < 0.1

# -- model -------------------------------------------------------------------------------------------
def test_parameter_counts_match_thesis():
    counts = param_counts(BetaVAE())
    assert counts["encoder"] == THESIS_PARAMS["encoder"] == 2_200_224
    assert counts["decoder"] == THESIS_PARAMS["decoder"] == 380_288


def test_loss_terms_and_shapes():
    torch.manual_seed(0)
    m = BetaVAE(beta=5.0)
    x = to_float(dsprites.generate(torch.arange(0, 737_280, 92_160)))
    assert x.shape == (8, 1, 64, 64)
    terms = m.loss_terms(x)
    assert terms["loss"].item() == pytest.approx(terms["rec"].item() + 5 * terms["kl"].item(), rel=1e-5)
    m.eval()
    assert m.reconstruct(x).shape == x.shape


def test_mig_figure_draws_the_chance_band_and_marks_values_at_chance(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from vaerep.dsprites_beta import figures as dsprites_figures
    from vaerep.dsprites_beta.evaluate import MIG_FACTORS

    table = pd.DataFrame({"beta": [1.0, 5.0, 10.0], "mig": [0.004, 0.03, 0.08], "chance_mig": [0.0055] * 3,
                          "chance_mig_std": [0.0025] * 3, "thesis_mig": [0.0001, 0.0002, 0.0003]})
    for i, f in enumerate(MIG_FACTORS):
        table[f] = [0.001 * (i + 1), 0.02, 0.05]
        table[f"{f}_at_chance"] = [True, False, False]
    captured = {}
    real_save = dsprites_figures.plotting.save
    dsprites_figures.plotting.save = lambda fig, path: captured.update(fig=fig)
    try:
        dsprites_figures.mig_vs_beta(table, tmp_path / "fig.png", at_chance_k=3)
    finally:
        dsprites_figures.plotting.save = real_save
    overall, factors = captured["fig"].axes
    band = overall.collections[0].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx(0.0055 + 3 * 0.0025)
    assert band[:, 1].min() == pytest.approx(0.0)  # mean - 3 spreads < 0: clipped at 0, MIG's floor
    hollow = [ln for ln in factors.lines if ln.get_markerfacecolor() == "none"]
    assert len(hollow) == len(MIG_FACTORS) and all(np.array_equal(ln.get_xdata(), [1.0]) for ln in hollow)
    plt.close(captured["fig"])
