"""Rule dsprites_beta_summarise: Tables 2.3 and 2.4 next to the thesis, MIG details, parameter counts, claims."""

import torch

from vaerep import scriptio
from vaerep.dsprites_beta import evaluate as ev
from vaerep.dsprites_beta.claims import check_claims, pca_separation
from vaerep.errors import PipelineError
from vaerep.models.beta_vae import THESIS_PARAMS, build_beta_vae, param_counts
from vaerep.provenance import write_json
from vaerep.readers import read_json


def pca_of(smk):
    """eta^2 of every factor in the 2-D PCA of the PCA model's latent means (first pca.n_images), with chance."""
    path = dict(zip(smk.params.betas, smk.input.codes)).get(f"{smk.params.pca['beta']:g}")
    if path is None:  # the thesis's PCA model was not trained: no PCA claim
        return None
    codes = torch.load(path, weights_only=True)
    n = smk.params.pca["n_images"]
    return pca_separation(codes["means"][:n], codes["classes"][:n], smk.params.chance_draws)


def main(smk):
    rows = [read_json(p) for p in smk.input.metrics]
    t23 = ev.table_2_3(rows, smk.params.thesis.get("table_2_3", {}))
    t24 = ev.table_2_4(rows, smk.params.thesis.get("table_2_4", {}), smk.params.claims["at_chance_k"])
    if not t23[["train_loss", "val_loss"]].notna().all().all():
        raise PipelineError("non-finite loss terms in " + ", ".join(smk.input.metrics))
    t23.to_csv(smk.output["table_2_3.csv"], index=False)
    open(smk.output["table_2_3.md"], "w").write(ev.to_markdown(t23, 6))
    t24.to_csv(smk.output["table_2_4.csv"], index=False)
    open(smk.output["table_2_4.md"], "w").write(ev.to_markdown(t24, 3))
    write_json(smk.output["mig_details.json"], {f"{r['beta']:g}": {k: r[k] for k in (
        "mig", "mig_chance", "mig_chance_std", "mig_chance_per_factor", "mig_per_factor", "mi", "factor_entropy",
        "top_latents", "n_eval", "bins", "latent_std_of_means")}
        for r in rows})
    counts = param_counts(build_beta_vae({"beta": 1.0, **smk.params.model}))
    counts["thesis"] = THESIS_PARAMS
    counts["match"] = all(counts[k] == v for k, v in THESIS_PARAMS.items())
    write_json(smk.output["model_params.json"], counts)
    claims = check_claims(t24, pca_of(smk), smk.params.pca["beta"], smk.params.claims)
    claims.to_csv(smk.output["claims.csv"], index=False)
    print(claims.to_string())
    print(t23.to_string())
    print(t24.to_string())
    print(counts)


scriptio.run(main, snakemake)  # noqa: F821
