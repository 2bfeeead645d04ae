"""Study C claims against their null controls: C3's manipulation table and claims on constructed
models with known answers, every C1/C3 threshold just inside and just outside, and every claim on the models
at their seeded initialisation (real MNIST test images)."""

import pandas as pd
import pytest
import torch
import yaml

from vaerep.config import CONFIG_DIR
from vaerep.data import mnist
from vaerep.initialisation import init_parameters
from vaerep.models.vae2d_mnist import build_vae2d
from vaerep.models.vqvae import build_vqvae
from vaerep.train import TrainSettings, fit
from vaerep.vqvae.claims import check_claims as c3_claims
from vaerep.vqvae.evaluate import manipulation_table, mnist_to_float, reconstruction_metrics
from vaerep.vqvae.vae2d import check_claims as c1_claims
from vaerep.vqvae.vae2d import evaluate_vae2d, loss_table

C = yaml.safe_load((CONFIG_DIR / "vqvae.yaml").read_text())["vqvae"]
MANIP = C["manipulations"]
RR, RA = MANIP["respect_ratio"], MANIP["respect_anchor"]
METRICS = {"codes_used": 40, "codebook_size": 64, "perplexity": 30.0, "usage": 0.6}


class PixelGrid(torch.nn.Module):
    """A 'VQ-VAE' whose code is the image itself (1 pixel per cell): z = 2x - 1, decode(z) = 0.45 z + 0.5
    = 0.9 x + 0.05. Every grid op is exactly the pixel op, and decode(-z) = 1 - decode(z)."""

    def encode(self, x):
        return 2 * x - 1, torch.zeros(x.shape[0], *x.shape[-2:], dtype=torch.long)

    def decode(self, z):
        return 0.45 * z + 0.5


class Blind(PixelGrid):
    """Ignores its code: always the same grey image (an untrained or random-code model at its extreme)."""

    def decode(self, z):
        return torch.full_like(z, 0.3)


def _digits(n=16):
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, 16, 16)
    for i in range(n):
        r, c = torch.randint(0, 8, (2,), generator=g).tolist()
        x[i, 0, r:r + 9, c] = x[i, 0, r, c:c + 7] = 1.0  # an off-centre 'L' across both halves: every op moves it
    return x


def test_pixel_grid_respects_every_op_exactly():
    x = _digits()
    t = manipulation_table(PixelGrid(), x, 2, RR, respect_anchor=RA).set_index("operation")
    base = float((0.9 * x + 0.05 - x).pow(2).mean())
    assert t["mse_reconstruction"].iloc[0] == pytest.approx(base)
    # shift/rot/flip permute pixels: the error of decode(op z) against op(x) equals the reconstruction error
    for op in ("shift_x", "shift_y", "rot90", "flip_x", "flip_y"):
        assert t.loc[op, "ratio"] == pytest.approx(1.0)
        assert t.loc[op, "mse_no_op_vs_target"] > 10 * base and t.loc[op, "ratio_vs_no_op"] < RA
    assert t.loc["invert", "corr_with_reconstruction"] == pytest.approx(-1.0)
    assert t.loc["invert", "mse_vs_pixel_op"] == pytest.approx(base)  # 1 - (0.9x + 0.05) vs 1 - x
    assert bool(t["respects"].all())
    v = c3_claims(t.reset_index(), METRICS, RR, RA).set_index("claim")["verdict"]
    assert v.filter(like="robust to (cyclic) shifts").item() == "replicates"
    assert v.filter(like="Splicing").item() == "replicates"
    assert v.filter(like="inverts the image").item() == "replicates"
    assert v.filter(like="destroy").item() == "differs"  # this grid carries out rotation too


