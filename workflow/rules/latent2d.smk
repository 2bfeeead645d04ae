# Study D: convolutional VAE with a 2-D latent on MNIST (EXPERIMENTS.md D; seed_004.md).
D = settings("latent2d")
D_VARIANTS = D["variants"]
D_MAIN = D["main_variant"]
if D_MAIN not in D_VARIANTS:
    raise PipelineError(f"latent2d.main_variant '{D_MAIN}' is not one of the variants {list(D_VARIANTS)}")
D_RUN = f"{RES}/latent2d/runs/{{variant}}"
D_OUT = f"{RES}/latent2d"
D_FIG = f"{FIG}/latent2d"
D_FIGURES = study_figures("latent2d")
D_TABLES = {
    k: f"{D_OUT}/{k}"
    for k in ["table_losses.csv", "table_losses.md", "checkpoints.csv", "centroid_neighbours.csv", "claims.csv"]
}
ALL_OUTPUTS += list(D_TABLES.values()) + list(D_FIGURES.values()) + [f"{D_OUT}/report.ipynb", f"{D_OUT}/report.html"]


rule latent2d_train:
    """Train one variant on the MNIST training images (shared loop; keeps epoch_N.pt checkpoints)."""
    input:
        f"{DATA}/mnist.pt",
    output:
        model=f"{D_RUN}/model.pt",
        history=f"{D_RUN}/history.csv",
        meta=f"{D_RUN}/train_meta.json",
    log:
        f"{D_RUN}/train.log",
    conda:
        "../envs/vaerep.yaml"
    threads: D["threads"]
    resources:
        gpu=1,
    params:
        model=lambda w: D_VARIANTS[w.variant]["model"],
        train=lambda w: d_train(w.variant),
        n_train_images=D["n_train_images"],
        subset_seed=D["subset_seed"],
        device=config["device"],
    script:
        "../scripts/latent2d_train.py"


rule latent2d_evaluate:
    """Per kept checkpoint: test -ELBO terms, test latent means, k-NN accuracy, class-centroid
    neighbours; for the final model also centroid-to-centroid transitions and reconstruction sharpness."""
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{D_RUN}/model.pt",
    output:
        metrics=f"{D_RUN}/eval.json",
        latents=f"{D_RUN}/latents.npz",
    log:
        f"{D_RUN}/eval.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        train=lambda w: d_train(w.variant),
        n_train_images=D["n_train_images"],
        n_test_images=D["n_test_images"],
        knn_train_images=D["knn_train_images"],
        subset_seed=D["subset_seed"],
        eval_seed=D["eval_seed"],
        knn_k=D["knn_k"],
        transition_pairs=D["claims"]["transition_pairs"],
        path_steps=D["figures"]["path_steps"],
        device=config["device"],
    script:
        "../scripts/latent2d_evaluate.py"


rule latent2d_summarise:
    """Loss table next to the thesis, per-checkpoint numbers, centroid neighbours and the claim checks."""
    input:
        metrics=[f"{D_OUT}/runs/{v}/eval.json" for v in D_VARIANTS],
        histories=[f"{D_OUT}/runs/{v}/history.csv" for v in D_VARIANTS],
    output:
        **D_TABLES,
    log:
        f"{D_OUT}/summarise.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        variants=D_VARIANTS,
        main=D_MAIN,
        thesis=D["thesis"],
        claims={**D["claims"], "loss_tolerance": config["scorecard"]["tolerances"]["latent2d"]},
    script:
        "../scripts/latent2d_summarise.py"


rule latent2d_figures:
    """Loss curves, latent maps (final and per checkpoint), samples, manifolds, reconstructions."""
    input:
        data=f"{DATA}/mnist.pt",
        models=[f"{D_OUT}/runs/{v}/model.pt" for v in D_VARIANTS],
        histories=[f"{D_OUT}/runs/{v}/history.csv" for v in D_VARIANTS],
        latents=[f"{D_OUT}/runs/{v}/latents.npz" for v in D_VARIANTS],
        metrics=[f"{D_OUT}/runs/{v}/eval.json" for v in D_VARIANTS],
    output:
        **reported_figures("latent2d"),
    log:
        f"{D_OUT}/figures.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        variants=D_VARIANTS,
        main=D_MAIN,
        thesis=D["thesis"],
        figures=D["figures"],
        n_test_images=D["n_test_images"],
        subset_seed=D["subset_seed"],
    script:
        "../scripts/latent2d_figures.py"


use rule render_notebook_template as latent2d_report with:
    input:
        source=notebook_source("latent2d"),
        # the "Why it differs" section: forensics.smk's snippet and figure of this study
        forensics=[f"{RES}/forensics/latent2d.md", f"{FIG}/forensics/latent2d_why_it_differs.png"],
        tables=list(D_TABLES.values()),
        figures=list(D_FIGURES.values()),
        metas=[f"{D_OUT}/runs/{v}/train_meta.json" for v in D_VARIANTS],
    output:
        notebook=f"{D_OUT}/report.ipynb",
        html=f"{D_OUT}/report.html",
    log:
        f"{D_OUT}/report.log",
    params:
        parameters=lambda w, input: {
            "scale": SCALE,
            "results_dir": D_OUT,
            "figures_dir": D_FIG,
            "settings_json": json.dumps(D),
            "forensics_md": input.forensics[0],
            "forensics_figure": input.forensics[1],
        },


include: "latent2d_null.smk"
