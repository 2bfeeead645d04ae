"""Rule forensics_smvae_evaluate: Table 4.1 terms of one run with the true and the author's Gamma KL."""
from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.forensics.smvae import table_terms_both_kl
from vaerep.models.smvae import build_smvae
from vaerep.provenance import environment, write_json
from vaerep.smvae.data import load_split
from vaerep.train import load_model


def main(smk):
    device = pick_device(smk.params.device)
    model = load_model(smk.input.model, build_smvae, device)
    split = load_split(smk.input.data, "test", smk.params.n_test_images, smk.params.subset_seed)
    metrics = table_terms_both_kl(model, split, device, smk.params.eval_seed)
    print(metrics)
    write_json(smk.output[0], {"variant": smk.wildcards.variant, "seed": int(smk.wildcards.seed), **metrics,
                               "environment": environment(device)})


scriptio.run(main, snakemake)  # noqa: F821
