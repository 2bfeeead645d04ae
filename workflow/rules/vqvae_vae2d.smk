# Study C1: four MNIST VAEs with a 2-D latent (M1-M4), Figs 5.1-5.4 and their loss table.
C1 = C["vae2d"]
C1_MODELS = C1["models"]
C1_THESIS_EPOCHS = 15  # epochs the thesis trained each 2-D VAE (§5.1)
C1_ROLES = {"fc_mse": "M1", "fc_bce": "M2", "conv_mse": "M3", "conv_bce": "M4", "collapse": "collapse"}
_c1_missing = sorted(set(C1_ROLES.values()) - set(C1_MODELS))
if _c1_missing:
    raise PipelineError(f"vqvae.vae2d.models lacks {_c1_missing}: C1 needs M1-M4 and the collapse model")
C1_OUT = f"{C_OUT}/vae2d"
C1_RUN = f"{C1_OUT}/runs/{{model}}"
C1_MODEL_RE = "|".join(C1_MODELS)
C1_FIGS = study_figures("vqvae", "vae2d")
C1_TABLES = {"table_csv": f"{C1_OUT}/table.csv", "table_md": f"{C1_OUT}/table.md", "claims": f"{C1_OUT}/claims.csv"}
ALL_OUTPUTS += list(C1_TABLES.values()) + list(C1_FIGS.values())
C_REPORT_INPUTS += list(C1_TABLES.values()) + list(C1_FIGS.values())


rule vqvae_vae2d_train:
    """C1: one 2-D VAE on the MNIST training images (shared loop; test-set terms logged per epoch)."""
    input:
        f"{DATA}/mnist.pt",
    output:
        model=f"{C1_RUN}/model.pt",
        history=f"{C1_RUN}/history.csv",
        meta=f"{C1_RUN}/train_meta.json",
    log:
        f"{C1_RUN}/train.log",
    wildcard_constraints:
        model=C1_MODEL_RE,
    conda:
        "../envs/vaerep.yaml"
    threads: C["threads"]
    resources:
        gpu=1,
    params:
        model=lambda w: c1_spec(w.model),
        train=C1["train"],
        n_train_images=C1["n_train_images"],
        n_test_images=C1["n_test_images"],
        subset_seed=C["subset_seed"],
        device=config["device"],
    script:
        "../scripts/vqvae_vae2d_train.py"


rule vqvae_vae2d_evaluate:
    """C1: test reconstruction error, KL (and per dim), -ELBO, latent means and their k-NN accuracy."""
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{C1_RUN}/model.pt",
    output:
        metrics=f"{C1_RUN}/eval.json",
        latents=f"{C1_RUN}/latents.npz",
    log:
        f"{C1_RUN}/eval.log",
    wildcard_constraints:
        model=C1_MODEL_RE,
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        n_test_images=C1["n_test_images"],
        n_train_images=C1["n_train_images"],
        knn_train_images=C1["knn_train_images"],
        subset_seed=C["subset_seed"],
        eval_seed=C1["eval_seed"],
        knn_k=C1["claims"]["knn_k"],
        device=config["device"],
    script:
        "../scripts/vqvae_vae2d_evaluate.py"


rule vqvae_vae2d_summarise:
    """C1: the loss table of all models (CSV + Markdown) and the thesis's claims checked."""
    input:
        metrics=expand(f"{C1_RUN}/eval.json", model=C1_MODELS),
        histories=expand(f"{C1_RUN}/history.csv", model=C1_MODELS),
        metas=expand(f"{C1_RUN}/train_meta.json", model=C1_MODELS),
    output:
        **C1_TABLES,
    log:
        f"{C1_OUT}/summarise.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        models=C1_MODELS,
        roles=C1_ROLES,
        claims=C1["claims"],
        thesis_epochs=C1_THESIS_EPOCHS,
    script:
        "../scripts/vqvae_vae2d_summarise.py"


rule vqvae_vae2d_figures:
    """C1: Figs 5.1 a/b (latent means), 5.2 a/b (decoded grid), 5.3 (collapse), 5.4 (loss curves), all latents."""
    input:
        data=f"{DATA}/mnist.pt",
        models=expand(f"{C1_RUN}/model.pt", model=C1_MODELS),
        latents=expand(f"{C1_RUN}/latents.npz", model=C1_MODELS),
        histories=expand(f"{C1_RUN}/history.csv", model=C1_MODELS),
        table=C1_TABLES["table_csv"],
    output:
        **reported_figures("vqvae", "vae2d"),
    log:
        f"{C1_OUT}/figures.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        models=C1_MODELS,
        roles=C1_ROLES,
        figures=C1["figures"],
        n_test_images=C1["n_test_images"],
        subset_seed=C["subset_seed"],
    script:
        "../scripts/vqvae_vae2d_figures.py"
