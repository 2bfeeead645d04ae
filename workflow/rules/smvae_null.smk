# Study A's null control: every run's architecture at its seeded initialisation (trained for zero
# steps through the same training code), evaluated and summarised by the same rules as the trained runs.
# Outputs mirror results/<scale>/smvae/ in results/<scale>/smvae/null/.
A_NULL = f"{A_OUT}/null"
A_NULL_RUN = f"{A_NULL}/runs/{{variant}}/seed{{seed}}"
A_NULL_TABLES = {k: null_twin(v) for k, v in A_TABLES.items()}
ALL_OUTPUTS += list(A_NULL_TABLES.values())


use rule smvae_train as smvae_train_null with:
    output:
        model=f"{A_NULL_RUN}/model.pt",
        history=f"{A_NULL_RUN}/history.csv",
        meta=f"{A_NULL_RUN}/train_meta.json",
    log:
        f"{A_NULL_RUN}/train.log",
    # zero training steps: no GPU to ask a cluster for
    resources:
        gpu=0,
    params:
        spec=lambda w: A_VARIANTS[w.variant],
        train=null_train(A["train"]),
        n_train_images=A["n_train_images"],
        subset_seed=A["subset_seed"],
        device=config["device"],


use rule smvae_evaluate as smvae_evaluate_null with:
    input:
        data=f"{DATA}/cmnist.pt",
        model=f"{A_NULL_RUN}/model.pt",
    output:
        metrics=f"{A_NULL_RUN}/eval.json",
        posterior=f"{A_NULL_RUN}/posterior_by_contrast.csv",
    log:
        f"{A_NULL_RUN}/eval.log",
    params:
        n_test_images=A["n_test_images"],
        subset_seed=A["subset_seed"],
        eval_seed=A["eval_seed"],
        iwae_k=A["iwae_k"],
        iwae_images=A["null_iwae_images"],
        device=config["device"],


use rule smvae_summarise as smvae_summarise_null with:
    input:
        metrics=[f"{A_NULL}/runs/{v}/seed{s}/eval.json" for v, s in A_RUNS],
        posterior=[f"{A_NULL}/runs/{v}/seed{s}/posterior_by_contrast.csv" for v, s in A_RUNS],
    output:
        **A_NULL_TABLES,
    log:
        f"{A_NULL}/summarise.log",
