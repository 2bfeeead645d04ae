# Study B: beta-VAE on dSprites with MIG and PCA (EXPERIMENTS.md B; seed_003.md).
B = settings("dsprites_beta")
B_BETAS = [f"{b:g}" for b in B["betas"]]
B_OUT = RES + "/dsprites_beta"
B_FIG = FIG + "/dsprites_beta"
B_RUN = B_OUT + "/runs/beta{beta}"
B_GRID = f"{DATA}/dsprites_grid_{B['data']['source']}.pt"
B_PCA_BETA = f"{B['pca']['beta']:g}"


def b_figure_files():
    """Every figure of Study B, named after the thesis figure it reproduces ('extra' = beyond it)."""
    files = [f"{B_FIG}/fig2.1_dsprites_samples.png", f"{B_FIG}/fig2.10_mig_vs_beta.png"]
    for b in B_BETAS:
        files.append(f"{B_FIG}/fig{B['figures']['curves'].get(b, 'extra')}_loss_curves_beta{b}.png")
        files.append(f"{B_FIG}/fig{B['figures']['recon'].get(b, 'extra')}_reconstructions_beta{b}.png")
        files.append(f"{B_FIG}/figextra_pca_all_factors_beta{b}.png")
    if B_PCA_BETA in B_BETAS:
        for factor, num in [("orientation", "2.11"), ("posX", "2.12"), ("posY", "2.13"), ("scale", "2.14"),
                            ("shape", "2.15")]:
            files.append(f"{B_FIG}/fig{num}_pca_{factor}_beta{B_PCA_BETA}.png")
    return files


B_TABLES = {k: f"{B_OUT}/{k}" for k in ["table_2_3.csv", "table_2_3.md", "table_2_4.csv", "table_2_4.md",
                                         "mig_details.json", "model_params.json"]}
ALL_OUTPUTS += list(B_TABLES.values()) + b_figure_files() + [f"{B_OUT}/report.ipynb", f"{B_OUT}/report.html"]

wildcard_constraints:
    beta=r"[0-9.]+",


rule dsprites_grid:
    """The whole dSprites grid (737,280 images) from the official npz (structure-checked, SHA-256
    recorded) or the procedural generator, cached once bit-packed."""
    output:
        B_GRID,
    params:
        data=B["data"],
        download_root=f"{DATA}/download",
    log:
        f"{DATA}/logs/dsprites_grid.log",
    script:
        "../scripts/dsprites_beta_grid.py"


rule dsprites_beta_data:
    """Seeded random train/validation subset and the MIG/PCA evaluation sample (images + factors)."""
    input:
        [B_GRID] if B["data"]["cache_full_grid"] else [],
    output:
        data=B_OUT + "/data.pt",
        meta=B_OUT + "/data_meta.json",
    params:
        data=B["data"],
        download_root=f"{DATA}/download",
        n_images=B["n_images"],
        val_fraction=B["val_fraction"],
        subset_seed=B["subset_seed"],
        mig=B["mig"],
    log:
        B_OUT + "/data.log",
    script:
        "../scripts/dsprites_beta_data.py"


rule dsprites_beta_train:
    """Train the beta-VAE for one beta (shared training loop, validation terms per epoch)."""
    input:
        B_OUT + "/data.pt",
    output:
        model=B_RUN + "/model.pt",
        history=B_RUN + "/history.csv",
        meta=B_RUN + "/train_meta.json",
    params:
        model=B["model"],
        train=B["train"],
        device=config["device"],
    threads: B["threads"]
    resources:
        gpu=1,
    log:
        B_RUN + "/train.log",
    script:
        "../scripts/dsprites_beta_train.py"


rule dsprites_beta_evaluate:
    """Posterior means of the evaluation sample, MIG per factor, final loss terms of one beta."""
    input:
        data=B_OUT + "/data.pt",
        model=B_RUN + "/model.pt",
        history=B_RUN + "/history.csv",
    output:
        metrics=B_RUN + "/eval.json",
        codes=B_RUN + "/codes.pt",
    params:
        bins=B["mig"]["bins"],
        device=config["device"],
    threads: 1
    log:
        B_RUN + "/eval.log",
    script:
        "../scripts/dsprites_beta_evaluate.py"


rule dsprites_beta_summarise:
    """Table 2.3 (final loss terms) and Table 2.4 (MIG) next to the thesis, parameter counts."""
    input:
        metrics=expand(B_RUN + "/eval.json", beta=B_BETAS),
    output:
        **B_TABLES,
    params:
        thesis=B["thesis"],
        model=B["model"],
    log:
        B_OUT + "/summarise.log",
    script:
        "../scripts/dsprites_beta_summarise.py"


rule dsprites_beta_figures:
    """Sample grid, loss curves, reconstructions, MIG vs beta and PCA scatters."""
    input:
        data=B_OUT + "/data.pt",
        data_meta=B_OUT + "/data_meta.json",
        models=expand(B_RUN + "/model.pt", beta=B_BETAS),
        histories=expand(B_RUN + "/history.csv", beta=B_BETAS),
        codes=expand(B_RUN + "/codes.pt", beta=B_BETAS),
        table=B_TABLES["table_2_4.csv"],
    output:
        reported(b_figure_files(), "dsprites_beta"),
    params:
        betas=B_BETAS,
        figures=B["figures"],
        pca=B["pca"],
        n_recon=B["n_recon"],
        n_samples_grid=B["n_samples_grid"],
        outdir=B_FIG,
    log:
        B_OUT + "/figures.log",
    script:
        "../scripts/dsprites_beta_figures.py"


use rule render_notebook_template as dsprites_beta_report with:
    input:
        tables=list(B_TABLES.values()),
        figures=b_figure_files(),
        metas=expand(B_RUN + "/train_meta.json", beta=B_BETAS),
        data_meta=B_OUT + "/data_meta.json",
    output:
        notebook=f"{B_OUT}/report.ipynb",
        html=f"{B_OUT}/report.html",
    params:
        notebook="notebooks/dsprites_beta.ipynb",
        parameters=lambda w, input: {"scale": SCALE, "results_dir": B_OUT, "figures_dir": B_FIG,
                                     "settings_json": json.dumps(B)},
    log:
        f"{B_OUT}/report.log",
