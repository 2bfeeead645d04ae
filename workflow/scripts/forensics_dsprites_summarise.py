"""Rule forensics_dsprites: Study B's forensics rows (Table 2.3 unit, Table 2.4 MIG), snippet and figure."""

import pandas as pd

from vaerep import scriptio
from vaerep.dsprites_beta.evaluate import MIG_FACTORS
from vaerep.forensics import figures, table
from vaerep.forensics import units as U
from vaerep.forensics.dsprites import mig_rows, unit_rows
from vaerep.readers import read_csv, read_json


def main(smk):
    p = smk.params
    arith = U.arithmetic_table(p.thesis["table_2_3"], p.units["thesis_batch_size"], p.latent_dim)
    pd.DataFrame(arith).to_csv(smk.output.arithmetic, index=False)
    runs = {}
    for path, (conv, beta, seed) in zip(smk.input.histories, p.unit_runs):
        runs.setdefault(conv, {}).setdefault(seed, {})[float(beta)] = read_csv(path).iloc[-1].to_dict()
    scores, null_scores = read_json(smk.input.mig), read_json(smk.input.mig_null)
    thesis24 = {f"{float(b):g}": v for b, v in p.thesis["table_2_4"].items()}
    rows = unit_rows(arith, runs, p.units, p.units["runs"]["train"]["batch_size"], p.unit_settings, p.noise_k)
    rows += mig_rows(scores, null_scores, thesis24, p.mig, p.mig_settings)
    frame = pd.DataFrame(rows, columns=table.COLUMNS)
    frame.to_csv(smk.output.csv, index=False)
    open(smk.output.md, "w").write(table.snippet("Study B: why the numbers differ", frame, smk.output.figure))
    figures.study_b_mig(scores, thesis24, list(MIG_FACTORS), smk.output.figure)
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
