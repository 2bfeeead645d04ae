"""Study D: the 2-D-latent conv VAE (shapes, parameter counts, loss), and the evaluation and claim
helpers on synthetic inputs. Fast (seconds)."""

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from vaerep.config import CONFIG_DIR, SCHEMA_DIR, study_settings, validate
from vaerep.errors import PipelineError
from vaerep.latent2d import evaluate as ev
from vaerep.latent2d.claims import check_claims, loss_stable
from vaerep.latent2d.table import checkpoint_table, logged, loss_table, neighbour_table, to_markdown
from vaerep.models.conv2d_vae import ConvVAE2D, build_conv2d_vae, to_float


def test_parameter_counts_match_the_thesis():
    counts = ConvVAE2D().param_counts()
    assert counts == {"encoder": 105_220, "decoder": 102_017, "total": 207_237}
    assert counts["total"] == sum(p.numel() for p in ConvVAE2D().parameters())


def test_shapes_follow_the_keras_completion():
    model = ConvVAE2D()
    shapes = []
    for m in list(model.encoder_conv) + list(model.decoder_conv):
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            m.register_forward_hook(lambda mod, i, o: shapes.append(tuple(o.shape[1:])))
    x = torch.rand(3, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (3, 2)
    out = model.decode(mu)
    assert out.shape == (3, 1, 28, 28) and bool(((out > 0) & (out < 1)).all())
    assert shapes == [(32, 28, 28), (64, 14, 14), (64, 7, 7), (64, 7, 7),       # encoder
                      (64, 7, 7), (64, 14, 14), (32, 28, 28), (1, 28, 28)]     # decoder
    assert model.encode(x.flatten(1))[0].shape == (3, 2)  # flat input accepted too


def test_uint8_conversion():
    pix = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)
    out = to_float(pix)
    assert out.shape == (1, 1, 2, 2) and torch.allclose(out.flatten(), torch.tensor([0.0, 1.0, 0.2, 0.4]))


def test_loss_terms_and_kl_weight():
    torch.manual_seed(0)
    x = (torch.rand(8, 1, 28, 28) > 0.7).float()
    for w in (1.0, 0.5):
        model = build_conv2d_vae({"kl_weight": w})
        # a posterior away from the prior, so that the KL is sizeable (an untrained encoder's is near 0)
        model.encode = lambda x: (torch.full((len(x), 2), 1.5), torch.full((len(x), 2), -1.0))
        torch.manual_seed(1)
        t = model.loss_terms(x)
        assert t["kl"] > 2.0
        assert torch.allclose(t["loss"], t["rec"] + w * t["kl"])
        assert torch.allclose(t["neg_elbo"], t["rec"] + t["kl"])
        assert torch.allclose(t["kl_per_dim"], t["kl"] / 2)
    with pytest.raises(PipelineError, match="unknown conv2d VAE spec"):
        build_conv2d_vae({"zdim": 2})


def test_loss_falls_on_a_small_batch():
    torch.manual_seed(0)
    x = torch.zeros(16, 1, 28, 28)
    x[:, :, 8:20, 10:18] = 1.0  # a bar-like "digit"
    x[8:, :, 4:24, 12:15] = 1.0
    model = ConvVAE2D()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    losses = []
    for _ in range(15):
        loss = model.loss_terms(x)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def _clusters(n=50, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 10, endpoint=False)]) * 10
    y = np.repeat(np.arange(10), n)
    return centres[y] + rng.normal(0, 0.5, (len(y), 2)), y


def test_knn_accuracy_separates_clusters_and_chance():
    z, y = _clusters()
    zt, yt = _clusters(seed=1)
    assert ev.knn_accuracy(z, y, zt, yt, k=5) == 1.0
    rng = np.random.default_rng(0)
    acc = ev.knn_accuracy(rng.normal(size=(2000, 2)), rng.integers(0, 10, 2000), rng.normal(size=(1000, 2)),
                          rng.integers(0, 10, 1000), k=5)
    assert 0.03 < acc < 0.2


