# Study C null controls: every C model at its seeded initialisation (zero training epochs), through
# the same evaluation, summary and claim code; outputs mirror results/<scale>/vqvae/ under null/.
# C2/C3: the MNIST VQ-VAE at init, and the trained one fed a random code (null/random_code/); C1: the five 2-D
# VAEs at init; C4: the substitute VQ-VAE at init.
C_NULL = f"{C_OUT}/null"
C_NULL_RUN = f"{C_NULL}/runs/mnist_vqvae"
C_NULL_TABLES = {k: v.replace(C_OUT, C_NULL, 1) for k, v in C_TABLES.items()}
C_RANDOM = f"{C_NULL}/random_code"
C_RANDOM_TABLES = {k: v.replace(C_OUT, C_RANDOM, 1) for k, v in C_TABLES.items()}
C1_NULL_OUT = f"{C_NULL}/vae2d"
C1_NULL_RUN = f"{C1_NULL_OUT}/runs/{{model}}"
C1_NULL_TABLES = {k: v.replace(C_OUT, C_NULL, 1) for k, v in C1_TABLES.items()}
C4_NULL_OUT = f"{C_NULL}/pretrained"
C4_NULL_SUB = f"{C4_NULL_OUT}/substitute"
C4_NULL_TABLES = {k: v.replace(C_OUT, C_NULL, 1) for k, v in C4_TABLES.items()}
ALL_OUTPUTS += list(C_NULL_TABLES.values()) + list(C_RANDOM_TABLES.values()) + list(C1_NULL_TABLES.values())
ALL_OUTPUTS += list(C4_NULL_TABLES.values())


use rule vqvae_train_mnist as vqvae_null_init_mnist with:
    output:
        model=f"{C_NULL_RUN}/model.pt",
        history=f"{C_NULL_RUN}/history.csv",
        meta=f"{C_NULL_RUN}/train_meta.json",
    log:
        f"{C_NULL_RUN}/train.log",
    # zero training steps: no GPU to ask a cluster for
    resources:
        gpu=0,
    params:
        train={**C["mnist"]["train"], "epochs": 0},


use rule vqvae_evaluate as vqvae_null_evaluate with:
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{C_NULL_RUN}/model.pt",
    output:
        **C_NULL_TABLES,
    log:
        f"{C_NULL}/evaluate.log",


use rule vqvae_evaluate as vqvae_null_random_code with:
    output:
        **C_RANDOM_TABLES,
    log:
        f"{C_RANDOM}/evaluate.log",
    params:
        random_code_seed=C["manipulations"]["figure_seed"],


use rule vqvae_vae2d_train as vqvae_vae2d_null_init with:
    output:
        model=f"{C1_NULL_RUN}/model.pt",
        history=f"{C1_NULL_RUN}/history.csv",
        meta=f"{C1_NULL_RUN}/train_meta.json",
    log:
        f"{C1_NULL_RUN}/train.log",
    # zero training steps: no GPU to ask a cluster for
    resources:
        gpu=0,
    params:
        train={**C1["train"], "epochs": 0},


use rule vqvae_vae2d_evaluate as vqvae_vae2d_null_evaluate with:
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{C1_NULL_RUN}/model.pt",
    output:
        metrics=f"{C1_NULL_RUN}/eval.json",
        latents=f"{C1_NULL_RUN}/latents.npz",
    log:
        f"{C1_NULL_RUN}/eval.log",


use rule vqvae_vae2d_summarise as vqvae_vae2d_null_summarise with:
    input:
        metrics=expand(f"{C1_NULL_RUN}/eval.json", model=C1_MODELS),
        histories=expand(f"{C1_NULL_RUN}/history.csv", model=C1_MODELS),
        metas=expand(f"{C1_NULL_RUN}/train_meta.json", model=C1_MODELS),
    output:
        **C1_NULL_TABLES,
    log:
        f"{C1_NULL_OUT}/summarise.log",


use rule vqvae_pretrained_train_substitute as vqvae_pretrained_null_init with:
    output:
        model=f"{C4_NULL_SUB}/model.pt",
        history=f"{C4_NULL_SUB}/history.csv",
        meta=f"{C4_NULL_SUB}/train_meta.json",
    log:
        f"{C4_NULL_SUB}/train.log",
    # zero training steps: no GPU to ask a cluster for
    resources:
        gpu=0,
    params:
        sub={**C4["substitute"], "train": {**C4["substitute"]["train"], "epochs": 0}},


use rule vqvae_pretrained_evaluate as vqvae_pretrained_null_evaluate with:
    input:
        source=f"{C4_OUT}/source.json",
        model=c4_null_model,
        mnist_table=C_NULL_TABLES["table_csv"],
    output:
        **C4_NULL_TABLES,
    log:
        f"{C4_NULL_OUT}/evaluate.log",
    # DALL-E's null: its architecture at a seeded initialisation, never the verified weights
    params:
        cfg=C4,
        null={
            "architecture": C4["dalle"]["architecture"],
            "seed": C4["substitute"]["train"]["seed"],
        },
