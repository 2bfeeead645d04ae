"""Rule forensics_smvae: Study A's forensics rows (H-A1, H-A2, ranking), then one row per Table 4.1 number and
claim that differs, its check's failing conditions classed as a threshold choice (against the seed std) or a real
difference; a Markdown snippet and a figure."""

import pandas as pd

from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.claim import checks as checks_of
from vaerep.forensics import differs as fd
from vaerep.forensics import figures, table
from vaerep.forensics.smvae import study_a_rows
from vaerep.readers import read_csv, read_json
from vaerep.smvae import claims as ac
from vaerep.studies import label


def classified_rows(smk) -> list[dict]:
    """One forensics row per Study A scorecard row that differs, its condition tree rebuilt from the tables."""
    p, inp = smk.params, smk.input
    part = p.section["forensics"]["parts"]["claims.csv"]
    note = sc.reduced_scale(p.section, p.scale, p.scale_keys)
    budget = fd.budget(p.section, p.scale, part, sc.reduced_scale(p.section, p.scale, [part["epochs"], part["n_train"]]))
    tolerances = p.forensics["term_tolerances"]  # the scorecard's, per Table 4.1 term
    checks = {**ac.number_checks(read_csv(inp.table), tolerances),
              **checks_of(ac.claims(read_csv(inp.per_seed), read_csv(inp.invariance), read_csv(inp.posterior), p.claims))}
    card = sc.smvae_rows(inp.table, tolerances, note) + sc.claim_rows(label("smvae"), inp.claims, note)
    experiment = (f"rule forensics_smvae: table_4_1.csv, invariance.csv and posterior_by_contrast.csv over the seeds "
                  f"({budget.reduced or 'thesis scale'})")
    return [fd.forensics_row(r, checks.get(r["claim_id"]), budget, p.rules, experiment) for r in fd.differs(card)]


def main(smk):
    evals = {}
    for path, (group, variant, _seed) in zip(smk.input.evals, smk.params.runs):
        evals.setdefault((group, variant), []).append(read_json(path))
    rows = study_a_rows(evals, smk.params.variants, smk.params.forensics, smk.params.train_rules,
                        smk.params.settings, smk.params.rules["noise_k"])
    frame = pd.DataFrame(rows + classified_rows(smk), columns=table.COLUMNS)
    frame.to_csv(smk.output.csv, index=False)
    open(smk.output.md, "w").write(table.snippet("Study A: why the numbers differ", frame, smk.output.figure))
    figures.study_a(evals, smk.params.variants, smk.params.forensics, smk.output.figure)
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
