"""Rule smvae_summarise: Table 4.1 (mean +- std over seeds next to the thesis), posterior moments of
all runs, invariance numbers and the claim checks."""

import pandas as pd

from vaerep import scriptio
from vaerep.errors import PipelineError
from vaerep.smvae.claims import check_claims
from vaerep.smvae.table import table_4_1, to_markdown
from vaerep.readers import read_csv, read_json


def main(smk):
    per_seed = pd.DataFrame([read_json(p) for p in smk.input.metrics]).drop(columns=["environment"])
    numeric = per_seed.select_dtypes("number")
    if not numeric.replace([float("inf"), -float("inf")], float("nan")).drop(
            columns=["contrast_r2_c", "c_spearman"], errors="ignore").notna().all().all():
        raise PipelineError("non-finite evaluation numbers in " + ", ".join(smk.input.metrics))
    per_seed.to_csv(smk.output["table_4_1_per_seed.csv"], index=False)
    table = table_4_1(per_seed, smk.params.variants)
    table.to_csv(smk.output["table_4_1.csv"], index=False)
    open(smk.output["table_4_1.md"], "w").write(to_markdown(table))
    post = []
    for path, (variant, seed) in zip(smk.input.posterior, smk.params.runs):
        frame = read_csv(path)
        frame.insert(0, "seed", seed)
        frame.insert(0, "variant", variant)
        post.append(frame)
    post = pd.concat(post, ignore_index=True)
    post.to_csv(smk.output["posterior_by_contrast.csv"], index=False)
    inv_cols = ["variant", "seed", "contrast_r2_shape", "shape_drift", "contrast_r2_c", "c_spearman",
                "radius_spearman", "direction_cos_same_digit", "direction_cos_other_digit", "direction_knn_digit"]
    inv = per_seed[inv_cols]
    inv.to_csv(smk.output["invariance.csv"], index=False)
    claims = check_claims(per_seed, inv, post, smk.params.claims)
    claims.to_csv(smk.output["claims.csv"], index=False)
    print(table.to_string())
    print(claims.to_string())


scriptio.run(main, snakemake)  # noqa: F821
