"""Rule dsprites_beta_summarise: Tables 2.3 and 2.4 next to the thesis, MIG details, parameter counts."""
import json

from vaerep import scriptio
from vaerep.dsprites_beta import evaluate as ev
from vaerep.errors import PipelineError
from vaerep.models.beta_vae import THESIS_PARAMS, build_beta_vae, param_counts
from vaerep.provenance import write_json


def main(smk):
    rows = [json.load(open(p)) for p in smk.input.metrics]
    t23 = ev.table_2_3(rows, smk.params.thesis.get("table_2_3", {}))
    t24 = ev.table_2_4(rows, smk.params.thesis.get("table_2_4", {}))
    if not t23[["train_loss", "val_loss"]].notna().all().all():
        raise PipelineError("non-finite loss terms in " + ", ".join(smk.input.metrics))
    t23.to_csv(smk.output["table_2_3.csv"], index=False)
    open(smk.output["table_2_3.md"], "w").write(ev.to_markdown(t23, 6))
    t24.to_csv(smk.output["table_2_4.csv"], index=False)
    open(smk.output["table_2_4.md"], "w").write(ev.to_markdown(t24, 3))
    write_json(smk.output["mig_details.json"], {f"{r['beta']:g}": {k: r[k] for k in (
        "mig", "mig_chance", "mig_per_factor", "mi", "factor_entropy", "top_latents", "n_eval", "bins", "latent_std_of_means")}
        for r in rows})
    counts = param_counts(build_beta_vae({"beta": 1.0, **smk.params.model}))
    counts["thesis"] = THESIS_PARAMS
    counts["match"] = all(counts[k] == v for k, v in THESIS_PARAMS.items())
    write_json(smk.output["model_params.json"], counts)
    print(t23.to_string())
    print(t24.to_string())
    print(counts)


scriptio.run(main, snakemake)  # noqa: F821
