# Study A, seed-batched training: with smvae.batch_seeds, one job trains all seeds of a variant
# as one model (vaerep.ensemble) into the same per-seed folders that smvae_train writes, so every
# downstream rule is unchanged. smvae_train stays defined (other rules derive from it).
A_TABLE_RE = "|".join(v for v, spec in A_VARIANTS.items() if spec["table"]) or "^$"
A_EXTRA_RE = "|".join(v for v, spec in A_VARIANTS.items() if not spec["table"]) or "^$"

if A["batch_seeds"]:

    ruleorder: smvae_train_seeds > smvae_train_extra_seeds > smvae_train

    rule smvae_train_seeds:
        """Train every seed of one Table 4.1 SMVAE variant as one seed-batched model (one job)."""
        input:
            f"{DATA}/cmnist.pt",
        output:
            model=[f"{A_OUT}/runs/{{variant,{A_TABLE_RE}}}/seed{s}/model.pt" for s in A["seeds"]],
            history=[f"{A_OUT}/runs/{{variant,{A_TABLE_RE}}}/seed{s}/history.csv" for s in A["seeds"]],
            meta=[f"{A_OUT}/runs/{{variant,{A_TABLE_RE}}}/seed{s}/train_meta.json" for s in A["seeds"]],
        log:
            f"{A_OUT}/runs/{{variant}}/train_seeds.log",
        conda:
            "../envs/vaerep.yaml"
        threads: A["threads"]
        resources:
            gpu=1,
        params:
            spec=lambda w: A_VARIANTS[w.variant],
            seeds=lambda w: A["seeds"] if A_VARIANTS[w.variant]["table"] else A["extra_seeds"],
            train=A["train"],
            n_train_images=A["n_train_images"],
            subset_seed=A["subset_seed"],
            device=config["device"],
        script:
            "../scripts/smvae_train.py"

    use rule smvae_train_seeds as smvae_train_extra_seeds with:
        output:
            model=[f"{A_OUT}/runs/{{variant,{A_EXTRA_RE}}}/seed{s}/model.pt" for s in A["extra_seeds"]],
            history=[f"{A_OUT}/runs/{{variant,{A_EXTRA_RE}}}/seed{s}/history.csv" for s in A["extra_seeds"]],
            meta=[f"{A_OUT}/runs/{{variant,{A_EXTRA_RE}}}/seed{s}/train_meta.json" for s in A["extra_seeds"]],
