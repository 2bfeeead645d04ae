"""Rule forensics_latent2d: one forensics row per Study D scorecard row that differs (Figs 5.8-5.9 numbers and
the claims), its check's failing conditions classed as a scale artefact, a threshold choice or a real
difference; a snippet and a trend figure."""
from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.claim import checks as checks_of
from vaerep.forensics import differs as fd
from vaerep.latent2d import claims as dc
from vaerep.readers import read_csv, read_json
from vaerep.studies import label


def main(smk):
    p, inp = smk.params, smk.input
    variants = list(p.variants)
    d = dc.Inputs(read_csv(inp.losses), read_csv(inp.checkpoints), {v: read_json(f) for v, f in zip(variants, inp.metrics)},
                  {v: read_csv(f) for v, f in zip(variants, inp.histories)}, p.variants, p.main, read_json(inp.null_metrics))
    part = p.parts["claims.csv"]
    note = sc.reduced_scale(p.section, p.scale, p.scale_keys)
    budget = fd.budget(p.section, p.scale, part, sc.reduced_scale(p.section, p.scale, [part["epochs"], part["n_train"]]))
    tol = p.claims["loss_tolerance"]
    checks = {**dc.number_checks(d, p.thesis, tol), **checks_of(dc.claims(d, p.thesis, p.claims))}
    numbers = sc.latent2d_rows(inp.losses, p.main, tol, note)
    claims = sc.claim_rows(label("latent2d"), inp.claims, note)
    experiment = f"rule forensics_latent2d: history.csv, checkpoints.csv, eval.json and the null control ({budget.reduced or 'thesis scale'})"
    rows = [fd.forensics_row(r, checks.get(r["claim_id"]), budget, p.rules, experiment) for r in fd.differs(numbers + claims)]
    frame = fd.write(rows, smk.output, "Study D")
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
