"""Null controls of Studies A and D: Study A's metrics on constructed inputs with known answers, and every
A/D claim check run on untrained models (seeded initialisation) evaluated on real MNIST images by the
pipeline's own evaluation and claim code: a claim may pass there only where the scorecard then marks it
not informative. Thresholds: a value just inside passes, just outside fails."""

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import require_mnist

from vaerep import scorecard as sc
from vaerep.config import CONFIG_DIR
from vaerep.data import cmnist
from vaerep.data.mnist import load_arrays
from vaerep.initialisation import init_parameters
from vaerep.latent2d import evaluate as dev
from vaerep.latent2d.claims import check_claims as d_claims
from vaerep.latent2d.table import checkpoint_table, loss_table
from vaerep.models.conv2d_vae import build_conv2d_vae, to_float
from vaerep.models.smvae import build_smvae
from vaerep.smvae import evaluate as aev
from vaerep.smvae.claims import check_claims as a_claims
from vaerep.train import TrainSettings, fit, load_model

CPU = torch.device("cpu")


def section(study):
    return yaml.safe_load((CONFIG_DIR / f"{study}.yaml").read_text())[study]


def tolerances(study):
    return yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())["scorecard"]["tolerances"][study]


# ---- Study A's metrics on inputs with known answers ----------------------------------------------------

def test_spearman_known_values():
    a = torch.arange(10.0)
    assert aev.spearman(a, a ** 3) == pytest.approx(1.0)
    assert aev.spearman(a, -a) == pytest.approx(-1.0)
    # ranks 1..5 against 2,1,4,3,5: rho = 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6 * 4 / 120 = 0.8
    assert aev.spearman(torch.arange(5.0), torch.tensor([2.0, 1, 4, 3, 5])) == pytest.approx(0.8)


def test_held_out_r2_known_values():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(2000, 2, generator=g)
    assert aev.held_out_r2(f, 1 + f[:, 0] - 2 * f[:, 0] * f[:, 1]) == pytest.approx(1.0, abs=1e-9)
    noise = torch.randn(2000, generator=g)
    assert abs(aev.held_out_r2(f, noise)) < 0.02  # the latents carry nothing about an independent target
    # half signal, half independent noise of equal variance: R^2 = 0.5
    assert aev.held_out_r2(f, f[:, 0] + noise) == pytest.approx(0.5, abs=0.05)


def test_held_out_r2_is_scored_on_the_other_half():
    """Scored on the images it was fitted to, a least-squares fit with an intercept has R^2 >= 0 always; on
    the held-out half a fit of 6 quadratic features to 15 images of pure noise has R^2 below 0 on average."""
    r2 = []
    for seed in range(10):
        g = torch.Generator().manual_seed(seed)
        r2.append(aev.held_out_r2(torch.randn(30, 2, generator=g), torch.randn(30, generator=g), seed=seed))
    assert np.mean(r2) < 0

def _split(n_base=50, contrasts=(0.2, 0.5, 0.8, 1.0)):
    k = len(contrasts)
    return {"contrast": torch.tensor(contrasts).repeat_interleave(n_base), "base_index": torch.arange(n_base).repeat(k),
            "label": (torch.arange(n_base) % 10).repeat(k)}


def test_invariance_of_a_contrast_invariant_code_and_of_a_radius_code():
    split = _split()
    g = torch.Generator().manual_seed(0)
    shape = torch.randn(50, 2, generator=g).repeat(4, 1)  # same code at every contrast
    mean = torch.cat([shape, split["contrast"].unsqueeze(1)], 1)
    out = aev.invariance(mean, torch.ones_like(mean), split, "post")
    assert out["shape_drift"] == pytest.approx(0.0, abs=1e-6)
    assert out["direction_cos_same_digit"] == pytest.approx(1.0)
    assert out["c_spearman"] == pytest.approx(1.0) and out["contrast_r2_c"] == pytest.approx(1.0)
    # the standard VAE's "radius = contrast": z = contrast * unit direction of the digit
    unit = torch.eye(3)[torch.randint(3, (50,), generator=g)].repeat(4, 1)  # exact unit norms
    z = unit * split["contrast"].unsqueeze(1)
    out = aev.invariance(z, torch.ones_like(z), split, "none")
    assert out["radius_spearman"] == pytest.approx(1.0, abs=1e-6)
    assert out["direction_cos_same_digit"] == pytest.approx(1.0)
    assert out["shape_drift"] > 0.2  # the code itself moves with contrast


