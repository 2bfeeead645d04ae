"""Rule scorecard: every thesis number and claim next to the replicated value and its null control's
(results/<scale>/scorecard.*), with the forensics hypotheses tested for it (issue 11)."""
from pathlib import Path


from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.studies import label
from vaerep.readers import read_csv

NULL = "null"  # a study's null control mirrors its results folder in <study>/null/


def number_rows(study, tables: dict, p, reason: str) -> list[dict]:
    """The thesis numbers of one study from its tables (``tables``: name -> path)."""
    tol, fixed = p.scorecard["tolerances"], p.scorecard["not_comparable"]
    if study == "smvae":
        return sc.smvae_rows(tables["table_4_1"], tol["smvae"], reason)
    if study == "dsprites_beta":
        return sc.dsprites_rows(tables["table_2_3"], tables["table_2_4"], tables["params"], tol["dsprites_beta"],
                                reason, fixed.get("dsprites_beta", {}))
    if study == "latent2d":
        return sc.latent2d_rows(tables["losses"], p.latent2d_main, tol["latent2d"], reason)
    return []


def null_twin(path: str, results: Path, control: str = "") -> Path:
    """results/<scale>/<study>/X -> results/<scale>/<study>/null/[<control>/]X."""
    rel = Path(path).relative_to(results)
    return results / rel.parts[0] / NULL / control / Path(*rel.parts[1:])


def main(smk):
    p, inp = smk.params, smk.input
    results = Path(smk.output.csv).parent
    reason = {s: sc.reduced_scale(p.sections[s], p.scale, p.scorecard["thesis_scale_keys"].get(s, [])) for s in p.studies}
    present = {str(f) for f in inp.nulls}
    rows = []
    for study in p.studies:
        tables = {k.split(":", 1)[1]: v for k, v in inp.items() if k.startswith(f"{study}:")}
        main_rows = number_rows(study, tables, p, reason[study])
        twins = {k: str(null_twin(v, results)) for k, v in tables.items()}
        null_rows = number_rows(study, twins, p, "") if twins and set(twins.values()) <= present else None
        rows += sc.with_scale(sc.attach_null(main_rows, null_rows, "no null run for these tables"), reason[study],
                              p.scale)
    for path in inp.claims:
        rel = Path(path).relative_to(results)  # <study>/[<part>/]claims.csv
        study = rel.parts[0]
        twin = str(null_twin(path, results))
        main_rows = sc.claim_rows(label(study), path, reason[study], source=str(rel))
        null_rows = sc.claim_rows(label(study), twin, source=str(rel)) if twin in present else None
        extra = {c: sc.claim_rows(label(study), str(null_twin(path, results, c)), source=str(rel))
                 for c in sc.EXTRA_NULLS if str(null_twin(path, results, c)) in present}
        rows += sc.with_scale(sc.attach_null(main_rows, null_rows, "no null run for these claims", extra),
                              reason[study], p.scale)
    forensics = read_csv(inp.forensics[0]) if inp.forensics else None
    card = sc.with_explanation(sc.frame(rows), forensics)
    card.to_csv(smk.output.csv, index=False)
    Path(smk.output.md).write_text(sc.to_markdown(card, f"Replication scorecard (scale `{p.scale}`)"))
    print(sc.summary(card).to_string())


scriptio.run(main, snakemake)  # noqa: F821
