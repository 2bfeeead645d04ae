# "Why the numbers differ": hypothesis runs and the forensics table (results/<scale>/forensics.*).

F_OUT = f"{RES}/forensics"
F_FIG = f"{FIG}/forensics"
F_PARTS = []

if "smvae" in config["studies"]:
    # one threshold per quantity: "c rises with contrast" is judged with the claims' `rises`, the BCE and KL cells
    # with the scorecard's tolerances, "unstable" (a count of seeds) with the forensics' count_alpha
    FA = {
        **A["forensics"],
        "rises": A["claims"]["rises"],
        "term_tolerances": config["scorecard"]["tolerances"]["smvae"],
        "count_alpha": config["scorecard"]["forensics"]["count_alpha"],
    }
    FA_RUN = f"{F_OUT}/smvae/runs/{{variant}}/seed{{seed}}"
    FA_EVAL = f"{F_OUT}/smvae/eval/{{group}}/{{variant}}/seed{{seed}}"
    FA_RUN_FILES = {"model": "model.pt", "history": "history.csv", "meta": "train_meta.json"}
    # the Gamma variants' seed count ("training is unstable") gets count_seeds more seeds, baseline and hypothesis
    FA_COUNTED = fa_runs.counted(A_VARIANTS, FA)
    FA_RUNS = fa_runs.hypothesis_runs(A_VARIANTS, FA)
    FA_TABLE_RUNS = [(v, s) for v, spec in A_VARIANTS.items() if spec["table"] for s in A["seeds"]]
    FA_BASE_RUNS = fa_runs.baseline_runs(A_VARIANTS, FA, A["seeds"])
    FA_ALL = (
        [("hyp", v, s) for v, s in FA_RUNS]
        + [("base", v, s) for v, s in FA_TABLE_RUNS]
        + [("base", v, s) for v, s in FA_BASE_RUNS]
    )
    # seed-batched training (smvae.batch_seeds): group -> (variants, seeds), one job per variant
    FA_BATCHES = fa_runs.batches(A_VARIANTS, FA, A["seeds"])

    wildcard_constraints:
        group="base|hyp",

    use rule smvae_train as forensics_smvae_train with:
        output:
            model=f"{FA_RUN}/model.pt",
            history=f"{FA_RUN}/history.csv",
            meta=f"{FA_RUN}/train_meta.json",
        log:
            f"{FA_RUN}/train.log",
        params:
            spec=lambda w: fa_runs.spec(A_VARIANTS, FA, w.variant),
            train=A["train"],
            n_train_images=A["n_train_images"],
            subset_seed=A["subset_seed"],
            device=config["device"],

    if A["batch_seeds"]:

        # with smvae.batch_seeds (as the study's own runs), the seeds of a forensics variant train as one
        # seed-batched model: one job per group of variants with the same seeds, into the per-seed folders
        # forensics_smvae_train writes (each member's numbers are a separate run's, tests/test_ensemble.py)
        ruleorder: forensics_smvae_train_seeds > forensics_smvae_train

        use rule smvae_train_seeds as forensics_smvae_train_seeds with:
            output:
                **fa_batch_outputs("hyp"),
            log:
                f"{F_OUT}/smvae/runs/{{variant}}/train_seeds.log",
            params:
                spec=lambda w: fa_runs.spec(A_VARIANTS, FA, w.variant),
                seeds=lambda w: fa_batch_seeds(w.variant),
                train=A["train"],
                n_train_images=A["n_train_images"],
                subset_seed=A["subset_seed"],
                device=config["device"],

        if FA_COUNTED:

            ruleorder: forensics_smvae_train_counted_seeds > forensics_smvae_train

            use rule forensics_smvae_train_seeds as forensics_smvae_train_counted_seeds with:
                output:
                    **fa_batch_outputs("counted"),

        if FA_BASE_RUNS:

            ruleorder: forensics_smvae_train_base_seeds > forensics_smvae_train

            use rule forensics_smvae_train_seeds as forensics_smvae_train_base_seeds with:
                output:
                    **fa_batch_outputs("base"),

    rule forensics_smvae_evaluate:
        """Table 4.1 terms of one run (hypothesis or baseline) with the true and the author's Gamma KL."""
        input:
            data=f"{DATA}/cmnist.pt",
            model=fa_model,
        output:
            f"{FA_EVAL}.json",
        log:
            f"{FA_EVAL}.log",
        conda:
            "../envs/vaerep.yaml"
        threads: 1
        params:
            n_test_images=A["n_test_images"],
            subset_seed=A["subset_seed"],
            eval_seed=A["eval_seed"],
            device=config["device"],
        script:
            "../scripts/forensics_smvae_evaluate.py"

    rule forensics_smvae:
        """Study A's forensics rows (H-A1, H-A2, ranking; every number and claim that differs, classed), its
        "why it differs" snippet and figure."""
        input:
            evals=[f"{F_OUT}/smvae/eval/{g}/{v}/seed{s}.json" for g, v, s in FA_ALL],
            table=A_TABLES["table_4_1.csv"],
            per_seed=A_TABLES["table_4_1_per_seed.csv"],
            invariance=A_TABLES["invariance.csv"],
            posterior=A_TABLES["posterior_by_contrast.csv"],
            claims=A_TABLES["claims.csv"],
        output:
            csv=f"{F_OUT}/smvae.csv",
            md=f"{F_OUT}/smvae.md",
            figure=reported([f"{F_FIG}/smvae_why_it_differs.png"], "smvae", "why_it_differs")[0],
        log:
            f"{F_OUT}/smvae.log",
        conda:
            "../envs/vaerep.yaml"
        params:
            runs=FA_ALL,
            train_rules={v: fa_train_rule(v) for v in FA["variants"]},
            variants=A_VARIANTS,
            forensics=FA,
            settings=f"{A['train']['epochs']} epochs, n_train_images {A['n_train_images']}, seeds {FA['seeds']}"
            + (f" (Gamma variants also {FA['count_seeds']})" if FA["count_seeds"] else ""),
            scale=SCALE,
            section=config["smvae"],
            scale_keys=config["scorecard"]["thesis_scale_keys"]["smvae"],
            rules=config["scorecard"]["forensics"],
            claims=A_CLAIMS,
        script:
            "../scripts/forensics_smvae_summarise.py"

    F_PARTS.append(f"{F_OUT}/smvae.csv")