def test_centroid_neighbours_and_pair_rank():
    z, y = _clusters()
    cn = ev.centroid_neighbours(z, y)
    # classes sit on a circle: each digit's two nearest are its circle neighbours
    assert set(cn["neighbours"][4][:2]) == {3, 5}
    assert ev.pair_rank(cn["neighbours"], 4, 5) <= 2
    assert ev.pair_rank(cn["neighbours"], 4, 9) == 9  # opposite side of the circle
    assert all((b - a) in (1, 9) for a, b in ev.nearest_pairs(cn["neighbours"]))
    assert np.isclose(np.diag(cn["distance"]), 0).all()


def test_reflection_detects_mirror_and_rotation():
    z, _ = _clusters()
    mirrored = z * np.array([1.0, -1.0]) * 2.0 + 3.0
    r = ev.reflection(z, mirrored)
    assert r["is_reflection"] and r["fit"] > 0.99
    a = np.radians(40)
    rot = z @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    r = ev.reflection(z, rot)
    assert not r["is_reflection"] and r["fit"] > 0.99 and abs(abs(r["angle_deg"]) - 40) < 1e-3


def test_reflection_angle_is_that_of_the_rotation_after_the_mirror():
    """b = mirror(a) (y -> -y) turned by 40 degrees: a reflection whose rotation part is 40 degrees."""
    z, _ = _clusters()
    a = np.radians(40)
    b = (z * np.array([1.0, -1.0])) @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    r = ev.reflection(z, b)
    assert r["is_reflection"] and r["fit"] > 0.99 and r["angle_deg"] == pytest.approx(40.0, abs=1e-3)


def test_centroid_distances_are_in_units_of_the_within_class_spread():
    """Two classes with centroids 10 apart and every point 2 from its centroid: distance 10 / 2 = 5."""
    z = np.array([[-2.0, 0.0], [2.0, 0.0], [8.0, 0.0], [12.0, 0.0]])
    cn = ev.centroid_neighbours(z, np.array([0, 0, 1, 1]))
    assert cn["distance"][0][1] == pytest.approx(5.0) and cn["neighbours"] == {0: [1], 1: [0]}

class _LinearDecoder(torch.nn.Module):
    def decode(self, z):
        return (z @ torch.ones(2, 784)).reshape(-1, 1, 28, 28)


class _StepDecoder(torch.nn.Module):
    def decode(self, z):
        return (z[:, :1] > 0.5).float().expand(-1, 784).reshape(-1, 1, 28, 28)


def test_path_smoothness_uniform_and_jump():
    smooth = ev.path_smoothness(_LinearDecoder(), np.zeros(2), np.ones(2), 10)
    assert abs(smooth["max_step_fraction"] - 0.1) < 1e-5
    jump = ev.path_smoothness(_StepDecoder(), np.zeros(2), np.ones(2), 10)
    assert jump["max_step_fraction"] == pytest.approx(1.0)


def test_blurring_lowers_gradient_energy():
    x = (torch.rand(4, 1, 28, 28) > 0.5).float()
    blurred = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    assert ev.gradient_energy(blurred) < 0.6 * ev.gradient_energy(x)


def test_gradient_energy_counts_horizontal_and_vertical_edges():
    """Horizontal stripes (rows alternate 0/1) have no horizontal differences and a vertical one of 1 between
    every pair of rows: energy 0 + 1 = 1; vertical stripes the same by symmetry; a flat image 0."""
    rows = (torch.arange(28) % 2).float().view(1, 1, 28, 1).expand(1, 1, 28, 28)
    assert ev.gradient_energy(rows) == pytest.approx(1.0)
    assert ev.gradient_energy(rows.transpose(-1, -2)) == pytest.approx(1.0)
    assert ev.gradient_energy(torch.ones(1, 1, 28, 28)) == 0.0

def test_loss_stable():
    assert loss_stable(pd.Series([200.0] * 10 + [136.0, 135.9, 136.1, 135.8]), 0.25) < 0.01
    assert loss_stable(pd.Series(np.linspace(200, 100, 20)), 0.25) > 0.1
    assert loss_stable(pd.Series([545.0]), 0.25) == float("inf")  # one epoch (a null control): no curve


