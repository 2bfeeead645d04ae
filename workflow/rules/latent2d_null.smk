# Study D's null control: each variant's conv VAE at its seeded initialisation (trained for zero
# steps through the same training code), evaluated and summarised by the same rules as the trained runs.
# Outputs mirror results/<scale>/latent2d/ in results/<scale>/latent2d/null/.
D_NULL = f"{D_OUT}/null"
D_NULL_RUN = f"{D_NULL}/runs/{{variant}}"
D_NULL_TABLES = {k: null_twin(v) for k, v in D_TABLES.items()}
ALL_OUTPUTS += list(D_NULL_TABLES.values())


use rule latent2d_train as latent2d_train_null with:
    output:
        model=f"{D_NULL_RUN}/model.pt",
        history=f"{D_NULL_RUN}/history.csv",
        meta=f"{D_NULL_RUN}/train_meta.json",
    log:
        f"{D_NULL_RUN}/train.log",
    # zero training steps: no GPU to ask a cluster for
    resources:
        gpu=0,
    params:
        model=lambda w: D_VARIANTS[w.variant]["model"],
        train=lambda w: null_train(d_train(w.variant)),
        n_train_images=D["n_train_images"],
        subset_seed=D["subset_seed"],
        device=config["device"],


use rule latent2d_evaluate as latent2d_evaluate_null with:
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{D_NULL_RUN}/model.pt",
    output:
        metrics=f"{D_NULL_RUN}/eval.json",
        latents=f"{D_NULL_RUN}/latents.npz",
    log:
        f"{D_NULL_RUN}/eval.log",
    params:
        train=lambda w: null_train(d_train(w.variant)),
        n_train_images=D["n_train_images"],
        n_test_images=D["n_test_images"],
        knn_train_images=D["knn_train_images"],
        subset_seed=D["subset_seed"],
        eval_seed=D["eval_seed"],
        knn_k=D["knn_k"],
        transition_pairs=D["claims"]["transition_pairs"],
        path_steps=D["figures"]["path_steps"],
        device=config["device"],


use rule latent2d_summarise as latent2d_summarise_null with:
    input:
        metrics=[f"{D_NULL}/runs/{v}/eval.json" for v in D_VARIANTS],
        histories=[f"{D_NULL}/runs/{v}/history.csv" for v in D_VARIANTS],
    output:
        **D_NULL_TABLES,
    log:
        f"{D_NULL}/summarise.log",