def test_blind_model_respects_nothing_although_its_old_ratio_is_one():
    t = manipulation_table(Blind(), _digits(), 2, RR, respect_anchor=RA).set_index("operation")
    assert t["ratio_vs_no_op"].tolist() == pytest.approx([1.0] * len(t))  # the anchor: decode(op z) = decode(z)
    assert t.loc[["shift_x", "shift_y", "flip_x", "flip_y", "rot90"], "ratio"].tolist() == pytest.approx([1.0] * 5)
    assert not t["respects"].any()
    claims = c3_claims(t.reset_index(), METRICS, RR, RA)
    assert "replicates" not in set(claims[~claims["claim"].str.startswith("(beyond")]["verdict"])


def _c3_table(anchor=0.1, ratio=1.1, rot_anchor=0.9, rot_ratio=4.0, inv_corr=-0.5, inv_anchor=0.8):
    rows = []
    for op in ("shift_x", "shift_y", "rot90", "flip_x", "flip_y", "splice_x", "splice_y", "invert"):
        a = rot_anchor if op in ("rot90", "flip_x", "flip_y") else inv_anchor if op == "invert" else anchor
        r = rot_ratio if op in ("rot90", "flip_x", "flip_y") else 4.0 if op == "invert" else ratio
        rows.append({"operation": op, "ratio": r, "ratio_vs_no_op": a, "mse_vs_pixel_op": 0.01,
                     "corr_with_reconstruction": inv_corr if op == "invert" else float("nan")})
    t = pd.DataFrame(rows)
    t["respects"] = (t["ratio"] <= RR) & (t["ratio_vs_no_op"] <= RA)
    return t


def _c3(**kw):
    return c3_claims(_c3_table(**kw), METRICS, RR, RA).set_index("claim")["verdict"]


@pytest.mark.parametrize("kw, like, verdict", [
    ({"anchor": RA - 1e-9}, "robust to (cyclic) shifts", "replicates"),
    ({"anchor": RA + 1e-9}, "robust to (cyclic) shifts", "differs"),
    ({"ratio": RR - 1e-9}, "Splicing", "replicates"),
    ({"ratio": RR + 1e-9}, "Splicing", "differs"),
    ({"rot_anchor": RA + 1e-9, "rot_ratio": 1.0}, "destroy", "replicates"),
    ({"rot_anchor": RA - 1e-9, "rot_ratio": 1.0}, "destroy", "differs"),
    ({"rot_anchor": 0.1, "rot_ratio": RR + 1e-9}, "destroy", "replicates"),
    ({"rot_anchor": 0.1, "rot_ratio": RR - 1e-9}, "destroy", "differs"),
    ({"anchor": RA + 1e-9}, "destroy", "differs"),  # no op carried out at all: nothing specific to rotation
    ({"inv_anchor": 1 - 1e-9}, "inverts the image", "replicates"),
    ({"inv_anchor": 1 + 1e-9}, "inverts the image", "differs"),
    ({"inv_corr": 1e-9}, "inverts the image", "differs"),
])
def test_c3_threshold_edges(kw, like, verdict):
    assert _c3(**kw).filter(like=like).item() == verdict


def _c1_table(kl_mse=(0.6, 0.6), kl_col=(0.01, 0.01), mse_ratio=0.7, knn=(0.6, 0.5), conv_gap=4.0, m1_mse=1.0,
              mean=0.1, std=0.9):
    base = 0.067
    rows = []
    for name, head, recon, kl, k in [("M1", "fc", "mse_sum", kl_mse, 0.6), ("M2", "fc", "bce", (2.0, 2.0), knn[0]),
                                     ("M3", "conv", "mse_sum", (2.0, 2.0), 0.5), ("M4", "conv", "bce", (2.0, 2.0), knn[1]),
                                     ("collapse", "fc", "mse_mean", kl_col, 0.11)]:
        rows.append({"model": name, "label": name, "head": head, "recon": recon, "epochs": 3,
                     "test_mse_per_pixel": mse_ratio * base * (m1_mse if name == "M1" else 1.0),
                     "test_mse_mean_image": base, "test_kl_z1": kl[0],
                     "test_kl_z2": kl[1], "generalisation_gap": conv_gap if head == "conv" else 1.0, "knn_accuracy": k,
                     "latent_mean_z1": mean, "latent_mean_z2": -0.1, "latent_std_z1": std, "latent_std_z2": 1.0})
    return pd.DataFrame(rows)