if "dsprites_beta" in config["studies"]:
    FB = B["forensics"]
    FB_RUN = f"{F_OUT}/dsprites_beta/units/{{convention}}/beta{{beta}}/seed{{seed}}"
    FB_UNIT_RUNS = [
        (c, f"{b:g}", s)
        for c in fb_conventions()
        for b in FB["units"]["runs"]["betas"]
        for s in FB["units"]["runs"]["seeds"]
    ]

    rule forensics_dsprites_units_train:
        """A short beta-VAE run with one candidate loss convention of Table 2.3."""
        input:
            f"{B_OUT}/data.pt",
        output:
            model=f"{FB_RUN}/model.pt",
            history=f"{FB_RUN}/history.csv",
            meta=f"{FB_RUN}/train_meta.json",
        log:
            f"{FB_RUN}/train.log",
        conda:
            "../envs/vaerep.yaml"
        threads: 1
        resources:
            gpu=1,
        params:
            model=B["model"],
            n_train=FB["units"]["runs"]["n_train"],
            train=lambda w: {**FB["units"]["runs"]["train"], "seed": int(w.seed)},
            device=config["device"],
        script:
            "../scripts/forensics_dsprites_units_train.py"

    rule forensics_dsprites_mig:
        """MIG of the study's trained beta models, and of their untrained null models, under each estimator/protocol
        hypothesis (Table 2.4)."""
        input:
            grid=[B_GRID] if B["data"]["cache_full_grid"] else [],
            models=expand(f"{B_RUN}/model.pt", beta=B_BETAS),
            null_models=expand(f"{B_NULL_RUN}/model.pt", beta=B_BETAS),
        output:
            trained=f"{F_OUT}/dsprites_beta/mig_protocols.json",
            null=f"{F_OUT}/dsprites_beta/mig_protocols_null.json",
        log:
            f"{F_OUT}/dsprites_beta/mig_protocols.log",
        conda:
            "../envs/vaerep.yaml"
        threads: 1
        params:
            mig=FB["mig"],
            betas=B_BETAS,
            bins=B["mig"]["bins"],
            data=B["data"],
            download_root=f"{DATA}/download",
            device=config["device"],
        script:
            "../scripts/forensics_dsprites_mig.py"

    rule forensics_dsprites:
        """Study B's forensics rows (Table 2.3 unit, Table 2.4 MIG), its snippet and figure."""
        input:
            histories=[f"{F_OUT}/dsprites_beta/units/{c}/beta{b}/seed{s}/history.csv" for c, b, s in FB_UNIT_RUNS],
            mig=f"{F_OUT}/dsprites_beta/mig_protocols.json",
            mig_null=f"{F_OUT}/dsprites_beta/mig_protocols_null.json",
        output:
            csv=f"{F_OUT}/dsprites_beta.csv",
            md=f"{F_OUT}/dsprites_beta.md",
            arithmetic=f"{F_OUT}/dsprites_beta_units_arithmetic.csv",
            figure=reported([f"{F_FIG}/dsprites_beta_why_it_differs.png"], "dsprites_beta", "why_it_differs")[0],
        log:
            f"{F_OUT}/dsprites_beta.log",
        conda:
            "../envs/vaerep.yaml"
        params:
            thesis=B["thesis"],
            units=FB["units"],
            mig=FB["mig"],
            latent_dim=B["model"]["latent_dim"],
            unit_runs=FB_UNIT_RUNS,
            unit_settings=f"first {FB['units']['runs']['n_train']} training images, {FB['units']['runs']['train']}, "
            f"seeds {FB['units']['runs']['seeds']}",
            noise_k=config["scorecard"]["forensics"]["noise_k"],
            mig_settings=f"the study's models ({B['train']['epochs']} epochs, n_images {B['n_images']})",
        script:
            "../scripts/forensics_dsprites_summarise.py"

    F_PARTS.append(f"{F_OUT}/dsprites_beta.csv")


