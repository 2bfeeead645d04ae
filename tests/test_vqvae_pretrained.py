"""Study C4: offline photos, the choice DALL-E / substitute, the DALL-E path end to end on a tiny randomly
initialised dVAE saved as the official pickles and loaded through the verified loader, and the claim
verdicts. (The substitute path runs end to end in the smoke workflow run.)"""

import json
import socket

import pandas as pd
import pytest
import torch

from test_vqvae import _save_as_dall_e, _sha  # the DALL-E pickle writer of the loader tests
from vaerep.data import photos as P
from vaerep.errors import PipelineError
from vaerep.models import dalle_dvae
from vaerep.models.vqvae import VQVAE
from vaerep.vqvae import pretrained as PR
from vaerep.vqvae import pretrained_eval as E
from vaerep.vqvae import pretrained_figures
from vaerep.vqvae.registry import figure_files

CFG = {"source": "auto", "dalle": {"local_dir": None, "env_var": "DALLE_DVAE_DIR", "allow_download": False,
                                   "download_timeout_s": 1, "urls": dict(dalle_dvae.URLS),
                                   "sha256": {"encoder": None, "decoder": None}}}


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access")
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_bundled_photos_load_offline(no_network):
    img = P.load_rgb("camera")  # grey -> RGB
    assert img.dtype == torch.uint8 and img.shape == (3, 512, 512) and torch.equal(img[0], img[2])
    x = P.square_photo("chelsea", 64)
    assert x.shape == (3, 64, 64) and 0 <= float(x.min()) and float(x.max()) <= 1
    a, b = P.random_crops(["coffee", "moon"], 5, 16, 32, seed=3), P.random_crops(["coffee", "moon"], 5, 16, 32, seed=3)
    assert a.shape == (5, 3, 16, 16) and torch.equal(a, b)
    with pytest.raises(PipelineError, match="unknown photo"):
        P.load_rgb("penguin")
    with pytest.raises(PipelineError, match="exceeds"):
        P.random_crops(["coffee"], 1, 64, 32, seed=0)


def test_substitute_has_factor_8_rgb_grid():
    m = VQVAE(in_channels=3, channels=(8, 8, 8), embedding_dim=4, codebook_size=16, n_res=1)
    m.eval()
    z, idx = m.encode(torch.rand(2, 3, 64, 64))
    assert z.shape == (2, 4, 8, 8) and idx.shape == (2, 8, 8) and m.decode(z).shape == (2, 3, 64, 64)


def _tiny_dalle(tmp_path, monkeypatch):
    torch.manual_seed(0)
    enc = dalle_dvae.Encoder(n_hid=8, n_blk_per_group=1, vocab_size=16)
    dec = dalle_dvae.Decoder(n_init=8, n_hid=8, n_blk_per_group=1, vocab_size=16)
    for model, name in [(enc, "encoder.pkl"), (dec, "decoder.pkl")]:
        _save_as_dall_e(model, tmp_path / name, monkeypatch)
    return enc, dec, {p: _sha(tmp_path / f"{p}.pkl") for p in PR.PARTS}


def test_source_choice_and_reasons(tmp_path, monkeypatch):
    cfg = json.loads(json.dumps(CFG))
    assert PR.resolve_source(dict(cfg, source="substitute"), tmp_path, env={})["source"] == "substitute"
    (tmp_path / "w").mkdir()
    _, _, hashes = _tiny_dalle(tmp_path / "w", monkeypatch)
    env = {"DALLE_DVAE_DIR": str(tmp_path / "w")}
    info = PR.resolve_source(cfg, tmp_path / "cache", env=env)  # no hashes configured: never unpickled
    assert info["source"] == "substitute" and "no SHA-256" in info["reason"]
    assert f"has SHA-256 {hashes['encoder']}" in info["reason"]  # the user can check it and configure it
    with pytest.raises(PipelineError, match="no verified DALL-E"):
        PR.resolve_source(dict(cfg, source="dalle"), tmp_path / "cache", env=env)
    cfg["dalle"]["sha256"] = dict(hashes, decoder="0" * 64)
    info = PR.resolve_source(cfg, tmp_path / "cache", env=env)
    assert info["source"] == "substitute" and "config expects" in info["reason"]
    cfg["dalle"]["sha256"] = hashes
    info = PR.resolve_source(cfg, tmp_path / "cache", env=env)
    assert info["source"] == "dalle" and info["weights"]["encoder"]["sha256"] == hashes["encoder"]
    assert PR.resolve_source(cfg, tmp_path / "cache", env={})["source"] == "substitute"  # no folder given


