"""Study C: latent manipulations on known grids, the quantiser (straight-through gradient, losses), shapes,
and the verified DALL-E dVAE loader."""

import hashlib

import pytest
import torch

from vaerep.errors import PipelineError
from vaerep.models.vqvae import VQVAE, VectorQuantizer, usage_stats
from vaerep.vqvae import manipulations

G = torch.arange(9).view(3, 3)  # [[0,1,2],[3,4,5],[6,7,8]]: rows = y, columns = x


def test_shifts_are_cyclic():
    assert manipulations.shift_x(G, 1).tolist() == [[2, 0, 1], [5, 3, 4], [8, 6, 7]]
    assert manipulations.shift_y(G, 1).tolist() == [[6, 7, 8], [0, 1, 2], [3, 4, 5]]
    assert manipulations.shift_x(G, -1).tolist() == [[1, 2, 0], [4, 5, 3], [7, 8, 6]]
    assert torch.equal(manipulations.shift_x(G, 3), G)


def test_rot_and_flips():
    assert manipulations.rot90(G).tolist() == [[2, 5, 8], [1, 4, 7], [0, 3, 6]]  # counter-clockwise
    assert torch.equal(manipulations.rot90(G, 4), G)
    assert manipulations.flip_x(G).tolist() == [[2, 1, 0], [5, 4, 3], [8, 7, 6]]
    assert manipulations.flip_y(G).tolist() == [[6, 7, 8], [3, 4, 5], [0, 1, 2]]


def test_splices():
    b = G + 10
    assert manipulations.splice_x(G, b).tolist() == [[0, 11, 12], [3, 14, 15], [6, 17, 18]]
    assert manipulations.splice_y(G, b).tolist() == [[0, 1, 2], [13, 14, 15], [16, 17, 18]]
    assert manipulations.splice_x(G, b, split=2).tolist() == [[0, 1, 12], [3, 4, 15], [6, 7, 18]]


def test_invert_and_transplant():
    z = torch.randn(2, 4, 3, 3)
    assert torch.equal(manipulations.invert(z), -z)
    out = manipulations.transplant(G, G + 10, (0, 0, 2, 1), dst_box=(1, 2))
    assert out.tolist() == [[0, 1, 2], [3, 4, 10], [6, 7, 13]]
    assert G.tolist()[0] == [0, 1, 2]  # the input is not modified


def test_ops_act_on_the_spatial_dims_of_a_batch_of_grids():
    z = torch.randn(2, 16, 7, 7)
    for name, (lat, pix) in manipulations.unary_ops(2).items():
        out = lat(z)
        assert out.shape == z.shape
        for c in range(16):  # every channel moves the same way as an index map would
            assert torch.equal(out[1, c], lat(z[1, c]))


def test_pixel_twins_move_the_image_as_the_latent_op_moves_the_grid():
    """A latent op and its pixel-space twin commute with up-sampling by the down-sampling factor f: shifting
    the grid by 2 cells is shifting the (nearest-neighbour up-sampled) image by 2 f pixels, and so on."""
    z = torch.arange(49.0).view(1, 1, 7, 7)
    f = 4

    def up(g):
        return g.repeat_interleave(f, -1).repeat_interleave(f, -2)

    for name, (lat, pix) in manipulations.unary_ops(2).items():
        assert torch.equal(pix(up(z), f), up(lat(z))), name

