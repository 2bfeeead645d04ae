"""Rule vqvae_vae2d_figures: C1 Figs 5.1-5.4 and every model's latent map."""
import numpy as np
import torch

from vaerep import scriptio
from vaerep.latent2d.figures import latent_row, latent_scatter, manifold
from vaerep.models.vae2d_mnist import build_vae2d
from vaerep.train import load_model
from vaerep.vqvae.evaluate import load_mnist, mnist_to_float
from vaerep.vqvae.vae2d_figures import kl_per_dim_bars, loss_curves, reconstruction_rows
from vaerep.readers import read_csv


def main(smk):
    p, out = smk.params, smk.output
    names = list(p.models)
    label = {n: p.models[n]["label"] for n in names}
    r = p.roles
    models = {n: load_model(f, build_vae2d) for n, f in zip(names, smk.input.models)}
    lat = {n: np.load(f) for n, f in zip(names, smk.input.latents)}
    hist = {n: read_csv(f) for n, f in zip(names, smk.input.histories)}
    y = lat[names[0]]["labels"]
    n_test = len(y)
    for key, role, panel in (("fc", "fc_bce", "a"), ("conv", "conv_bce", "b")):
        m = r[role]
        latent_scatter(lat[m]["z"], lat[m]["labels"],
                       f"Fig 5.1{panel} - means of {n_test:,} test images in the 2-D latent: {label[m]}",
                       out[f"latent_{key}"])
        g, e = p.figures["grid_n"], p.figures["grid_extent"]
        manifold(models[m], (-e, e), (-e, e), g, f"Fig 5.2{panel} - decoded {g}x{g} grid over [-{e}, {e}]^2: {label[m]}",
                 out[f"grid_{key}"])
    col, mse = r["collapse"], r["fc_mse"]
    latent_row({label[mse]: lat[mse]["z"], label[col]: lat[col]["z"]}, y,
                  "Fig 5.3a - posterior collapse: test latent means, identical axes (re-weighted MSE vs per-pixel-mean MSE)",
                  out.collapse_latent)
    images, _ = load_mnist(smk.input.data, "test", p.n_test_images, p.subset_seed)
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(p.figures["seed"]))[:p.figures["n_recon"]]
    reconstruction_rows({label[col]: models[col], label[mse]: models[mse], label[r["fc_bce"]]: models[r["fc_bce"]]},
                        mnist_to_float(images[pick]),
                        "Fig 5.3b - reconstructions (decoded posterior means) of random test digits", out.collapse_recon)
    kl_per_dim_bars(read_csv(smk.input.table),
                    "Fig 5.3c - test KL per latent dimension: ~0 nats = the dimension is collapsed onto the prior",
                    out.collapse_kl)
    loss_curves({f"{label[r['fc_bce']]}": hist[r["fc_bce"]], f"{label[mse]} (re-weighted)": hist[mse]},
                "Fig 5.4 - loss per image by epoch: BCE vs MSE summed over the 784 pixels", out.loss_curves)
    latent_row({label[n]: lat[n]["z"] for n in names}, y,
                  "Test latent means of every C1 model on identical axes", out.latent_all)


scriptio.run(main, snakemake)  # noqa: F821
