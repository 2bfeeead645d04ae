"""Rule forensics_smvae: Study A's forensics rows (H-A1, H-A2, ranking), a Markdown snippet and a figure."""

import pandas as pd

from vaerep import scriptio
from vaerep.forensics import figures, table
from vaerep.forensics.smvae import study_a_rows
from vaerep.readers import read_json


def main(smk):
    evals = {}
    for path, (group, variant, _seed) in zip(smk.input.evals, smk.params.runs):
        evals.setdefault((group, variant), []).append(read_json(path))
    rows = study_a_rows(evals, smk.params.variants, smk.params.forensics, "forensics_smvae_train",
                        smk.params.settings, smk.params.noise_k)
    frame = pd.DataFrame(rows, columns=table.COLUMNS)
    frame.to_csv(smk.output.csv, index=False)
    open(smk.output.md, "w").write(table.snippet("Study A: why the numbers differ", frame, smk.output.figure))
    figures.study_a(evals, smk.params.variants, smk.params.forensics, smk.output.figure)
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