def test_quantiser_straight_through_and_losses():
    q = VectorQuantizer(4, 2, beta=0.25, init="uniform")
    q.codebook.data = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    z_e = torch.tensor([[0.1, 0.9], [0.8, 0.2]]).T.reshape(1, 2, 1, 2).clone().requires_grad_(True)
    z_st, idx, cb, commit = q(z_e)
    assert idx.tolist() == [[[2, 1]]]
    assert torch.allclose(z_st, q.lookup(idx))  # forward: the quantised vectors
    expected = ((0.1 ** 2 + 0.1 ** 2) + (0.2 ** 2 + 0.2 ** 2)) / 4
    assert cb.item() == pytest.approx(expected) and commit.item() == pytest.approx(expected)
    # straight-through: d(sum z_st)/d z_e = 1, and no gradient reaches the codebook through z_st
    z_st.sum().backward()
    assert torch.equal(z_e.grad, torch.ones_like(z_e))
    assert q.codebook.grad is None or torch.all(q.codebook.grad == 0)
    # the codebook loss moves only the codebook, the commitment loss only the encoder output
    z_e.grad = None
    _, _, cb, commit = q(z_e)
    cb.backward(retain_graph=True)
    assert z_e.grad is None and q.codebook.grad.abs().sum() > 0
    q.codebook.grad = None
    commit.backward()
    assert z_e.grad.abs().sum() > 0 and (q.codebook.grad is None or torch.all(q.codebook.grad == 0))


def test_vqvae_shapes_and_loss_terms():
    m = VQVAE(channels=(8, 16), embedding_dim=16, codebook_size=64)
    x = torch.rand(5, 1, 28, 28)
    m.train()
    terms = m.loss_terms(x)
    assert set(terms) == {"loss", "mse", "codebook", "commitment"}
    assert torch.allclose(terms["loss"], terms["mse"] + terms["codebook"] + 0.25 * terms["commitment"])
    assert bool(m.quantizer.initialised)  # k-means init on the first training batch
    terms["loss"].backward()
    assert m.encoder[0].weight.grad.abs().sum() > 0  # gradient reaches the encoder through the quantiser
    m.eval()
    z, idx = m.encode(x)
    assert z.shape == (5, 16, 7, 7) and idx.shape == (5, 7, 7)
    assert m.decode(z).shape == x.shape and m.decode(manipulations.invert(z)).shape == x.shape


def test_commitment_beta_weights_the_encoder_term_only():
    """Loss = MSE + codebook + beta x commitment (eq. 3.32): beta scales the commitment gradient reaching the
    encoder, the codebook gets the codebook loss's gradient unscaled (the two losses are equal in value, so only
    the gradients tell them apart)."""
    torch.manual_seed(0)
    m = VQVAE(channels=(4, 8), embedding_dim=4, codebook_size=8, beta=0.25, init="uniform").train()
    x = torch.rand(3, 1, 28, 28)
    terms = m.loss_terms(x)
    book, enc = m.quantizer.codebook, m.encoder[-1].weight

    def grad(term, p):
        return torch.autograd.grad(term, p, retain_graph=True, allow_unused=True)[0]

    assert torch.allclose(grad(terms["loss"], book), grad(terms["codebook"], book))
    assert torch.allclose(grad(terms["loss"], enc), grad(terms["mse"], enc) + 0.25 * grad(terms["commitment"], enc),
                          atol=1e-7)
    assert grad(terms["commitment"], enc).abs().sum() > 0

def test_dead_code_restart_revives_unused_codes():
    q = VectorQuantizer(8, 2, init="uniform", restart_every=1)
    q.train()
    q.codebook.data = torch.zeros(8, 2)
    q.codebook.data[1:] = 100.0  # far away: never chosen
    q(torch.randn(4, 2, 3, 3))
    assert int(q.n_restarts) == 7 and q.codebook.data[1:].abs().max() < 100


def test_psnr_is_ten_log10_of_one_over_the_mse():
    from vaerep.vqvae.evaluate import per_image_mse, psnr

    assert torch.allclose(psnr(torch.tensor([1e-2, 1e-4, 1.0])), torch.tensor([20.0, 40.0, 0.0]))
    x = torch.zeros(2, 1, 4, 4)
    rec = x.clone()
    rec[0] += 0.1  # every pixel 0.1 off: MSE 0.01, 20 dB
    rec[1, 0, 0, 0] = 0.4  # one pixel of 16 off by 0.4: MSE 0.01, 20 dB
    assert torch.allclose(psnr(per_image_mse(rec, x)), torch.tensor([20.0, 20.0]), atol=1e-4)


