"""Rule forensics_latent2d: one forensics row per Study D scorecard row that differs (Figs 5.8-5.9 numbers and
the claims), classed as a scale artefact, a threshold choice or a real difference; a snippet and a trend figure."""
from pathlib import Path


from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.forensics import differs as fd
from vaerep.forensics import latent2d as fl
from vaerep.studies import label
from vaerep.readers import read_csv, read_json


def main(smk):
    p, inp = smk.params, smk.input
    variants = list(p.variants)
    d = fl.DInputs(read_csv(inp.losses), read_csv(inp.checkpoints),
                   {v: read_json(f) for v, f in zip(variants, inp.metrics)},
                   {v: read_csv(f) for v, f in zip(variants, inp.histories)}, read_json(inp.null_metrics),
                   p.variants, p.main)
    part = p.parts["claims.csv"]
    note = sc.reduced_scale(p.section, p.scale, p.scale_keys)
    budget = fd.budget(p.section, p.scale, part, sc.reduced_scale(p.section, p.scale, [part["epochs"], part["n_train"]]))
    tol = p.claims["loss_tolerance"]
    numbers = sc.latent2d_rows(inp.losses, p.main, tol, note)
    claims = sc.claim_rows(label("latent2d"), inp.claims, note, source=str(Path(inp.claims).relative_to(Path(inp.claims).parents[1])))
    experiment = f"rule forensics_latent2d: history.csv, checkpoints.csv, eval.json and the null control ({budget.reduced or 'thesis scale'})"
    rows = []
    for i, r in enumerate(fd.differs(numbers + claims), 1):
        cond = (fl.number_conditions(r["claim"], d, p.thesis, tol) if r["thesis_value"] != "claim"
                else fl.claim_conditions(r["claim"], d, p.thesis, p.claims))
        rows.append(fd.forensics_row(r, cond, budget, p.rules, f"H-{part['hypothesis']}.{i}", experiment))
    frame = fd.write(rows, smk.output, "Study D")
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
