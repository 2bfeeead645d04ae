"""Rule dsprites_beta_figures: every Study B figure."""
import torch

from vaerep import scriptio
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.dsprites_beta import evaluate as ev
from vaerep.dsprites_beta import figures
from vaerep.dsprites_beta.registry import FACTOR_FIGURES
from vaerep.models.beta_vae import build_beta_vae
from vaerep.train import load_model
from vaerep.readers import read_csv


def main(smk):
    p, out = smk.params, smk.output
    tensors, meta = dsprites_data.load(smk.input.data)
    figures.sample_grid(tensors["eval_imgs"], meta["source"], out.samples, p.n_samples_grid)
    held_out = tensors["val_imgs"][:p.n_recon]
    for b, model_path, hist_path, codes_path in zip(p.betas, smk.input.models, smk.input.histories, smk.input.codes):
        beta = float(b)
        figures.loss_curves(read_csv(hist_path), beta, out[f"curves_beta{b}"])
        figures.reconstructions(load_model(model_path, build_beta_vae), held_out, beta, out[f"recon_beta{b}"])
        codes = torch.load(codes_path, weights_only=True)
        n = p.pca["n_images"]
        proj, explained = ev.pca2(codes["means"][:n])
        values = {f: codes["values"][:n, col] for f, col in ev.MIG_FACTORS.items()}
        figures.pca_panel(proj, values, beta, explained, out[f"pca_all_beta{b}"])
        if b == f"{p.pca['beta']:g}":
            for factor in FACTOR_FIGURES:
                figures.pca_single(proj, values[factor], factor, beta, explained, out[f"pca_{factor}"])
    figures.mig_vs_beta(read_csv(smk.input.table), out.mig_vs_beta, p.at_chance_k)


scriptio.run(main, snakemake)  # noqa: F821
