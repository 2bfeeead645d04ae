# Study B: beta-VAE on dSprites with MIG and PCA (EXPERIMENTS.md B; seed_003.md).
B = settings("dsprites_beta")
B_BETAS = [f"{b:g}" for b in B["betas"]]
B_OUT = f"{RES}/dsprites_beta"
B_FIG = f"{FIG}/dsprites_beta"
B_FIGURES = study_figures("dsprites_beta")
B_RUN = f"{B_OUT}/runs/beta{{beta}}"
B_GRID = f"{DATA}/dsprites_grid_{B['data']['source']}.pt"
B_PCA_BETA = f"{B['pca']['beta']:g}"
B_TABLES = {
    k: f"{B_OUT}/{k}"
    for k in [
        "table_2_3.csv",
        "table_2_3.md",
        "table_2_4.csv",
        "table_2_4.md",
        "mig_details.json",
        "model_params.json",
        "claims.csv",
    ]
}
ALL_OUTPUTS += list(B_TABLES.values()) + list(B_FIGURES.values()) + [f"{B_OUT}/report.ipynb", f"{B_OUT}/report.html"]


wildcard_constraints:
    beta=r"[0-9.]+",


rule dsprites_grid:
    """The whole dSprites grid (737,280 images) from the official npz (structure-checked, SHA-256
    recorded) or the procedural generator, cached once bit-packed."""
    output:
        B_GRID,
    log:
        f"{DATA}/logs/dsprites_grid.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        data=B["data"],
        named_file=b_named_file(),
        download_root=f"{DATA}/download",
    script:
        "../scripts/dsprites_beta_grid.py"


rule dsprites_beta_data:
    """Seeded random train/validation subset and the MIG/PCA evaluation sample (images + factors)."""
    input:
        [B_GRID] if B["data"]["cache_full_grid"] else [],
    output:
        data=f"{B_OUT}/data.pt",
        meta=f"{B_OUT}/data_meta.json",
    log:
        f"{B_OUT}/data.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        data=B["data"],
        named_file=b_named_file(),
        download_root=f"{DATA}/download",
        n_images=B["n_images"],
        val_fraction=B["val_fraction"],
        subset_seed=B["subset_seed"],
        mig=B["mig"],
    script:
        "../scripts/dsprites_beta_data.py"


rule dsprites_beta_train:
    """Train the beta-VAE for one beta (shared training loop, validation terms per epoch)."""
    input:
        f"{B_OUT}/data.pt",
    output:
        model=f"{B_RUN}/model.pt",
        history=f"{B_RUN}/history.csv",
        meta=f"{B_RUN}/train_meta.json",
    log:
        f"{B_RUN}/train.log",
    conda:
        "../envs/vaerep.yaml"
    threads: B["threads"]
    resources:
        gpu=1,
    params:
        model=B["model"],
        train=B["train"],
        device=config["device"],
    script:
        "../scripts/dsprites_beta_train.py"


rule dsprites_beta_evaluate:
    """Posterior means of the evaluation sample, MIG per factor, final loss terms of one beta."""
    input:
        data=f"{B_OUT}/data.pt",
        model=f"{B_RUN}/model.pt",
        history=f"{B_RUN}/history.csv",
    output:
        metrics=f"{B_RUN}/eval.json",
        codes=f"{B_RUN}/codes.pt",
    log:
        f"{B_RUN}/eval.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        bins=B["mig"]["bins"],
        chance_draws=B["mig"]["chance_draws"],
        device=config["device"],
    script:
        "../scripts/dsprites_beta_evaluate.py"


rule dsprites_beta_summarise:
    """Table 2.3 (final loss terms) and Table 2.4 (MIG, with its chance level) next to the thesis, parameter
    counts, and the thesis's MIG and PCA claims checked (claims.csv)."""
    input:
        metrics=expand(f"{B_RUN}/eval.json", beta=B_BETAS),
        codes=expand(f"{B_RUN}/codes.pt", beta=B_BETAS),
    output:
        **B_TABLES,
    log:
        f"{B_OUT}/summarise.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        thesis=B["thesis"],
        model=B["model"],
        betas=B_BETAS,
        pca=B["pca"],
        claims=B["claims"],
        chance_draws=B["mig"]["chance_draws"],
    script:
        "../scripts/dsprites_beta_summarise.py"


rule dsprites_beta_figures:
    """Sample grid, loss curves, reconstructions, MIG vs beta and PCA scatters."""
    input:
        data=f"{B_OUT}/data.pt",
        data_meta=f"{B_OUT}/data_meta.json",
        models=expand(f"{B_RUN}/model.pt", beta=B_BETAS),
        histories=expand(f"{B_RUN}/history.csv", beta=B_BETAS),
        codes=expand(f"{B_RUN}/codes.pt", beta=B_BETAS),
        table=B_TABLES["table_2_4.csv"],
    output:
        **reported_figures("dsprites_beta"),
    log:
        f"{B_OUT}/figures.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        betas=B_BETAS,
        figures=B["figures"],
        pca=B["pca"],
        n_recon=B["n_recon"],
        n_samples_grid=B["n_samples_grid"],
        at_chance_k=B["claims"]["at_chance_k"],
    script:
        "../scripts/dsprites_beta_figures.py"


use rule render_notebook_template as dsprites_beta_report with:
    input:
        source=notebook_source("dsprites_beta"),
        # the "Why it differs" section: forensics.smk's snippet and figure of this study
        forensics=[f"{RES}/forensics/dsprites_beta.md", f"{FIG}/forensics/dsprites_beta_why_it_differs.png"],
        tables=list(B_TABLES.values()),
        figures=list(B_FIGURES.values()),
        metas=expand(f"{B_RUN}/train_meta.json", beta=B_BETAS),
        data_meta=f"{B_OUT}/data_meta.json",
    output:
        notebook=f"{B_OUT}/report.ipynb",
        html=f"{B_OUT}/report.html",
    log:
        f"{B_OUT}/report.log",
    params:
        parameters=lambda w, input: {
            "scale": SCALE,
            "results_dir": B_OUT,
            "figures_dir": B_FIG,
            "settings_json": json.dumps(B),
            "forensics_md": input.forensics[0],
            "forensics_figure": input.forensics[1],
        },


include: "dsprites_beta_null.smk"