def test_direction_knn_digit_known_values():
    split = _split(n_base=200)
    g = torch.Generator().manual_seed(0)
    label = torch.randint(10, (200,), generator=g)
    split["label"] = label.repeat(4)
    angle = label.double() * 2 * torch.pi / 10
    per_digit = torch.stack([angle.cos(), angle.sin()], 1).repeat(4, 1)
    scaled = per_digit * split["contrast"].unsqueeze(1).double()  # the radius moves, the direction does not
    assert aev.direction_knn_digit(scaled, split) == pytest.approx(1.0)
    random = torch.randn(800, 2, generator=g)
    assert aev.direction_knn_digit(random, split) < 0.2  # chance 0.1


def test_direction_knn_reads_the_highest_contrast_as_the_reference():
    """References are the images at the highest contrast. Digit d's direction at contrasts 0.6 and 1.0, that of
    digit d + 1 at 0.2: the 0.6 queries are all right, the 0.2 ones all wrong, accuracy exactly 0.5."""
    split = _split(n_base=60, contrasts=(0.2, 0.6, 1.0))
    digit = split["label"] + (split["contrast"] == 0.2).long()
    angle = digit.double() * 2 * torch.pi / 10
    assert aev.direction_knn_digit(torch.stack([angle.cos(), angle.sin()], 1), split) == pytest.approx(0.5)

def test_direction_knn_never_lets_an_image_find_itself():
    """A code that tells images apart but not digits: 20 images on a circle (angle 2 pi i / 20, digit i % 10),
    the same direction at every contrast. Each image's nearest *other* image (i +- 1) is another digit, so the
    1-NN vote is always wrong (0.0); reading its own image at the highest contrast would score 1.0."""
    split = _split(n_base=20, contrasts=(0.5, 1.0))
    angle = split["base_index"].double() * 2 * torch.pi / 20
    assert aev.direction_knn_digit(torch.stack([angle.cos(), angle.sin()], 1), split, k=1) == 0.0

# ---- null models on real MNIST --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mnist():
    return load_arrays(Path(require_mnist()))


A_SPECS = {"standard": {"mix": "none"}, "pre_normal": {"mix": "pre", "c_dist": "normal"},
           "pre_gamma1": {"mix": "pre", "c_dist": "gamma", "alpha": 1.0},
           "pre_gamma3": {"mix": "pre", "c_dist": "gamma", "alpha": 3.0},
           "post_lognormal": {"mix": "post", "c_dist": "lognormal"}}
# Claims an untrained SMVAE passes (measured): its c std is flat in contrast; the untrained post logNormal's
# -ELBO explodes (thousands of nats), leaving the Standard VAE lowest by more than the tolerance. The
# scorecard must mark them not informative. (The direction claim passed too while it was judged by cosines
# alone: an untrained ReLU encoder is nearly scale-equivariant; the digit k-NN on directions now decides.)
A_HOLD_ON_NULL = {"A.standard_best", "A.post_lognormal.c_std_flat"}  # claim IDs


@pytest.fixture(scope="module")
def a_null_claims(mnist):
    test = cmnist.build(mnist["test_images"][:300], mnist["test_labels"][:300], [0.2, 0.5, 0.8, 1.0])
    rows, posts = [], []
    for v, spec in A_SPECS.items():
        for seed in (0, 1, 2):
            model = build_smvae(spec)
            init_parameters(model, seed)
            model.eval()
            terms = aev.table_terms(model, test, CPU, 1234, 8)
            mean, std = aev.posterior_moments(model, test, CPU)
            rows.append({"variant": v, "seed": seed, **terms, **aev.invariance(mean, std, test, model.mix, seed=1234)})
            post = aev.posterior_by_contrast(mean, std, test["contrast"], model.mix)
            posts.append(post.assign(variant=v, seed=seed))
    per_seed = pd.DataFrame(rows)
    thr = {**section("smvae")["claims"], "elbo_margin": tolerances("smvae")["neg_elbo"]}
    return a_claims(per_seed, per_seed, pd.concat(posts), thr)