if "vqvae" in config["studies"]:
    # H-C-shift: C3's shifts at another shift, on VQ-VAEs of several seeds (the study's own run is one of them)
    FC_SHIFT = C["forensics"]["shift"]
    FC_RUN = f"{F_OUT}/vqvae/runs/seed{{seed}}"
    FC_SHIFT_TABLE = f"{F_OUT}/vqvae/shift/seed{{seed}}.csv"

    use rule vqvae_train_mnist as forensics_vqvae_train with:
        output:
            model=f"{FC_RUN}/model.pt",
            history=f"{FC_RUN}/history.csv",
            meta=f"{FC_RUN}/train_meta.json",
        log:
            f"{FC_RUN}/train.log",
        params:
            model=C["mnist"]["model"],
            train=lambda w: {**C["mnist"]["train"], "seed": int(w.seed)},
            n_train_images=C["n_train_images"],
            subset_seed=C["subset_seed"],
            device=config["device"],

    rule forensics_vqvae_shift:
        """H-C-shift: one VQ-VAE seed's C3 shift rows at the study's shift and at the hypothesis's."""
        input:
            data=f"{DATA}/mnist.pt",
            model=fc_model,
        output:
            FC_SHIFT_TABLE,
        log:
            f"{F_OUT}/vqvae/shift/seed{{seed}}.log",
        conda:
            "../envs/vaerep.yaml"
        threads: 1
        params:
            n_test_images=C["n_test_images"],
            subset_seed=C["subset_seed"],
            manip=C["manipulations"],
            shift_cells=[C["manipulations"]["shift_cells"], FC_SHIFT["shift_cells"]],
        script:
            "../scripts/forensics_vqvae_shift.py"

    # H-C1-seed: C1's claims at other seeds (the study's own runs are seed vae2d.train.seed)
    FC1 = C["forensics"]["seeds"]
    FC1_OUT = f"{F_OUT}/vqvae/vae2d/seed{{seed}}"
    FC1_RUN = f"{F_OUT}/vqvae/runs/vae2d/seed{{seed}}/{{model}}"
    _fc1_unknown = sorted(set(FC1["models"]) - set(C1_MODELS))
    if _fc1_unknown:
        raise PipelineError(f"vqvae.forensics.seeds.models names {_fc1_unknown}, not in vqvae.vae2d.models")

    use rule vqvae_vae2d_train as forensics_vqvae_vae2d_train with:
        output:
            model=f"{FC1_RUN}/model.pt",
            history=f"{FC1_RUN}/history.csv",
            meta=f"{FC1_RUN}/train_meta.json",
        log:
            f"{FC1_RUN}/train.log",
        params:
            model=lambda w: c1_spec(w.model),
            train=lambda w: {**C1["train"], "seed": int(w.seed)},
            n_train_images=C1["n_train_images"],
            n_test_images=C1["n_test_images"],
            subset_seed=C["subset_seed"],
            device=config["device"],

    use rule vqvae_vae2d_evaluate as forensics_vqvae_vae2d_evaluate with:
        input:
            data=f"{DATA}/mnist.pt",
            model=f"{FC1_RUN}/model.pt",
        output:
            metrics=f"{FC1_RUN}/eval.json",
            latents=f"{FC1_RUN}/latents.npz",
        log:
            f"{FC1_RUN}/eval.log",

    use rule vqvae_vae2d_summarise as forensics_vqvae_vae2d_summarise with:
        input:
            metrics=lambda w: fc1_files("eval.json", w.seed),
            histories=lambda w: fc1_files("history.csv", w.seed),
            metas=lambda w: fc1_files("train_meta.json", w.seed),
        output:
            table_csv=f"{FC1_OUT}/table.csv",
            table_md=f"{FC1_OUT}/table.md",
            claims=f"{FC1_OUT}/claims.csv",
        log:
            f"{FC1_OUT}/summarise.log",
        params:
            models={m: C1_MODELS[m] for m in FC1["models"]},
            roles=C1_ROLES,
            claims=C1["claims"],
            thesis_epochs=C1_THESIS_EPOCHS,

    rule forensics_vqvae:
        """Study C's forensics rows: every C1/C2/C3/C4 claim that differs, classed (scale, threshold, real)."""
        input:
            claims=[C_TABLES["claims"], C1_TABLES["claims"], C4_TABLES["claims"]],
            manip=C_TABLES["table_csv"],
            metrics=C_TABLES["metrics"],
            null_manip=C_NULL_TABLES["table_csv"],
            c4_metrics=C4_TABLES["metrics"],
            c4_manip=C4_TABLES["table_csv"],
            c1_null_table=C1_NULL_TABLES["table_csv"],
            c1_null_histories=expand(f"{C1_NULL_RUN}/history.csv", model=C1_MODELS),
            shift=expand(FC_SHIFT_TABLE, seed=FC_SHIFT["seeds"]),
            c1_seed_tables=fc1_tables("table.csv"),
            c1_seed_histories=[f for seed in FC1["seeds"] for f in fc1_files("history.csv", seed)],
        output:
            csv=f"{F_OUT}/vqvae.csv",
            md=f"{F_OUT}/vqvae.md",
            figure=reported([f"{F_FIG}/vqvae_why_it_differs.png"], "vqvae", "why_it_differs")[0],
        log:
            f"{F_OUT}/vqvae.log",
        conda:
            "../envs/vaerep.yaml"
        params:
            scale=SCALE,
            section=config["vqvae"],
            scale_keys=config["scorecard"]["thesis_scale_keys"]["vqvae"],
            rules=config["scorecard"]["forensics"],
            parts=C["forensics"]["parts"],
            manip=C["manipulations"],
            c1_claims=C1["claims"],
            c1_thesis_epochs=C1_THESIS_EPOCHS,
            c4_manip=C4["manipulations"],
            roles=C1_ROLES,
            models=list(C1_MODELS),
            shift=FC_SHIFT,
            c1_seeds={**FC1, "own": C1["train"]["seed"]},
        script:
            "../scripts/forensics_vqvae.py"

    F_PARTS.append(f"{F_OUT}/vqvae.csv")