def claim_thresholds():
    """Study D's claim thresholds as the summarise rule gets them: the study's, plus the scorecard's loss tolerances."""
    thr = yaml.safe_load((CONFIG_DIR / "latent2d.yaml").read_text())["latent2d"]["claims"]
    tol = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["scorecard"]["tolerances"]["latent2d"]
    return dict(thr, loss_tolerance=tol)


def _fake_results(final_total=135.9, drop=2.0):
    variants = {"canonical": {"label": "c", "model": {"kl_weight": 1.0}, "logged_kl": "sum"},
                "literal": {"label": "l", "model": {"kl_weight": 0.5}, "logged_kl": "per_dim"}}
    epochs = np.arange(1, 501)
    rec = 132.0 + 100 * np.exp(-epochs / 20.0)
    rec[199] = final_total - 3.8 + drop
    rec[-1] = final_total - 3.8
    histories = {v: pd.DataFrame({"epoch": epochs, "train_loss": rec + 3.8 * variants[v]["model"]["kl_weight"],
                                  "train_neg_elbo": rec + 3.8, "train_rec": rec, "train_kl": 3.8,
                                  "train_kl_per_dim": 1.9}) for v in variants}
    z, y = _clusters()
    cn = ev.centroid_neighbours(z, y)
    nb = {str(k): v for k, v in cn["neighbours"].items()}
    ck = lambda e, acc: {"epoch": e, "test_neg_elbo": 140.0, "test_rec": 136.0, "test_kl": 4.0, "knn_accuracy": acc,  # noqa: E731
                         "classes": cn["classes"], "centroid_distance": cn["distance"], "neighbours": nb, "nearest_pairs": ev.nearest_pairs(cn["neighbours"])}
    metrics = {v: {"epochs": [1, 5, 200, 500], "n_test": 500, "knn_k": 5,
                   "checkpoints": [ck(1, 0.3), ck(5, 0.6), ck(200, 0.8), ck(500, 0.85)],
                   "transitions": [{"from": 0, "to": 9, "max_step_fraction": 0.12, "n_steps": 10, "span": 1.0}],
                   "sharpness_ratio": 0.5, "digit_kept": {"reconstructions": 0.8, "originals": 0.9},
                   "reflection_penultimate_final": {"det": -1.0, "is_reflection": True, "angle_deg": 10.0, "fit": 0.9}}
               for v in variants}
    thesis = {"epochs": 500, "total": 135.8, "rec": 132.0, "kl": 3.8, "total_drop_penultimate": 2.0}
    return variants, histories, metrics, thesis


def test_tables_and_claims_on_synthetic_results():
    variants, histories, metrics, thesis = _fake_results()
    assert logged(histories["literal"], "per_dim")["kl"].iloc[-1] == 1.9
    table = loss_table(histories, metrics, variants, thesis)
    assert table.set_index("variant").loc["canonical", "total"] == pytest.approx(135.9)
    assert table.set_index("variant").loc["literal", "total"] == pytest.approx(135.9 - 1.9)
    assert "| c |" in to_markdown(table)
    ck = checkpoint_table(histories, metrics, variants)
    assert list(ck["epoch"]) == [1, 5, 200, 500] * 2
    nt = neighbour_table(metrics)
    assert len(nt) == 2 * 4 * 10 and (nt["distance_nearest"] > 0).all()
    assert set(nt[nt["digit"] == 4]["nearest"]) <= {3, 5}
    thr = claim_thresholds()
    thr = dict(thr, neighbour_pairs=[[4, 5]], neighbour_rank=2)  # adjacent on the synthetic circle
    claims = check_claims(table, ck, metrics, histories, variants, "canonical", thesis, thr).set_index("claim")
    verdict = claims["verdict"]
    assert verdict["After 500 epochs the training total loss is about 135.8"] == "replicates"
    assert (verdict == "replicates").all(), claims[verdict != "replicates"]
    # circle layout: 4's nearest are 3 and 5, so "4 and 9 are neighbours" must fail; fewer epochs: not comparable
    thr2 = dict(thr, neighbour_pairs=[[4, 9]])
    h_short = {v: h.iloc[:5] for v, h in histories.items()}
    t2 = loss_table(h_short, {v: dict(m, checkpoints=m["checkpoints"][:2]) for v, m in metrics.items()}, variants, thesis)
    c2 = check_claims(t2, checkpoint_table(h_short, {v: dict(m, checkpoints=m["checkpoints"][:2]) for v, m in metrics.items()},
                                           variants), metrics, h_short, variants, "canonical", thesis, thr2).set_index("claim")["verdict"]
    assert c2["Similar digits 4 and 9 are neighbours in the latent space"] == "differs"
    assert c2["After 500 epochs the training total loss is about 135.8"].startswith("not comparable (5 epochs")


