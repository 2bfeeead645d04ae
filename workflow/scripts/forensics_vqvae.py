"""Rule forensics_vqvae: one forensics row per Study C scorecard row that differs (C1, C2/C3, C4 claims), its check's
failing conditions classed as a scale artefact, a threshold choice or a real difference; a Markdown snippet and a
trend figure. The checks are the claims' own (looked up by claim ID), their courses led by the null controls."""
from pathlib import Path

from vaerep import scorecard as sc
from vaerep import scriptio
from vaerep.claim import checks as checks_of
from vaerep.forensics import differs as fd
from vaerep.forensics.vae2d_seeds import seed_row, with_spreads
from vaerep.forensics.vqvae_shift import shift_rows
from vaerep.readers import read_csv, read_json
from vaerep.studies import label
from vaerep.vqvae import claims as c3
from vaerep.vqvae import pretrained_eval as c4
from vaerep.vqvae import vae2d as c1


def c1_seed_claims(p, inp) -> dict[int, dict]:
    """H-C1-seed: seed -> {claim ID -> C1 claim} at every seed of ``forensics.seeds``, the study's own seed first
    (its courses led by the null control, as on the scorecard; the other seeds' final models only)."""
    seeds, models = list(p.c1_seeds["seeds"]), list(p.c1_seeds["models"])
    own = p.c1_seeds["own"]
    if own not in seeds:
        raise ValueError(f"vqvae.forensics.seeds.seeds {seeds} lacks the study's own seed {own}")
    null_histories = dict(zip(p.models, inp.c1_null_histories))
    out = {}
    for i, (seed, table) in enumerate(zip(seeds, inp.c1_seed_tables)):
        files = inp.c1_seed_histories[i * len(models):(i + 1) * len(models)]
        null = (read_csv(inp.c1_null_table), {m: read_csv(null_histories[m]) for m in models}) if seed == own else ()
        found = c1.claims(c1.C1Inputs(read_csv(table), {m: read_csv(f) for m, f in zip(models, files)}, *null),
                          p.roles, p.c1_claims, p.c1_thesis_epochs)
        out[seed] = {c.id: c for c in found}
    return {own: out.pop(own), **out}


def checks(rel: str, p, inp, epochs: int, seed_claims: dict) -> dict:
    """Claim ID -> check of the claims of one claims file (``rel``, relative to the study's results); C1's are the
    study's own seed's, each condition carrying its between-seed spread (``seed_claims``)."""
    if rel == "claims.csv":
        m = p.manip
        return checks_of(c3.claims(read_csv(inp.manip), read_json(inp.metrics), m["respect_ratio"],
                                                       m["respect_anchor"], read_csv(inp.null_manip), epochs))
    if rel == "vae2d/claims.csv":
        own, *others = seed_claims.values()
        return {cid: with_spreads(c.check, [s[cid].check for s in others]) for cid, c in own.items()}
    if rel == "pretrained/claims.csv":
        metrics = read_json(inp.c4_metrics)
        return checks_of(c4.claims(metrics["source"], metrics, read_csv(inp.c4_manip), metrics["roles"],
                                                       p.c4_manip, read_csv(inp.manip)))
    raise ValueError(f"forensics_vqvae: no claims file '{rel}' in Study C")


def main(smk):
    p, inp = smk.params, smk.input
    results = Path(inp.manip).parents[1]  # results/<scale>/vqvae/manipulations.csv
    note = sc.reduced_scale(p.section, p.scale, p.scale_keys)
    rows = []
    seed_claims = c1_seed_claims(p, inp)
    seeds = list(seed_claims)
    for path in inp.claims:
        rel = str(Path(path).relative_to(results / "vqvae"))
        part = p.parts[rel]
        reduced = sc.reduced_scale(p.section, p.scale, [part[k] for k in ("epochs", "n_train") if k in part])
        budget = fd.budget(p.section, p.scale, part, reduced)
        found = checks(rel, p, inp, budget.epochs, seed_claims)
        experiment = f"rule forensics_vqvae: {rel} and its null control ({reduced or 'thesis scale'})"
        differing = fd.differs(sc.claim_rows(label("vqvae"), path, note))
        rows += [fd.forensics_row(r, found.get(r["claim_id"]), budget, p.rules, experiment) for r in differing]
        if rel == "vae2d/claims.csv" and len(seeds) > 1:
            seed_experiment = (f"rule forensics_vqvae_vae2d_train: C1 models {list(p.c1_seeds['models'])} at seeds "
                               f"{seeds} (seed {seeds[0]} is the study's own run; {reduced or 'thesis scale'})")
            rows += [seed_row([seed_claims[s][r["claim_id"]] for s in seeds], seeds, p.c1_seeds, p.rules["noise_k"],
                              seed_experiment) for r in differing]
    m, hyp = p.manip, p.shift
    rows += shift_rows([read_csv(f) for f in inp.shift], m["shift_cells"], hyp,
                       {"ratio": m["respect_ratio"], "ratio_vs_no_op": m["respect_anchor"]}, p.rules["noise_k"],
                       f"rule forensics_vqvae_shift: the MNIST VQ-VAE at seeds {hyp['seeds']}, shifted by "
                       f"{m['shift_cells']} and by {hyp['shift_cells']} cells")
    frame = fd.write(rows, smk.output, "Study C")
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