def test_usage_stats():
    s = usage_stats(torch.tensor([0, 1, 2, 3]), 8)
    assert s["codes_used"] == 4 and s["usage"] == 0.5 and s["perplexity"] == pytest.approx(4.0)
    assert usage_stats(torch.zeros(10, dtype=torch.long), 8)["perplexity"] == pytest.approx(1.0)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _save_as_dall_e(obj, path, monkeypatch):
    """Pickle ``obj`` as the official files are: classes named dall_e.encoder.*, dall_e.decoder.*,
    dall_e.utils.Conv2d (a module that does not exist once the file is written)."""
    import sys
    from vaerep.models import dalle_dvae

    with monkeypatch.context() as mp:
        mp.setitem(sys.modules, "dall_e", dalle_dvae)
        for mod, classes in {"dall_e.encoder": ["Encoder", "EncoderBlock"], "dall_e.decoder": ["Decoder", "DecoderBlock"],
                             "dall_e.utils": ["Conv2d"]}.items():
            mp.setitem(sys.modules, mod, dalle_dvae)
            for c in classes:
                mp.setattr(getattr(dalle_dvae, c), "__module__", mod)
        torch.save(obj, path)
    assert "dall_e" not in sys.modules and b"dall_e." in path.read_bytes()


@pytest.mark.parametrize("form", ["dall_e_pickle", "module", "state_dict"])
def test_dalle_loader_verifies_then_loads(tmp_path, form, monkeypatch):
    from vaerep.models import dalle_dvae

    torch.manual_seed(0)
    enc = dalle_dvae.Encoder(n_hid=8, n_blk_per_group=1, vocab_size=16)
    dec = dalle_dvae.Decoder(n_init=8, n_hid=8, n_blk_per_group=1, vocab_size=16)
    pe, pd_ = tmp_path / "encoder.pkl", tmp_path / "decoder.pkl"
    for model, path in [(enc, pe), (dec, pd_)]:
        if form == "dall_e_pickle":
            _save_as_dall_e(model, path, monkeypatch)
        else:
            torch.save(model if form == "module" else model.state_dict(), path)
    enc2 = dalle_dvae.load_verified(str(pe), _sha(pe), "encoder")
    dec2 = dalle_dvae.load_verified(str(pd_), _sha(pd_).upper(), "decoder")
    x = torch.rand(2, 3, 32, 32)
    idx = dalle_dvae.tokens(enc2, x)
    assert idx.shape == (2, 4, 4) and torch.equal(idx, dalle_dvae.tokens(enc, x))
    out = dalle_dvae.decode_tokens(dec2, idx)
    assert out.shape == x.shape and torch.allclose(out, dalle_dvae.decode_tokens(dec, idx))
    with pytest.raises(PipelineError, match="refusing to unpickle"):
        dalle_dvae.load_verified(str(pe), "0" * 64, "encoder")
    with pytest.raises(PipelineError, match="no expected SHA-256"):
        dalle_dvae.load_verified(str(pe), None, "encoder")


def test_dalle_architecture_matches_the_published_one():
    from vaerep.models import dalle_dvae

    enc = dalle_dvae.Encoder()  # published sizes: 8192 tokens, 256x256 -> 32x32
    names = dict(enc.named_parameters())
    assert names["blocks.output.conv.w"].shape == (8192, 2048, 1, 1)
    assert names["blocks.group_2.block_1.id_path.w"].shape == (512, 256, 1, 1)
    assert "blocks.group_1.block_2.res_path.conv_4.b" in names
    with torch.device("meta"):
        logits = dalle_dvae.Encoder()(torch.empty(1, 3, 256, 256, device="meta"))
    assert logits.shape == (1, 8192, 32, 32)
