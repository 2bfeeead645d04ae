"""Rule vqvae_evaluate: test MSE/PSNR/codebook use (C2), the latent-vs-pixel manipulation table (C3), claims."""
import json
from pathlib import Path

import torch

from vaerep import scriptio
from vaerep.models.vqvae import build_vqvae
from vaerep.train import load_model
from vaerep.vqvae.claims import check_claims
from vaerep.vqvae.evaluate import load_mnist, manipulation_table, mnist_to_float, reconstruction_metrics, to_markdown
from vaerep.vqvae.random_code import RandomCode


def main(smk):
    model = load_model(smk.input.model, build_vqvae)
    if smk.params.random_code_seed is not None:  # null control: the trained decoder fed a random code
        model = RandomCode(model, smk.params.random_code_seed)
    images, _ = load_mnist(smk.input.data, "test", smk.params.n_test_images, smk.params.subset_seed)
    x = mnist_to_float(images)
    p = smk.params.manip
    with torch.no_grad():
        metrics = reconstruction_metrics(model, x)
        table = manipulation_table(model, x, p["shift_cells"], p["respect_ratio"], respect_anchor=p["respect_anchor"],
                                   seed=p["figure_seed"])
    print(metrics)
    print(table)
    Path(smk.output.metrics).write_text(json.dumps(metrics, indent=2))
    table.to_csv(smk.output.table_csv, index=False)
    Path(smk.output.table_md).write_text(to_markdown(table) + "\n")
    check_claims(table, metrics, p["respect_ratio"], p["respect_anchor"]).to_csv(smk.output.claims, index=False)


scriptio.run(main, snakemake)  # noqa: F821
