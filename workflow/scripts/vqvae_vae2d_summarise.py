"""Rule vqvae_vae2d_summarise: the C1 loss table (CSV + Markdown) and the thesis's claims checked."""
from pathlib import Path


from vaerep import scriptio
from vaerep.vqvae.vae2d import check_claims, loss_table, to_markdown
from vaerep.readers import read_csv, read_json


def main(smk):
    p = smk.params
    names = list(p.models)
    metrics = {n: read_json(f) for n, f in zip(names, smk.input.metrics)}
    histories = {n: read_csv(f) for n, f in zip(names, smk.input.histories)}
    metas = {n: read_json(f) for n, f in zip(names, smk.input.metas)}
    table = loss_table(dict(p.models), metrics, histories, metas)
    print(table.to_string())
    table.to_csv(smk.output.table_csv, index=False)
    Path(smk.output.table_md).write_text(to_markdown(table) + "\n")
    claims = check_claims(table, histories, dict(p.roles), dict(p.claims), p.thesis_epochs)
    print(claims.to_string())
    claims.to_csv(smk.output.claims, index=False)


scriptio.run(main, snakemake)  # noqa: F821