def test_study_a_claims_on_the_untrained_model(a_null_claims):
    verdict = a_null_claims.set_index("id")["verdict"]
    assert len(verdict) == 14
    holds = set(verdict[verdict == "replicates"].index)
    assert holds == A_HOLD_ON_NULL, holds
    # every one of them is then "not informative" in the scorecard, never "replicates"
    rows = [{"study": "A smvae", "claim_id": i, "source": "s", "claim": "c", "thesis_value": "claim",
             "replicated_value": "e", "verdict": "replicates", "reason": ""} for i in verdict.index]
    null = sc.claim_rows("A smvae", _csv(a_null_claims))
    out = sc.attach_null(rows, null)
    assert {r["claim_id"] for r in out if r["verdict"] == "replicates"} == set(verdict.index) - A_HOLD_ON_NULL
    assert {r["claim_id"] for r in out if r["verdict"] == sc.NOT_INFORMATIVE} == A_HOLD_ON_NULL


def _csv(frame):
    import tempfile

    path = Path(tempfile.mkdtemp()) / "claims.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def d_null(mnist, tmp_path_factory):
    """Study D's canonical model at its seeded initialisation, through fit(epochs=0) and the evaluation
    functions of rule latent2d_evaluate, on 600 test and 2,000 training images."""
    spec = section("latent2d")["variants"]["canonical"]["model"]
    test_x, test_y = mnist["test_images"][:600], mnist["test_labels"][:600].numpy()
    train_x, train_y = mnist["train_images"][:2000], mnist["train_labels"][:2000].numpy()
    out = tmp_path_factory.mktemp("d_null")
    model = build_conv2d_vae(spec)
    hist = fit(model, [train_x], TrainSettings(epochs=0, batch_size=128, seed=0), out, device=CPU, model_spec=spec,
               prepare=to_float, log=lambda s: None)
    model.eval()
    terms = dev.test_terms(model, test_x, 1234)
    z = dev.latent_means(model, test_x)
    cn = dev.centroid_neighbours(z, test_y)
    ck = {"epoch": 0, **{f"test_{k}": v for k, v in terms.items()},
          "knn_accuracy": dev.knn_accuracy(dev.latent_means(model, train_x), train_y, z, test_y, 5),
          "classes": cn["classes"], "centroid_distance": cn["distance"], "neighbours": cn["neighbours"],
          "nearest_pairs": dev.nearest_pairs(cn["neighbours"])}
    cent = {c: z[test_y == c].mean(0) for c in range(10)}
    transitions = []
    for a, b in section("latent2d")["claims"]["transition_pairs"]:
        path = dev.path_smoothness(model, cent[a], cent[b], 10)
        transitions.append({"from": a, "to": b, **path,
                            "span": path["path_length"] / dev.class_mean_distance(test_x, test_y, a, b)})
    metrics = {"canonical": {"epochs": [0], "checkpoints": [ck], "n_test": 600, "knn_k": 5, "transitions": transitions,
                             "sharpness_ratio": dev.sharpness_ratio(model, test_x),
                             "digit_kept": dev.digit_kept(model, test_x, test_y, train_x, train_y, 5),
                             "reflection_penultimate_final": dev.reflection(z, z)}}
    return hist, metrics, out


def test_zero_epochs_saves_the_seeded_initialisation_and_logs_its_loss(d_null):
    hist, _, out = d_null
    saved = load_model(out / "model.pt", build_conv2d_vae).state_dict()
    fresh = build_conv2d_vae(section("latent2d")["variants"]["canonical"]["model"])
    init_parameters(fresh, 0)
    assert all(torch.equal(saved[k], v) for k, v in fresh.state_dict().items())  # the seed's init, untouched
    assert list(hist["epoch"]) == [0] and hist["train_loss"].iloc[0] > 400  # an untrained decoder: ~ 784 ln 2
    assert set(hist.columns) >= {"train_loss", "train_rec", "train_kl", "train_kl_per_dim"}


