"""Rule smvae_evaluate: test-set metrics, posterior moments per contrast and invariance of one run."""
from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.models.smvae import build_smvae
from vaerep.provenance import environment, write_json
from vaerep.smvae import evaluate as ev
from vaerep.smvae.data import load_split
from vaerep.train import load_model


def main(smk):
    device = pick_device(smk.params.device)
    model = load_model(smk.input.model, build_smvae, device)
    split = load_split(smk.input.data, "test", smk.params.n_test_images, smk.params.subset_seed)
    metrics = ev.table_terms(model, split, device, smk.params.eval_seed, smk.params.iwae_k,
                              iwae_images=smk.params.iwae_images)
    mean, std = ev.posterior_moments(model, split, device)
    metrics.update(ev.invariance(mean, std, split, model.mix, seed=smk.params.eval_seed))
    print(metrics)
    ev.posterior_by_contrast(mean, std, split["contrast"], model.mix).to_csv(smk.output.posterior, index=False)
    write_json(smk.output.metrics, {"variant": smk.wildcards.variant, "seed": int(smk.wildcards.seed),
                                    **metrics, "environment": environment(device)})


scriptio.run(main, snakemake)  # noqa: F821