def test_dalle_path_runs_through_the_same_figure_and_metric_code(tmp_path, monkeypatch):
    enc, dec, hashes = _tiny_dalle(tmp_path, monkeypatch)
    cfg = json.loads(json.dumps(CFG))
    cfg["dalle"].update(local_dir=str(tmp_path), sha256=hashes)
    info = PR.resolve_source(cfg, tmp_path / "cache", env={})
    model = PR.load_token_model(info)
    assert isinstance(model, PR.DalleTokenModel) and model.quantizer.codebook_size == 16
    photos = {n: P.square_photo(n, 32) for n in ("chelsea", "rocket", "astronaut")}
    x = torch.stack(list(photos.values()))
    z, idx = model.encode(x)
    assert z.shape == (3, 16, 4, 4) and torch.equal(idx, dalle_dvae.tokens(enc, x))
    assert torch.allclose(model.decode(z), dalle_dvae.decode_tokens(dec, idx))
    metrics = E.photo_metrics(model, photos, x[:2])
    assert metrics["grid"] == [4, 4] and metrics["pixels_per_cell"] == 8
    table = E.manipulations(model, x, 1, 1.5, 0.5)
    assert {"rot90", "shift_x", "shift_y", "invert"} <= set(table["operation"])
    out, paste, rec_paste, box = E.transplant(model, photos["chelsea"], photos["astronaut"], (0, 1, 2, 2), (1, 1))
    assert box == (8, 8, 16, 16) and torch.equal(paste[:, 8:24, 8:24], photos["astronaut"][:, 0:16, 8:24])
    metrics["transplant"] = E.transplant_metrics(out, paste, rec_paste, box)
    claims = E.check_claims("dalle", metrics, table, {"a": "chelsea", "b": "rocket"},
                            {"respect_ratio": 1.5, "respect_anchor": 0.5, "recognisable_corr": 0.5, "better_db": 1.0})
    assert set(claims["verdict"]) <= {"replicates", "differs"} and len(claims) == 5
    paths = {k: str(tmp_path / "figs" / f) for k, f in figure_files({}, "pretrained").items()}
    label = PR.model_label("dalle")
    pretrained_figures.photo_figures(model, x[:2], ["chelsea", "rocket"], label, paths)
    pretrained_figures.manipulation_figures(model, x[:2], 1, label, paths)
    pretrained_figures.transplant_figure(model, photos["chelsea"], photos["astronaut"], ["chelsea", "astronaut"],
                                         (0, 1, 2, 2), (1, 1), out, paste, label, paths["transplant"])
    assert all((tmp_path / "figs" / p.rsplit("/", 1)[1]).stat().st_size > 0 for p in paths.values())


def test_transplant_metrics_exact():
    paste = torch.zeros(3, 8, 8)
    out = paste.clone()
    out[:, 0:4, 0:4] = 1.0  # wrong exactly inside the box
    rec_paste = paste + 0.5
    m = E.transplant_metrics(out, paste, rec_paste, (0, 0, 4, 4))
    assert m["mse_inside"] == 1.0 and m["mse_outside"] == 0.0 and m["mse_vs_paste"] == 0.25
    assert m["ratio"] == pytest.approx(0.25 / 0.25)


def test_claim_verdicts_depend_on_the_model_that_ran():
    table = pd.DataFrame({"operation": ["shift_x", "shift_y", "rot90", "invert"], "ratio": [1.1, 1.2, 3.0, 9.0],
                          "ratio_vs_no_op": [0.2, 0.3, 0.9, 1.0], "respects": [True, True, False, False],
                          "corr_with_target": [0.9, 0.9, 0.6, 0.1]})
    metrics = {"photos": {"a": {"psnr_db": 25.0}, "b": {"psnr_db": 20.0}}, "codebook_size": 8,
               "usage_photos": {"codes_used": 2, "usage": 0.25, "perplexity": 1.9},
               "transplant": {"mse_vs_paste": 0.02, "ratio": 1.2, "mse_inside": 0.05, "mse_outside": 0.01}}
    p = {"respect_ratio": 1.5, "respect_anchor": 0.5, "recognisable_corr": 0.5, "better_db": 1.0}
    mnist = pd.DataFrame({"operation": ["rot90"], "ratio": [5.0]})
    d = E.check_claims("dalle", metrics, table, {"a": "a", "b": "b"}, p, mnist)
    assert list(d["verdict"]) == ["replicates"] * 6
    s = E.check_claims("substitute", metrics, table, {"a": "a", "b": "b"}, p, mnist)
    assert list(s["verdict"][:6]) == ["not comparable (substitute)"] * 6 and s["holds_on_this_model"][:6].all()
    assert s["verdict"].iloc[-1] == "does not hold"  # 2 of 8 codes used: collapse
    assert s["id"].iloc[-1] == "C4.substitute_codebook_in_use" and list(s["id"][:6]) == list(d["id"])
    table.loc[2, "corr_with_target"] = 0.95  # rotation no worse than the shifts: ranking claim fails
    ranked = E.check_claims("dalle", metrics, table, {"a": "a", "b": "b"}, p).set_index("id")["verdict"]
    assert ranked["C4.inversion_most_destructive"] == "differs" and ranked.tolist().count("differs") == 1


def test_dalle_null_control_never_loads_the_pretrained_weights(tmp_path, monkeypatch):
    """When source.json selects DALL-E, C4's null is its architecture at a seeded initialisation: the verified
    loader is never called, the weights equal a fresh seeded build bit for bit and differ from the real ones."""
    enc, dec, hashes = _tiny_dalle(tmp_path, monkeypatch)
    cfg = json.loads(json.dumps(CFG))
    cfg["dalle"].update(local_dir=str(tmp_path), sha256=hashes)
    info = PR.resolve_source(cfg, tmp_path / "cache", env={})
    assert info["source"] == "dalle"
    arch = {"n_hid": enc.n_hid, "n_blk_per_group": enc.n_blk_per_group, "vocab_size": enc.vocab_size,
            "n_init": dec.n_init}

    def refuse(*args, **kwargs):
        raise AssertionError("the null control loaded the pretrained weights")
    monkeypatch.setattr(dalle_dvae, "load_verified", refuse)
    null = PR.load_token_model(info, None, {"architecture": arch, "seed": 3})
    again = PR.dalle_null_model(arch, 3)
    for part, real in (("encoder", enc), ("decoder", dec)):
        got, ref = getattr(null, part).state_dict(), getattr(again, part).state_dict()
        assert got.keys() == real.state_dict().keys()
        assert all(torch.equal(got[k], ref[k]) for k in got)
        assert not all(torch.equal(got[k], v) for k, v in real.state_dict().items())
    with pytest.raises(AssertionError, match="loaded the pretrained"):
        PR.load_token_model(info, None)  # the trained path does load them