ROLES = {"fc_mse": "M1", "fc_bce": "M2", "conv_mse": "M3", "conv_bce": "M4", "collapse": "collapse"}
HIST = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [200.0, 160.0, 150.0], "train_rec": [199.0, 150.0, 140.0],
                     "train_kl": [1.0, 4.0, 6.0]})


def _c1(m1_loss=35.0, m1_kl=6.0, **kw):
    hist = {"M1": HIST.assign(train_loss=[60.0, 40.0, m1_loss], train_rec=[59.0, 36.0, 30.0], train_kl=[1.0, 4.0, m1_kl]),
            "M2": HIST}
    return c1_claims(_c1_table(**kw), hist, ROLES, C["vae2d"]["claims"], 15).set_index("claim")["verdict"]


def test_c1_claims_pass_on_a_constructed_trained_table():
    assert set(_c1()) == {"replicates"}, _c1()


THR = C["vae2d"]["claims"]


@pytest.mark.parametrize("kw, like, verdict", [
    ({"kl_mse": (THR["active_kl_per_dim"], 0.6)}, "avoids the collapse", "replicates"),
    ({"kl_mse": (THR["active_kl_per_dim"] - 1e-9, 0.6)}, "avoids the collapse", "differs"),
    ({"kl_mse": (THR["active_kl_per_dim"] - 1e-9, 0.6)}, "every image encodes to the centre", "differs"),
    ({"kl_col": (THR["collapse_kl_per_dim"] - 1e-9, 0.0)}, "every image encodes to the centre", "replicates"),
    ({"kl_col": (THR["collapse_kl_per_dim"], 0.0)}, "every image encodes to the centre", "differs"),
    ({"mse_ratio": THR["reconstructs_vs_mean_image"] - 1e-9}, "practically the same", "replicates"),
    ({"mse_ratio": THR["reconstructs_vs_mean_image"] + 1e-9}, "practically the same", "differs"),
    ({"mse_ratio": THR["reconstructs_vs_mean_image"] + 1e-9}, "much smaller than the BCE loss", "differs"),
    ({"knn": (0.6, THR["separates_knn"])}, "also separates some classes", "replicates"),
    ({"knn": (0.6, THR["separates_knn"] - 1e-9)}, "also separates some classes", "differs"),
    ({"knn": (THR["separates_knn"] - 1e-9, 0.2)}, "separates the digit classes better", "differs"),
    ({"kl_mse": (THR["active_kl_per_dim"] - 1e-9, 0.6)}, "M1 run the KL term is much smaller", "differs"),
    ({"m1_loss": THR["much_smaller"] * 150.0}, "much smaller than the BCE loss", "replicates"),
    ({"m1_loss": THR["much_smaller"] * 150.0 + 1e-6}, "much smaller than the BCE loss", "differs"),
    ({"m1_kl": THR["much_smaller"] * 30.0}, "M1 run the KL term is much smaller", "replicates"),
    ({"m1_kl": THR["much_smaller"] * 30.0 + 1e-6}, "M1 run the KL term is much smaller", "differs"),
    ({"m1_mse": THR["same_recon_ratio"] - 1e-6, "mse_ratio": 0.6}, "practically the same", "replicates"),
    ({"m1_mse": THR["same_recon_ratio"] + 1e-6, "mse_ratio": 0.6}, "practically the same", "differs"),
    ({"m1_mse": 1 / THR["same_recon_ratio"] + 1e-6, "mse_ratio": 0.6}, "practically the same", "replicates"),
    ({"m1_mse": 1 / THR["same_recon_ratio"] - 1e-6, "mse_ratio": 0.6}, "practically the same", "differs"),
    ({"mean": THR["normal_mean_abs"]}, "M2 model look roughly normal", "replicates"),
    ({"mean": THR["normal_mean_abs"] + 1e-6}, "M2 model look roughly normal", "differs"),
    ({"std": THR["normal_std"][0]}, "M2 model look roughly normal", "replicates"),
    ({"std": THR["normal_std"][0] - 1e-6}, "M2 model look roughly normal", "differs"),
    ({"std": THR["normal_std"][1]}, "M2 model look roughly normal", "replicates"),
    ({"std": THR["normal_std"][1] + 1e-6}, "M2 model look roughly normal", "differs"),
    ({"conv_gap": 1.0 + THR["overfit_margin_nats"] + 1e-6}, "tend to overfit", "replicates"),
    ({"conv_gap": 1.0 + THR["overfit_margin_nats"] - 1e-6}, "tend to overfit", "differs"),
])
def test_c1_threshold_edges(kw, like, verdict):
    assert _c1(**kw).filter(like=like).item() == verdict