def test_study_d_claims_on_the_untrained_model(d_null):
    hist, metrics, _ = d_null
    d = section("latent2d")
    variants = {"canonical": d["variants"]["canonical"]}
    histories = {"canonical": hist}
    table = loss_table(histories, metrics, variants, d["thesis"])
    ck = checkpoint_table(histories, metrics, variants)
    thr = {**d["claims"], "loss_tolerance": tolerances("latent2d")}
    claims = d_claims(table, ck, metrics, histories, variants, "canonical", d["thesis"], thr).set_index("claim")
    assert not (claims["verdict"] == "replicates").any(), claims[claims["verdict"] == "replicates"]
    # the two-checkpoint claims are measured on the null's one state against itself, by the same code
    mirror = claims.loc["The final layout is almost a mirror image of the previous checkpoint's (200 -> 500 epochs)"]
    assert "det +1 (rotation" in mirror["evidence"] and "fit 1.00" in mirror["evidence"] and not mirror["holds_on_this_model"]
    drop = claims.filter(like="lower than at the previous checkpoint", axis=0).iloc[0]
    assert "drop 0.00" in drop["evidence"] and "compared with itself" in drop["evidence"]
    m = metrics["canonical"]
    # the metrics that replaced ones an untrained model passed: it does not keep the digit, its paths do not move
    assert m["digit_kept"]["reconstructions"] < d["claims"]["digit_kept"] <= m["digit_kept"]["originals"]
    assert all(t["span"] < d["claims"]["transition_span"] for t in m["transitions"])
    assert all(t["max_step_fraction"] <= d["claims"]["smooth_max_step"] for t in m["transitions"])  # the old check passed


# ---- thresholds: just inside passes, just outside fails -------------------------------------------------

def _d_claims_with(**changes):
    from test_latent2d import _fake_results, claim_thresholds

    variants, histories, metrics, thesis = _fake_results(drop=changes.pop("drop", 2.0))
    for m in metrics.values():
        m["transitions"][0]["span"] = changes.pop("span", 1.0) if "span" in changes else m["transitions"][0]["span"]
        m["digit_kept"]["reconstructions"] = changes.get("kept", 0.8)
    table = loss_table(histories, metrics, variants, thesis)
    ck = checkpoint_table(histories, metrics, variants)
    return d_claims(table, ck, metrics, histories, variants, "canonical", thesis, claim_thresholds()).set_index("claim")["verdict"]


def test_d_thresholds_just_inside_and_outside():
    thr = section("latent2d")["claims"]
    drop = "The final (500-epoch) loss is about 2.0 lower than at the previous checkpoint (200 epochs)"
    assert _d_claims_with(drop=2.0 - thr["drop_tolerance"] + 0.01)[drop] == "replicates"
    assert _d_claims_with(drop=2.0 - thr["drop_tolerance"] - 0.01)[drop] == "differs"
    assert _d_claims_with(drop=0.0)[drop] == "differs"  # no drop at all fails
    smooth = "Moving between the 0 and 9 regions the decoded digits change smoothly"
    assert _d_claims_with(span=thr["transition_span"] + 0.01)[smooth] == "replicates"
    assert _d_claims_with(span=thr["transition_span"] - 0.01)[smooth] == "differs"
    blur = "Reconstructions keep the digit but are blurry"
    assert _d_claims_with(kept=thr["digit_kept"] + 0.01)[blur] == "replicates"
    assert _d_claims_with(kept=thr["digit_kept"] - 0.01)[blur] == "differs"


def test_d_loss_tolerance_is_the_scorecards_per_quantity():
    from test_latent2d import _fake_results, claim_thresholds

    tol = tolerances("latent2d")
    for kl_off, expected in ((tol["kl"] - 0.01, "replicates"), (tol["kl"] + 0.01, "differs")):
        variants, histories, metrics, thesis = _fake_results()
        for h in histories.values():
            h["train_kl"] = 3.8 + kl_off
        table = loss_table(histories, metrics, variants, thesis)
        ck = checkpoint_table(histories, metrics, variants)
        v = d_claims(table, ck, metrics, histories, variants, "canonical", thesis, claim_thresholds()).set_index("claim")["verdict"]
        assert v["After 500 epochs the training KL is about 3.8"] == expected


THESIS = ["standard", "post_lognormal", "pre_normal", "pre_gamma1", "pre_gamma3"]


def _a_claims(**kw):
    """Study A's claim verdicts on synthetic per-seed numbers built to replicate, with one quantity changed."""
    return _a_claims_full(**kw)["verdict"]