def test_loss_table_reports_the_final_checkpoint():
    """The table's test numbers and k-NN accuracy are the final checkpoint's (epoch 500: 0.85), not the first's."""
    variants, histories, metrics, thesis = _fake_results()
    metrics["canonical"]["checkpoints"][-1] = dict(metrics["canonical"]["checkpoints"][-1], test_neg_elbo=137.5)
    row = loss_table(histories, metrics, variants, thesis).set_index("variant").loc["canonical"]
    assert row["knn_accuracy"] == 0.85 and row["test_neg_elbo"] == 137.5


def test_clusters_emerge_needs_a_gain_over_the_first_checkpoint():
    """Clusters *emerge* only if the k-NN accuracy rises: a latent clustered from the first checkpoint on
    (0.84 -> 0.85) is organised but shows no emergence."""
    variants, histories, metrics, thesis = _fake_results()
    for m in metrics.values():
        for c, acc in zip(m["checkpoints"], (0.84, 0.84, 0.85, 0.85)):
            c["knn_accuracy"] = acc
    table, ck = loss_table(histories, metrics, variants, thesis), checkpoint_table(histories, metrics, variants)
    thr = dict(claim_thresholds(), neighbour_pairs=[[4, 5]], neighbour_rank=2, knn_gain=0.2, knn_clustered=0.5)
    v = check_claims(table, ck, metrics, histories, variants, "canonical", thesis, thr).set_index("id")["verdict"]
    assert v["D.organised"] == "replicates" and v["D.clusters_emerge"] == "differs"

@pytest.mark.parametrize("scale", ["smoke", "cpu", "full"])
def test_config_validates_at_every_scale(scale):
    section = yaml.safe_load((CONFIG_DIR / "latent2d.yaml").read_text())["latent2d"]
    validate(section, SCHEMA_DIR / "latent2d.schema.yaml")
    s = study_settings({"scale": scale, "latent2d": section}, "latent2d")
    for v, spec in s["variants"].items():
        train = {**s["train"], **spec.get("train", {})}
        assert set(train["keep_epochs"]) <= set(range(1, train["epochs"] + 1)), (scale, v)
    if scale == "full":
        assert s["train"]["epochs"] == 500 and s["train"]["keep_epochs"] == [1, 5, 200, 500]
        assert s["variants"]["literal"]["model"]["kl_weight"] == 0.5
    with pytest.raises(PipelineError, match="unexpected"):
        validate(dict(section, colour="red"), SCHEMA_DIR / "latent2d.schema.yaml")


@pytest.mark.parametrize("fit, det, verdict", [(0.51, -1.0, "replicates"), (0.49, -1.0, "differs"),
                                               (0.9, 1.0, "differs")])
def test_mirror_claim_uses_the_configured_fit_threshold(fit, det, verdict):
    variants, histories, metrics, thesis = _fake_results()
    for m in metrics.values():
        m["reflection_penultimate_final"] = {"det": det, "is_reflection": det < 0, "angle_deg": 0.0, "fit": fit}
    thr = claim_thresholds()
    assert thr["mirror_fit"] == 0.5
    table = loss_table(histories, metrics, variants, thesis)
    claims = check_claims(table, checkpoint_table(histories, metrics, variants), metrics, histories, variants, "canonical",
                          thesis, thr).set_index("claim")["verdict"]
    assert claims["The final layout is almost a mirror image of the previous checkpoint's (200 -> 500 epochs)"] == verdict