@pytest.fixture(scope="module")
def mnist_test(request):
    from conftest import require_mnist

    arrays = mnist.load_arrays(require_mnist())
    return arrays["test_images"][:600], arrays["test_labels"][:600], arrays["train_images"][:600], \
        arrays["train_labels"][:600]


def test_c1_claims_all_fail_on_the_untrained_null(mnist_test, tmp_path):
    test_x, test_y, train_x, train_y = mnist_test
    table_metrics, histories, metas = {}, {}, {}
    for name, m in C["vae2d"]["models"].items():
        spec = {**C["vae2d"]["architecture"], "head": m["head"], "recon": m["recon"]}
        model = build_vae2d(spec)
        init_parameters(model, C["vae2d"]["train"]["seed"])
        settings = TrainSettings(epochs=0, batch_size=64, seed=C["vae2d"]["train"]["seed"])
        histories[name] = fit(model, [train_x], settings, tmp_path / name, device=torch.device("cpu"),
                              model_spec=spec, prepare=mnist_to_float, val=[test_x], log=lambda _: None)
        table_metrics[name], _ = evaluate_vae2d(model, test_x, test_y, train_x, train_y, 0, 5)
        metas[name] = {"n_train": len(train_x), "samples_per_s": None, "train_seconds": 0.0}
    table = loss_table(C["vae2d"]["models"], table_metrics, histories, metas)
    claims = c1_claims(table, histories, ROLES, THR, 15)
    assert len(claims) == 13 and "replicates" not in set(claims["verdict"]), claims[claims["verdict"] == "replicates"]


def test_c3_claims_all_fail_on_the_untrained_vqvae(mnist_test):
    x = mnist_to_float(mnist_test[0])
    model = build_vqvae(C["mnist"]["model"])
    init_parameters(model, C["mnist"]["train"]["seed"])
    model.eval()
    with torch.no_grad():
        table = manipulation_table(model, x, MANIP["shift_cells"], RR, respect_anchor=RA)
        metrics = reconstruction_metrics(model, x)
    claims = c3_claims(table, metrics, RR, RA)
    thesis = claims[~claims["claim"].str.startswith("(beyond")]
    assert len(thesis) == 4 and "replicates" not in set(thesis["verdict"]), thesis


def test_random_code_ignores_the_input_and_fails_every_c3_claim(mnist_test):
    from vaerep.vqvae.random_code import RandomCode

    x = mnist_to_float(mnist_test[0][:200])
    model = build_vqvae(C["mnist"]["model"])
    init_parameters(model, 0)
    rc = RandomCode(model.eval(), seed=0)
    z, idx = rc.encode(x)
    z2, idx2 = rc.encode(1 - x)
    assert torch.equal(idx, idx2) and torch.equal(z, z2)  # the code does not depend on the image
    assert idx.shape == model.encode(x)[1].shape and len(idx.unique()) > C["mnist"]["model"]["codebook_size"] // 2
    with torch.no_grad():
        table = manipulation_table(rc, x, MANIP["shift_cells"], RR, respect_anchor=RA)
    claims = c3_claims(table, reconstruction_metrics(rc, x), RR, RA)
    assert "replicates" not in set(claims[~claims["claim"].str.startswith("(beyond")]["verdict"]), claims
