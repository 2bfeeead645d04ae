"""Rule forensics_vqvae_shift: one MNIST VQ-VAE seed's C3 shift rows at the study's shift and at H-C-shift's."""
import pandas as pd
import torch

from vaerep import scriptio
from vaerep.models.vqvae import build_vqvae
from vaerep.train import load_model
from vaerep.forensics.vqvae_shift import OPS
from vaerep.vqvae.evaluate import load_mnist, manipulation_table, mnist_to_float


def main(smk):
    model = load_model(smk.input.model, build_vqvae)
    images, _ = load_mnist(smk.input.data, "test", smk.params.n_test_images, smk.params.subset_seed)
    x = mnist_to_float(images)
    p = smk.params.manip
    with torch.no_grad():
        tables = [manipulation_table(model, x, cells, p["respect_ratio"], respect_anchor=p["respect_anchor"],
                                     seed=p["figure_seed"], operations=OPS) for cells in smk.params.shift_cells]
    table = pd.concat(tables, ignore_index=True)
    table.insert(0, "seed", int(smk.wildcards.seed))
    print(table.to_string())
    table.to_csv(smk.output[0], index=False)


scriptio.run(main, snakemake)  # noqa: F821
