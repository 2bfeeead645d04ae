"""Rule smvae_figures: every Study A figure, from the first seed of each variant."""
import torch

from vaerep import scriptio
from vaerep.models.smvae import build_smvae
from vaerep.smvae import figures
from vaerep.smvae.data import load_split
from vaerep.train import load_model
from vaerep.readers import read_csv


def main(smk):
    p, out = smk.params, smk.output
    split = load_split(smk.input.data, "test", p.n_test_images, p.subset_seed)
    models = {v: load_model(path, build_smvae) for v, path in zip(p.variants, smk.input.models)}
    post = read_csv(smk.input.posterior)
    fig = p.figures
    n, ext = fig["grid"]["n"], fig["grid"]["extent"]
    torch.manual_seed(0)
    for v, spec in p.variants.items():
        figures.reconstructions(models[v], split, p.contrasts, fig["n_recon"], 0, f"{spec['label']}: reconstructions",
                                out[f"recon_{v}"])
        figures.posterior_vs_contrast(post[post["variant"] == v], f"{spec['label']}: posterior vs contrast",
                                      out[f"posterior_{v}"])
    figures.slices(models["standard"], fig["standard_z3"], n, ext, "Standard VAE", out.slices_standard, "z3")
    figures.radial_lines(models["standard"], **fig["radial"], seed=0, path=out.radial_lines_standard)
    figures.normalised_codes(models["standard"], split, p.contrasts, fig["n_normalised"], 0,
                             out.normalised_codes_standard)
    figures.slices(models["pre_normal"], fig["pre_normal_c"], n, ext, "pre Normal SMVAE",
                   out.slices_pre_normal, "c")
    for g in ("pre_gamma3", "pre_gamma1"):
        figures.slices(models[g], fig["pre_gamma_c"], n, ext, p.variants[g]["label"], out[f"slices_{g}"], "c")
    figures.slices(models["post_lognormal"], fig["post_c"], n, ext, "post logNormal SMVAE",
                   out.slice_post_lognormal, "c")


scriptio.run(main, snakemake)  # noqa: F821
