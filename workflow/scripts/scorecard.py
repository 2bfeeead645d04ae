"""Rule scorecard: every thesis number and claim next to the replicated value (results/<scale>/scorecard.*)."""
from pathlib import Path

from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.studies import label


def main(smk):
    p, inp = smk.params, smk.input
    tol, keys, fixed = p.scorecard["tolerances"], p.scorecard["thesis_scale_keys"], p.scorecard["not_comparable"]
    reason = {s: sc.reduced_scale(p.sections[s], p.scale, keys.get(s, [])) for s in p.studies}
    rows = []
    if "smvae" in p.studies:
        rows += sc.smvae_rows(inp["smvae:table_4_1"], tol["smvae"], reason["smvae"])
    if "dsprites_beta" in p.studies:
        rows += sc.dsprites_rows(inp["dsprites_beta:table_2_3"], inp["dsprites_beta:table_2_4"],
                                 inp["dsprites_beta:params"], tol["dsprites_beta"], reason["dsprites_beta"],
                                 fixed.get("dsprites_beta", {}))
    if "latent2d" in p.studies:
        rows += sc.latent2d_rows(inp["latent2d:losses"], p.latent2d_main, tol["latent2d"], reason["latent2d"])
    for path in inp.claims:
        rel = Path(path).relative_to(Path(smk.output.csv).parent)  # <study>/[<part>/]claims.csv
        rows += sc.claim_rows(label(rel.parts[0]), path, reason[rel.parts[0]], source=str(rel))
    card = sc.frame(rows)
    card.to_csv(smk.output.csv, index=False)
    Path(smk.output.md).write_text(sc.to_markdown(card, f"Replication scorecard (scale `{p.scale}`)"))
    print(sc.summary(card).to_string())


scriptio.run(main, snakemake)  # noqa: F821
