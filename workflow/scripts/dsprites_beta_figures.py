"""Rule dsprites_beta_figures: every Study B figure."""
from pathlib import Path

import torch

from vaerep import scriptio
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.dsprites_beta import evaluate as ev
from vaerep.dsprites_beta import figures
from vaerep.models.beta_vae import build_beta_vae
from vaerep.train import load_model
from vaerep.readers import read_csv


def main(smk):
    p = smk.params
    out = Path(p.outdir)
    tensors, meta = dsprites_data.load(smk.input.data)
    figures.sample_grid(tensors["eval_imgs"], meta["source"], out / "fig2.1_dsprites_samples.png", p.n_samples_grid)
    held_out = tensors["val_imgs"][:p.n_recon]
    for b, model_path, hist_path, codes_path in zip(p.betas, smk.input.models, smk.input.histories, smk.input.codes):
        beta = float(b)
        figures.loss_curves(read_csv(hist_path), beta,
                            out / f"fig{p.figures['curves'].get(b, 'extra')}_loss_curves_beta{b}.png")
        figures.reconstructions(load_model(model_path, build_beta_vae), held_out, beta,
                                out / f"fig{p.figures['recon'].get(b, 'extra')}_reconstructions_beta{b}.png")
        codes = torch.load(codes_path, weights_only=True)
        n = p.pca["n_images"]
        proj, explained = ev.pca2(codes["means"][:n])
        values = {f: codes["values"][:n, col] for f, col in ev.MIG_FACTORS.items()}
        figures.pca_panel(proj, values, beta, explained, out / f"figextra_pca_all_factors_beta{b}.png")
        if b == f"{p.pca['beta']:g}":
            for factor, num in figures.FACTOR_FIGURES.items():
                figures.pca_single(proj, values[factor], factor, beta, explained,
                                   out / f"fig{num}_pca_{factor}_beta{b}.png")
    figures.mig_vs_beta(read_csv(smk.input.table), out / "fig2.10_mig_vs_beta.png", p.at_chance_k)
    missing = [f for f in smk.output if not Path(f).is_file()]
    assert not missing, f"figures not written: {missing}"


scriptio.run(main, snakemake)  # noqa: F821
