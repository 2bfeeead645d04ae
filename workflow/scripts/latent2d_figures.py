"""Rule latent2d_figures: every Study D figure (the main variant's model for the thesis figures)."""
import numpy as np
import torch

from vaerep import scriptio
from vaerep.latent2d import figures
from vaerep.latent2d.data import load_split
from vaerep.latent2d.table import logged
from vaerep.models.conv2d_vae import build_conv2d_vae
from vaerep.train import load_model
from vaerep.readers import read_csv, read_json


def main(smk):
    p, out = smk.params, smk.output
    fig = p.figures
    variants = list(p.variants)
    labels = {v: p.variants[v]["label"] for v in variants}
    models = {v: load_model(f, build_conv2d_vae) for v, f in zip(variants, smk.input.models)}
    hist = {v: logged(read_csv(f), p.variants[v]["logged_kl"]) for v, f in zip(variants, smk.input.histories)}
    lat = {v: np.load(f) for v, f in zip(variants, smk.input.latents)}
    met = {v: read_json(f) for v, f in zip(variants, smk.input.metrics)}
    test = load_split(smk.input.data, "test", p.n_test_images, p.subset_seed)
    main_v, th = p.main, p.thesis
    y = lat[main_v]["labels"]
    epochs = met[main_v]["epochs"]
    z = lat[main_v][f"z_epoch{epochs[-1]}"]
    gen = torch.Generator().manual_seed(fig["seed"])

    figures.mnist_samples(test["images"], test["labels"], fig["n_mnist"], out.mnist_samples)
    lab = labels[main_v]
    figures.loss_curve(hist[main_v], "total", th["total"], th["epochs"], f"Fig 5.8 - total training loss: {lab}",
                       out.total_loss)
    figures.loss_curve(hist[main_v], "kl", th["kl"], th["epochs"], f"Fig 5.9a - KL term: {lab}",
                       out.kl_loss)
    figures.loss_curve(hist[main_v], "rec", th["rec"], th["epochs"], f"Fig 5.9b - reconstruction term: {lab}",
                       out.reconstruction_loss)
    pen = epochs[-2] if len(epochs) > 1 else epochs[-1]
    figures.loss_panels(hist, labels, pen, f"Fig B.1 - training losses up to epoch {pen} (thesis: 200)",
                        out.loss_curves_penultimate)
    figures.loss_panels(hist, labels, None, "Fig B.2 - training losses, all epochs (thesis: 500)",
                        out.loss_curves_final)
    for v in variants:
        ev = met[v]["epochs"]
        figures.latent_scatter(lat[v][f"z_epoch{ev[-1]}"], lat[v]["labels"],
                               f"Fig 5.10 - {len(y):,} test latent means after {ev[-1]} epochs: {labels[v]}",
                               out[f"latent_test_{v}"])
    accs = {c["epoch"]: c["knn_accuracy"] for c in met[main_v]["checkpoints"]}
    figures.latent_by_epoch({e: lat[main_v][f"z_epoch{e}"] for e in epochs}, y, accs,
                            f"Fig 5.11 - test latent means per checkpoint (identical axes): {lab}",
                            out.latent_by_epoch)
    samples = torch.randn(fig["n_samples"], 2, generator=gen).numpy()
    figures.latent_samples(z, samples,
                           f"Fig 5.12 - {fig['n_samples']} samples z ~ N(0, I) (red) over the latent map (black)",
                           out.latent_samples)
    figures.decoded_grid(models[main_v], samples, "Fig 5.13 - the red points of Fig 5.12, decoded",
                         out.decoded_samples)
    m = fig["manifold"]
    ext = m["extent"]
    figures.manifold(models[main_v], (-ext, ext), (-ext, ext), m["n"],
                     f"Fig C.1 - decoded {m['n']}x{m['n']} grid over [-{ext}, {ext}]^2",
                     out.manifold_full)
    lo = (torch.rand(2, generator=gen) * (2 * ext - m["region_size"]) - ext).tolist()
    figures.manifold(models[main_v], (lo[0], lo[0] + m["region_size"]), (lo[1], lo[1] + m["region_size"]), m["n"],
                     f"Fig C.1 - decoded {m['n']}x{m['n']} grid over a random square of side {m['region_size']}",
                     out.manifold_region)
    pick = torch.randperm(test["images"].shape[0], generator=gen)[:fig["n_recon"]]
    figures.reconstructions(models[main_v], test["images"][pick],
                            "Fig 5.14 - random test digits and reconstructions, titled with their latent means "
                            "(z1, z2)",
                            out.reconstructions)
    figures.transitions(models[main_v], met[main_v]["transitions"], fig["path_steps"],
                        "Decoded straight lines between class centroids (thesis: smooth transitions 0-9, 7-9, 4-9)",
                        out.transitions)


scriptio.run(main, snakemake)  # noqa: F821