def _a_claims_full(elbo_gap=3.0, z_std_fall=0.5, knn=0.6, drifts=None, elbo=None):
    """Study A's claims table (indexed by claim ID) on synthetic per-seed numbers built to replicate."""
    drifts = drifts or {"post_lognormal": 0.1, "pre_normal": 0.3, "pre_gamma1": 0.4, "pre_gamma3": 0.4}
    elbo = elbo or {"standard": 118.0, "post_lognormal": 118.0 + elbo_gap, "pre_normal": 127.0, "pre_gamma1": 129.0,
                    "pre_gamma3": 129.1}
    rows = []
    for v in THESIS:
        for seed in (0, 1, 2):
            rows.append({"variant": v, "seed": seed, "neg_elbo": elbo[v], "contrast_r2_shape": 0.6,
                         "shape_drift": drifts.get(v, 0.5), "contrast_r2_c": 0.9, "c_spearman": 0.9,
                         "radius_spearman": 0.9, "direction_cos_same_digit": 0.95, "direction_cos_other_digit": 0.3,
                         "direction_knn_digit": knn})
    per = pd.DataFrame(rows)
    post = []
    for c in (0.2, 1.0):
        for dim, std in (("z1", 1.0 if c < 1 else 1.0 - z_std_fall), ("z2", 1.0 if c < 1 else 1.0 - z_std_fall),
                         ("c", 0.5)):
            post.append({"variant": "post_lognormal", "seed": 0, "contrast": c, "dim": dim, "mean": 0.0, "std": std})
    thr = {**section("smvae")["claims"], "elbo_margin": tolerances("smvae")["neg_elbo"]}
    return a_claims(per, per, pd.DataFrame(post), thr).set_index("id")


def test_a_thresholds_just_inside_and_outside():
    thr = section("smvae")["claims"]
    margin = tolerances("smvae")["neg_elbo"]
    best = "A.standard_best"
    assert _a_claims(elbo_gap=margin + 0.01)[best] == "replicates"
    assert _a_claims(elbo_gap=margin - 0.01)[best] == "differs"
    fall = "A.post_lognormal.z_std_falls"
    assert _a_claims(z_std_fall=thr["std_decrease_relative"] + 0.01)[fall] == "replicates"
    assert _a_claims(z_std_fall=thr["std_decrease_relative"] - 0.01)[fall] == "differs"
    direction = "A.standard.direction_digit"
    assert _a_claims(knn=thr["direction_knn"] + 0.01)[direction] == "replicates"
    assert _a_claims(knn=thr["direction_knn"] - 0.01)[direction] == "differs"
    most = "A.most_invariant"
    assert _a_claims()[most] == "replicates"
    tie = {"post_lognormal": 0.3, "pre_normal": 0.3, "pre_gamma1": 0.3, "pre_gamma3": 0.3}
    assert _a_claims(drifts=tie)[most] == "differs"  # identical untrained encoders tie: not "the most"


def _stated_chance(evidence: str) -> float:
    n = re.search(r"chance: (?:at most )?1 in (\d+)", evidence)
    return 1 / int(n.group(1))


def test_a_order_claims_state_their_chance_level_under_interchangeable_models():
    """The chance a claim states equals the pass rate over every assignment of the measured values to the models
    (all 120 orders of five -ELBOs, all 24 of four drifts), counted with the claim code itself."""
    rank, most = "A.ranking", "A.most_invariant"
    values = [118.0, 121.0, 127.0, 129.0, 129.1]
    passes, evidence = [], None
    for perm in itertools.permutations(values):
        out = _a_claims_full(elbo=dict(zip(THESIS, perm)))
        passes.append(out.loc[rank, "verdict"] == "replicates")
        evidence = out.loc[rank, "evidence"]
    assert np.mean(passes) == pytest.approx(_stated_chance(evidence))
    drifts = [0.1, 0.3, 0.4, 0.5]
    passes = []
    for perm in itertools.permutations(drifts):
        out = _a_claims_full(drifts=dict(zip(THESIS[1:], perm)))
        passes.append(out.loc[most, "verdict"] == "replicates")
        evidence = out.loc[most, "evidence"]
    assert np.mean(passes) == pytest.approx(_stated_chance(evidence))
    best = "A.standard_best"
    assert _stated_chance(out.loc[best, "evidence"]) == pytest.approx(1 / 5)
