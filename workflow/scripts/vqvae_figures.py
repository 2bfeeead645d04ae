"""Rule vqvae_figures: original | code | reconstruction (C2) and Figs 5.5-5.12 (C3) on MNIST test digits."""
import torch

from vaerep import scriptio
from vaerep.models.vqvae import build_vqvae
from vaerep.train import load_model
from vaerep.vqvae.evaluate import load_mnist, mnist_to_float
from vaerep.vqvae.figures import code_figure, mnist_manipulation_figures


def main(smk):
    model = load_model(smk.input.model, build_vqvae)
    p = smk.params.manip
    images, _ = load_mnist(smk.input.data, "test", None, 0)
    idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(p["figure_seed"]))[:2 * p["n_digits"]]
    x = mnist_to_float(images[idx])
    a, b = x[:p["n_digits"]], x[p["n_digits"]:]
    code_figure(model, a, "MNIST VQ-VAE (K=64, D=16, 7x7 grid): original | code map | reconstruction",
                smk.output.code)
    mnist_manipulation_figures(model, a, b, p["shift_cells"], smk.output)


scriptio.run(main, snakemake)  # noqa: F821
