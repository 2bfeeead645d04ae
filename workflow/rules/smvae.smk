# Study A: Scale Mixtures VAE on c-MNIST (EXPERIMENTS.md A; seed_000.md).
A = settings("smvae")
A_VARIANTS = A["variants"]
A_RUNS = [(v, s) for v, spec in A_VARIANTS.items() for s in (A["seeds"] if spec["table"] else A["extra_seeds"])]
A_RUN = RES + "/smvae/runs/{variant}/seed{seed}"
A_OUT = RES + "/smvae"
A_FIG = FIG + "/smvae"


def a_figure_files():
    """Every figure of Study A, named after the thesis figure it reproduces."""
    files = []
    for v, spec in A_VARIANTS.items():
        files.append(f"{A_FIG}/fig{spec['figures']['recon']}_reconstructions_{v}.png")
        files.append(f"{A_FIG}/fig{spec['figures']['posterior']}_posterior_vs_contrast_{v}.png")
    files += [f"{A_FIG}/fig4.3_slices_standard.png", f"{A_FIG}/fig4.4_radial_lines_standard.png",
              f"{A_FIG}/fig4.5_normalised_codes_standard.png", f"{A_FIG}/fig4.8_slices_pre_normal.png",
              f"{A_FIG}/fig4.11_slices_pre_gamma3.png", f"{A_FIG}/fig4.11_slices_pre_gamma1.png",
              f"{A_FIG}/fig4.15_slice_post_lognormal.png"]
    return files


A_TABLES = {k: f"{A_OUT}/{k}" for k in ["table_4_1.csv", "table_4_1.md", "table_4_1_per_seed.csv",
                                         "posterior_by_contrast.csv", "invariance.csv", "claims.csv"]}
ALL_OUTPUTS += list(A_TABLES.values()) + a_figure_files() + [f"{A_OUT}/report.ipynb", f"{A_OUT}/report.html"]


rule cmnist:
    """c-MNIST: every MNIST image at each contrast in C (240,000 train / 40,000 test), one tensor file."""
    input:
        f"{DATA}/mnist.pt",
    output:
        f"{DATA}/cmnist.pt",
    params:
        contrasts=A["contrasts"],
    log:
        f"{DATA}/logs/cmnist.log",
    script:
        "../scripts/cmnist.py"


rule smvae_train:
    """Train one SMVAE variant with one seed (shared training loop; resumes from its checkpoint)."""
    input:
        f"{DATA}/cmnist.pt",
    output:
        model=A_RUN + "/model.pt",
        history=A_RUN + "/history.csv",
        meta=A_RUN + "/train_meta.json",
    params:
        spec=lambda w: A_VARIANTS[w.variant],
        train=A["train"],
        n_train_images=A["n_train_images"],
        subset_seed=A["subset_seed"],
        device=config["device"],
    threads: A["threads"]
    resources:
        gpu=1,
    log:
        A_RUN + "/train.log",
    script:
        "../scripts/smvae_train.py"


rule smvae_evaluate:
    """Test-set -ELBO terms, IWAE log-likelihood, posterior moments and invariance numbers of one run."""
    input:
        data=f"{DATA}/cmnist.pt",
        model=A_RUN + "/model.pt",
    output:
        metrics=A_RUN + "/eval.json",
        posterior=A_RUN + "/posterior_by_contrast.csv",
    params:
        n_test_images=A["n_test_images"],
        subset_seed=A["subset_seed"],
        eval_seed=A["eval_seed"],
        iwae_k=A["iwae_k"],
        device=config["device"],
    threads: 1
    log:
        A_RUN + "/eval.log",
    script:
        "../scripts/smvae_evaluate.py"


rule smvae_summarise:
    """Table 4.1 (mean +- std over seeds, next to the thesis), posterior moments, invariance, claims."""
    input:
        metrics=[f"{A_OUT}/runs/{v}/seed{s}/eval.json" for v, s in A_RUNS],
        posterior=[f"{A_OUT}/runs/{v}/seed{s}/posterior_by_contrast.csv" for v, s in A_RUNS],
    output:
        **A_TABLES,
    params:
        runs=A_RUNS,
        variants=A_VARIANTS,
        claims=A["claims"],
    log:
        f"{A_OUT}/summarise.log",
    script:
        "../scripts/smvae_summarise.py"


rule smvae_figures:
    """Reconstructions, latent slices, radial lines, normalised codes and posterior-vs-contrast figures."""
    input:
        data=f"{DATA}/cmnist.pt",
        models=[f"{A_OUT}/runs/{v}/seed{min(A['seeds'] if spec['table'] else A['extra_seeds'])}/model.pt"
                for v, spec in A_VARIANTS.items()],
        posterior=A_TABLES["posterior_by_contrast.csv"],
    output:
        reported(a_figure_files(), "smvae"),
    params:
        variants=A_VARIANTS,
        contrasts=A["contrasts"],
        figures=A["figures"],
        n_test_images=A["n_test_images"],
        subset_seed=A["subset_seed"],
        outdir=A_FIG,
    log:
        f"{A_OUT}/figures.log",
    script:
        "../scripts/smvae_figures.py"


use rule render_notebook_template as smvae_report with:
    input:
        tables=list(A_TABLES.values()),
        figures=a_figure_files(),
        metas=[f"{A_OUT}/runs/{v}/seed{s}/train_meta.json" for v, s in A_RUNS],
    output:
        notebook=f"{A_OUT}/report.ipynb",
        html=f"{A_OUT}/report.html",
    params:
        notebook="notebooks/smvae.ipynb",
        parameters=lambda w, input: {"scale": SCALE, "results_dir": A_OUT, "figures_dir": A_FIG,
                                     "settings_json": json.dumps(A)},
    log:
        f"{A_OUT}/report.log",
