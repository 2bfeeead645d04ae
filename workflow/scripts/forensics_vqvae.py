"""Rule forensics_vqvae: one forensics row per Study C scorecard row that differs (C1, C2/C3, C4 claims), classed
as a scale artefact, a threshold choice or a real difference; a Markdown snippet and a trend figure."""
from pathlib import Path


from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.forensics import differs as fd
from vaerep.forensics import vqvae as fc
from vaerep.studies import label
from vaerep.readers import read_csv


def main(smk):
    p, inp = smk.params, smk.input
    results = Path(inp.manip).parents[1]  # results/<scale>/vqvae/manipulations.csv
    note = sc.reduced_scale(p.section, p.scale, p.scale_keys)
    manip = read_csv(inp.manip), read_csv(inp.null_manip)
    models = list(p.models)
    c1 = fc.C1Inputs(read_csv(inp.c1_table), {m: read_csv(f) for m, f in zip(models, inp.c1_histories)},
                     read_csv(inp.c1_null_table), {m: read_csv(f) for m, f in zip(models, inp.c1_null_histories)})
    rows = []
    for path in inp.claims:
        rel = str(Path(path).relative_to(results / "vqvae"))
        part = p.parts[rel]
        reduced = sc.reduced_scale(p.section, p.scale, [part[k] for k in ("epochs", "n_train") if k in part])
        budget = fd.budget(p.section, p.scale, part, reduced)
        card = sc.claim_rows(label("vqvae"), path, note, source=str(Path(path).relative_to(results)))
        for i, r in enumerate(fd.differs(card), 1):
            if rel == "claims.csv":
                cond = fc.manipulation_conditions(r["claim"], *manip, p.manip, budget.epochs)
            elif rel == "vae2d/claims.csv":
                cond = fc.vae2d_conditions(r["claim"], c1, p.roles, p.c1_claims)
            else:
                cond = None
            rows.append(fd.forensics_row(r, cond, budget, p.rules, f"H-{part['hypothesis']}.{i}",
                                         f"rule forensics_vqvae: {rel} and its null control ({reduced or 'thesis scale'})"))
    frame = fd.write(rows, smk.output, "Study C")
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
