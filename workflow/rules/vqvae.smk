# Study C: VQ-VAE on MNIST and manipulations of its latent grid (EXPERIMENTS.md C; seed_002.md).
C = settings("vqvae")
C_OUT = f"{RES}/vqvae"
C_FIG = f"{FIG}/vqvae"
C_RUN = f"{C_OUT}/runs/mnist_vqvae"
C_FIGURES = list(study_figures("vqvae", "mnist").values())
C_TABLES = {
    "metrics": f"{C_OUT}/mnist_vqvae_metrics.json",
    "table_csv": f"{C_OUT}/manipulations.csv",
    "table_md": f"{C_OUT}/manipulations.md",
    "claims": f"{C_OUT}/claims.csv",
}
ALL_OUTPUTS += list(C_TABLES.values()) + C_FIGURES + [f"{C_OUT}/report.ipynb", f"{C_OUT}/report.html"]


rule vqvae_train_mnist:
    """C2: the MNIST VQ-VAE (shared training loop; resumes from its checkpoint)."""
    input:
        f"{DATA}/mnist.pt",
    output:
        model=f"{C_RUN}/model.pt",
        history=f"{C_RUN}/history.csv",
        meta=f"{C_RUN}/train_meta.json",
    log:
        f"{C_RUN}/train.log",
    conda:
        "../envs/vaerep.yaml"
    threads: C["threads"]
    resources:
        gpu=1,
    params:
        model=C["mnist"]["model"],
        train=C["mnist"]["train"],
        n_train_images=C["n_train_images"],
        subset_seed=C["subset_seed"],
        device=config["device"],
    script:
        "../scripts/vqvae_train.py"


rule vqvae_evaluate:
    """C2/C3: test MSE, PSNR, codebook usage/perplexity; each manipulation against its pixel-space twin; claims."""
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{C_RUN}/model.pt",
    output:
        **C_TABLES,
    log:
        f"{C_OUT}/evaluate.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        n_test_images=C["n_test_images"],
        subset_seed=C["subset_seed"],
        manip=C["manipulations"],
        random_code_seed=None,
    script:
        "../scripts/vqvae_evaluate.py"


rule vqvae_figures:
    """C2 code-map figure and Figs 5.5-5.12 (original | code | manipulated code | reconstruction)."""
    input:
        data=f"{DATA}/mnist.pt",
        model=f"{C_RUN}/model.pt",
    output:
        **reported_figures("vqvae", "mnist"),
    log:
        f"{C_OUT}/figures.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        manip=C["manipulations"],
    script:
        "../scripts/vqvae_figures.py"


# C1 (2-D VAEs M1-M4) and C4 (pretrained dVAE or its offline substitute) live in their own rule files;
# each appends its final outputs to ALL_OUTPUTS and to C_REPORT_INPUTS (read by the report below).
C_REPORT_INPUTS = []


include: "vqvae_vae2d.smk"
include: "vqvae_pretrained.smk"


use rule render_notebook_template as vqvae_report with:
    input:
        source=notebook_source("vqvae_manipulation"),
        # the "Why it differs" section: forensics.smk's snippet and figure of this study
        forensics=[f"{RES}/forensics/vqvae.md", f"{FIG}/forensics/vqvae_why_it_differs.png"],
        tables=list(C_TABLES.values()),
        figures=C_FIGURES,
        meta=f"{C_RUN}/train_meta.json",
        history=f"{C_RUN}/history.csv",
        extra=C_REPORT_INPUTS,
    output:
        notebook=f"{C_OUT}/report.ipynb",
        html=f"{C_OUT}/report.html",
    log:
        f"{C_OUT}/report.log",
    params:
        parameters=lambda w, input: {
            "scale": SCALE,
            "results_dir": C_OUT,
            "figures_dir": C_FIG,
            "settings_json": json.dumps(C),
            "forensics_md": input.forensics[0],
            "forensics_figure": input.forensics[1],
        },


include: "vqvae_null.smk"