if "latent2d" in config["studies"]:

    rule forensics_latent2d:
        """Study D's forensics rows: every Figs 5.8-5.9 number and claim that differs, classed (scale, threshold, real)."""
        input:
            losses=D_TABLES["table_losses.csv"],
            checkpoints=D_TABLES["checkpoints.csv"],
            claims=D_TABLES["claims.csv"],
            metrics=[f"{D_OUT}/runs/{v}/eval.json" for v in D_VARIANTS],
            histories=[f"{D_OUT}/runs/{v}/history.csv" for v in D_VARIANTS],
            null_metrics=f"{D_NULL}/runs/{D_MAIN}/eval.json",
        output:
            csv=f"{F_OUT}/latent2d.csv",
            md=f"{F_OUT}/latent2d.md",
            figure=reported([f"{F_FIG}/latent2d_why_it_differs.png"], "latent2d", "why_it_differs")[0],
        log:
            f"{F_OUT}/latent2d.log",
        conda:
            "../envs/vaerep.yaml"
        params:
            scale=SCALE,
            section=config["latent2d"],
            scale_keys=config["scorecard"]["thesis_scale_keys"]["latent2d"],
            rules=config["scorecard"]["forensics"],
            parts=D["forensics"]["parts"],
            variants=D_VARIANTS,
            main=D_MAIN,
            thesis=D["thesis"],
            claims={**D["claims"], "loss_tolerance": config["scorecard"]["tolerances"]["latent2d"]},
        script:
            "../scripts/forensics_latent2d.py"

    F_PARTS.append(f"{F_OUT}/latent2d.csv")


if F_PARTS:

    rule forensics:
        """Every study's forensics rows: results/<scale>/forensics.{csv,md}."""
        input:
            F_PARTS,
        output:
            csv=f"{RES}/forensics.csv",
            md=f"{RES}/forensics.md",
        log:
            f"{RES}/forensics.log",
        conda:
            "../envs/vaerep.yaml"
        params:
            scale=SCALE,
        script:
            "../scripts/forensics_table.py"

    ALL_OUTPUTS += [f"{RES}/forensics.csv", f"{RES}/forensics.md"]
