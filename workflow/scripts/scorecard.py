"""Rule scorecard: every thesis number and claim next to the replicated value and its null control's
(results/<scale>/scorecard.*), with the forensics hypotheses tested for it."""
from pathlib import Path

from vaerep import scorecard as sc
from vaerep import scorecard_run, scriptio


def main(smk):
    p, inp = smk.params, smk.input
    results = Path(smk.output.csv).parent
    tables = {study: {k.split(":", 1)[1]: v for k, v in inp.items() if k.startswith(f"{study}:")}
              for study in p.studies}
    card = scorecard_run.build(results, p.scale, p.studies, p.scorecard, p.sections, p.latent2d_main, tables,
                               list(inp.claims), list(inp.nulls), inp.forensics[0] if inp.forensics else None)
    scorecard_run.write(card, results, p.scale)
    print(sc.summary(card).to_string())


scriptio.run(main, snakemake)  # noqa: F821
