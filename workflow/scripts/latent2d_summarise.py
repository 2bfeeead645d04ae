"""Rule latent2d_summarise: loss table next to the thesis, per-checkpoint numbers, centroid
neighbours and the claim checks of Study D."""

import numpy as np

from vaerep import scriptio
from vaerep.errors import PipelineError
from vaerep.latent2d.claims import check_claims
from vaerep.latent2d.table import checkpoint_table, loss_table, neighbour_table, to_markdown
from vaerep.readers import read_csv, read_json


def main(smk):
    p = smk.params
    variants = list(p.variants)
    metrics = {v: read_json(f) for v, f in zip(variants, smk.input.metrics)}
    histories = {v: read_csv(f) for v, f in zip(variants, smk.input.histories)}
    table = loss_table(histories, metrics, p.variants, p.thesis)
    numeric = table.select_dtypes("number").to_numpy(dtype=float)
    if not np.isfinite(numeric).all():
        raise PipelineError("non-finite numbers in the Study D loss table; inputs: " + ", ".join(smk.input.metrics))
    table.to_csv(smk.output["table_losses.csv"], index=False)
    open(smk.output["table_losses.md"], "w").write(to_markdown(table))
    ck = checkpoint_table(histories, metrics, p.variants)
    ck.to_csv(smk.output["checkpoints.csv"], index=False)
    neighbour_table(metrics).to_csv(smk.output["centroid_neighbours.csv"], index=False)
    claims = check_claims(table, ck, metrics, histories, p.variants, p.main, p.thesis, p.claims)
    claims.to_csv(smk.output["claims.csv"], index=False)
    print(table.to_string())
    print(ck.to_string())
    print(claims.to_string())


scriptio.run(main, snakemake)  # noqa: F821
