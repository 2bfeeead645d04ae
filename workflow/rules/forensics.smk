# Issue 11 "why the numbers differ": hypothesis runs and the forensics table (results/<scale>/forensics.*).
F_OUT = RES + "/forensics"
F_FIG = FIG + "/forensics"
F_PARTS = []

if "smvae" in config["studies"]:
    FA = A["forensics"]
    FA_RUN = F_OUT + "/smvae/runs/{variant}/seed{seed}"
    FA_RUNS = [(v, s) for v in FA["variants"] for s in FA["seeds"]]
    FA_BASE_RUNS = sorted({(spec["base"], s) for spec in FA["variants"].values() for s in A["seeds"]})

    def fa_spec(variant):
        """A forensics variant's model spec: its Table 4.1 base variant with the hypothesis's settings."""
        hyp = FA["variants"][variant]
        changed = {k: v for k, v in hyp.items() if k not in ("base", "hypothesis")}
        return {**A_VARIANTS[hyp["base"]], **changed}

    use rule smvae_train as forensics_smvae_train with:
        output:
            model=FA_RUN + "/model.pt",
            history=FA_RUN + "/history.csv",
            meta=FA_RUN + "/train_meta.json",
        params:
            spec=lambda w: fa_spec(w.variant),
            train=A["train"],
            n_train_images=A["n_train_images"],
            subset_seed=A["subset_seed"],
            device=config["device"],
        log:
            FA_RUN + "/train.log",

    FA_EVAL = F_OUT + "/smvae/eval/{group}/{variant}/seed{seed}.json"
    FA_TABLE_RUNS = [(v, s) for v, spec in A_VARIANTS.items() if spec["table"] for s in A["seeds"]]
    FA_ALL = [("hyp", v, s) for v, s in FA_RUNS] + [("base", v, s) for v, s in FA_TABLE_RUNS]

    wildcard_constraints:
        group="base|hyp",

    rule forensics_smvae_evaluate:
        """Table 4.1 terms of one run (hypothesis or baseline) with the true and the author's Gamma KL."""
        input:
            data=f"{DATA}/cmnist.pt",
            model=lambda w: (FA_RUN if w.group == "hyp" else A_RUN).format(variant=w.variant, seed=w.seed)
            + "/model.pt",
        output:
            FA_EVAL,
        params:
            n_test_images=A["n_test_images"],
            subset_seed=A["subset_seed"],
            eval_seed=A["eval_seed"],
            device=config["device"],
        threads: 1
        log:
            F_OUT + "/smvae/eval/{group}/{variant}/seed{seed}.log",
        script:
            "../scripts/forensics_smvae_evaluate.py"

    rule forensics_smvae:
        """Study A's forensics rows (H-A1, H-A2, ranking), its "why it differs" snippet and figure."""
        input:
            evals=[FA_EVAL.format(group=g, variant=v, seed=s) for g, v, s in FA_ALL],
        output:
            csv=F_OUT + "/smvae.csv",
            md=F_OUT + "/smvae.md",
            figure=F_FIG + "/smvae_why_it_differs.png",
        params:
            runs=FA_ALL,
            variants=A_VARIANTS,
            forensics=FA,
            settings=f"{A['train']['epochs']} epochs, n_train_images {A['n_train_images']}, seeds {FA['seeds']}",
        log:
            F_OUT + "/smvae.log",
        script:
            "../scripts/forensics_smvae_summarise.py"

    F_PARTS.append(F_OUT + "/smvae.csv")


if "dsprites_beta" in config["studies"]:
    from vaerep.forensics import units as funits

    FB = B["forensics"]
    FB_RUN = F_OUT + "/dsprites_beta/units/{convention}/beta{beta}"
    FB_CONVS = [
        c.trainable
        for c in funits.conventions(FB["units"]["thesis_batch_size"], B["model"]["latent_dim"])
        if c.trainable
        and c.name
        in funits.survivors(
            funits.arithmetic_table(B["thesis"]["table_2_3"], FB["units"]["thesis_batch_size"])
        )
    ]
    FB_UNIT_RUNS = [(c, f"{b:g}") for c in FB_CONVS for b in FB["units"]["runs"]["betas"]]

    rule forensics_dsprites_units_train:
        """A short beta-VAE run with one candidate loss convention of Table 2.3."""
        input:
            B_OUT + "/data.pt",
        output:
            model=FB_RUN + "/model.pt",
            history=FB_RUN + "/history.csv",
            meta=FB_RUN + "/train_meta.json",
        params:
            model=B["model"],
            n_train=FB["units"]["runs"]["n_train"],
            train=FB["units"]["runs"]["train"],
            device=config["device"],
        threads: 1
        resources:
            gpu=1,
        log:
            FB_RUN + "/train.log",
        script:
            "../scripts/forensics_dsprites_units_train.py"

    rule forensics_dsprites_mig:
        """MIG of the study's trained beta models under each estimator/protocol hypothesis (Table 2.4)."""
        input:
            grid=[B_GRID] if B["data"]["cache_full_grid"] else [],
            models=expand(B_RUN + "/model.pt", beta=B_BETAS),
        output:
            F_OUT + "/dsprites_beta/mig_protocols.json",
        params:
            mig=FB["mig"],
            betas=B_BETAS,
            bins=B["mig"]["bins"],
            data=B["data"],
            download_root=f"{DATA}/download",
            device=config["device"],
        threads: 1
        log:
            F_OUT + "/dsprites_beta/mig_protocols.log",
        script:
            "../scripts/forensics_dsprites_mig.py"

    rule forensics_dsprites:
        """Study B's forensics rows (Table 2.3 unit, Table 2.4 MIG), its snippet and figure."""
        input:
            histories=[f"{F_OUT}/dsprites_beta/units/{c}/beta{b}/history.csv" for c, b in FB_UNIT_RUNS],
            mig=F_OUT + "/dsprites_beta/mig_protocols.json",
        output:
            csv=F_OUT + "/dsprites_beta.csv",
            md=F_OUT + "/dsprites_beta.md",
            arithmetic=F_OUT + "/dsprites_beta_units_arithmetic.csv",
            figure=F_FIG + "/dsprites_beta_why_it_differs.png",
        params:
            thesis=B["thesis"],
            units=FB["units"],
            mig=FB["mig"],
            latent_dim=B["model"]["latent_dim"],
            unit_runs=FB_UNIT_RUNS,
            unit_settings=f"first {FB['units']['runs']['n_train']} training images, {FB['units']['runs']['train']}",
            mig_settings=f"study's models ({B['train']['epochs']} epochs, n_images {B['n_images']})",
        log:
            F_OUT + "/dsprites_beta.log",
        script:
            "../scripts/forensics_dsprites_summarise.py"

    F_PARTS.append(F_OUT + "/dsprites_beta.csv")


if F_PARTS:

    rule forensics:
        """Every study's forensics rows: results/<scale>/forensics.{csv,md} (issue 11)."""
        input:
            F_PARTS,
        output:
            csv=RES + "/forensics.csv",
            md=RES + "/forensics.md",
        params:
            scale=SCALE,
        log:
            RES + "/forensics.log",
        script:
            "../scripts/forensics_table.py"

    ALL_OUTPUTS += [RES + "/forensics.csv", RES + "/forensics.md"]
