# Study A: Scale Mixtures VAE on c-MNIST (EXPERIMENTS.md A; seed_000.md).
A = settings("smvae")
A_VARIANTS = A["variants"]
A_RUNS = [(v, s) for v, spec in A_VARIANTS.items() for s in (A["seeds"] if spec["table"] else A["extra_seeds"])]
A_RUN = f"{RES}/smvae/runs/{{variant}}/seed{{seed}}"
A_OUT = f"{RES}/smvae"
A_FIG = f"{FIG}/smvae"
A_FIGURES = study_figures("smvae")
A_TABLES = {
    k: f"{A_OUT}/{k}"
    for k in [
        "table_4_1.csv",
        "table_4_1.md",
        "table_4_1_per_seed.csv",
        "posterior_by_contrast.csv",
        "invariance.csv",
        "claims.csv",
    ]
}
ALL_OUTPUTS += list(A_TABLES.values()) + list(A_FIGURES.values()) + [f"{A_OUT}/report.ipynb", f"{A_OUT}/report.html"]
# the claims' thresholds; "Standard is best" needs a margin of the scorecard's -ELBO tolerance
A_CLAIMS = {**A["claims"], "elbo_margin": config["scorecard"]["tolerances"]["smvae"]["neg_elbo"]}


rule cmnist:
    """c-MNIST: every MNIST image at each contrast in C (240,000 train / 40,000 test), one tensor file."""
    input:
        f"{DATA}/mnist.pt",
    output:
        f"{DATA}/cmnist.pt",
    log:
        f"{DATA}/logs/cmnist.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        contrasts=A["contrasts"],
    script:
        "../scripts/cmnist.py"


rule smvae_train:
    """Train one SMVAE variant with one seed (shared training loop; resumes from its checkpoint)."""
    input:
        f"{DATA}/cmnist.pt",
    output:
        model=f"{A_RUN}/model.pt",
        history=f"{A_RUN}/history.csv",
        meta=f"{A_RUN}/train_meta.json",
    log:
        f"{A_RUN}/train.log",
    conda:
        "../envs/vaerep.yaml"
    threads: A["threads"]
    resources:
        gpu=1,
    params:
        spec=lambda w: A_VARIANTS[w.variant],
        train=A["train"],
        n_train_images=A["n_train_images"],
        subset_seed=A["subset_seed"],
        device=config["device"],
    script:
        "../scripts/smvae_train.py"


include: "smvae_batched.smk"


rule smvae_evaluate:
    """Test-set -ELBO terms, IWAE log-likelihood, posterior moments and invariance numbers of one run."""
    input:
        data=f"{DATA}/cmnist.pt",
        model=f"{A_RUN}/model.pt",
    output:
        metrics=f"{A_RUN}/eval.json",
        posterior=f"{A_RUN}/posterior_by_contrast.csv",
    log:
        f"{A_RUN}/eval.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        n_test_images=A["n_test_images"],
        subset_seed=A["subset_seed"],
        eval_seed=A["eval_seed"],
        iwae_k=A["iwae_k"],
        iwae_images=None,
        device=config["device"],
    script:
        "../scripts/smvae_evaluate.py"


rule smvae_summarise:
    """Table 4.1 (mean +- std over seeds, next to the thesis), posterior moments, invariance, claims."""
    input:
        metrics=[f"{A_OUT}/runs/{v}/seed{s}/eval.json" for v, s in A_RUNS],
        posterior=[f"{A_OUT}/runs/{v}/seed{s}/posterior_by_contrast.csv" for v, s in A_RUNS],
    output:
        **A_TABLES,
    log:
        f"{A_OUT}/summarise.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        runs=A_RUNS,
        variants=A_VARIANTS,
        claims=A_CLAIMS,
    script:
        "../scripts/smvae_summarise.py"


rule smvae_figures:
    """Reconstructions, latent slices, radial lines, normalised codes and posterior-vs-contrast figures."""
    input:
        data=f"{DATA}/cmnist.pt",
        models=[
            f"{A_OUT}/runs/{v}/seed{min(A['seeds'] if spec['table'] else A['extra_seeds'])}/model.pt"
            for v, spec in A_VARIANTS.items()
        ],
        posterior=A_TABLES["posterior_by_contrast.csv"],
    output:
        **reported_figures("smvae"),
    log:
        f"{A_OUT}/figures.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        variants=A_VARIANTS,
        contrasts=A["contrasts"],
        figures=A["figures"],
        n_test_images=A["n_test_images"],
        subset_seed=A["subset_seed"],
    script:
        "../scripts/smvae_figures.py"


use rule render_notebook_template as smvae_report with:
    input:
        source=notebook_source("smvae"),
        # the "Why it differs" section: forensics.smk's snippet and figure of this study
        forensics=[f"{RES}/forensics/smvae.md", f"{FIG}/forensics/smvae_why_it_differs.png"],
        tables=list(A_TABLES.values()),
        figures=list(A_FIGURES.values()),
        metas=[f"{A_OUT}/runs/{v}/seed{s}/train_meta.json" for v, s in A_RUNS],
    output:
        notebook=f"{A_OUT}/report.ipynb",
        html=f"{A_OUT}/report.html",
    log:
        f"{A_OUT}/report.log",
    params:
        parameters=lambda w, input: {
            "scale": SCALE,
            "results_dir": A_OUT,
            "figures_dir": A_FIG,
            "settings_json": json.dumps(A),
            "forensics_md": input.forensics[0],
            "forensics_figure": input.forensics[1],
        },


include: "smvae_null.smk"
