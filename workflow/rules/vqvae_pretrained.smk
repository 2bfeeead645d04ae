# Study C4: the pretrained DALL-E dVAE (verified weights) or the pipeline's offline substitute, Figs 5.13-5.19.
# A checkpoint decides which model runs (source.json); the substitute is trained only when it is chosen.
C4 = C["pretrained"]
C4_OUT = f"{C_OUT}/pretrained"
C4_SUB = f"{C4_OUT}/substitute"
C4_FIGURES = list(study_figures("vqvae", "pretrained").values())
C4_TABLES = {
    "metrics": f"{C4_OUT}/metrics.json",
    "table_csv": f"{C4_OUT}/manipulations.csv",
    "table_md": f"{C4_OUT}/manipulations.md",
    "claims": f"{C4_OUT}/claims.csv",
}
ALL_OUTPUTS += [f"{C4_OUT}/source.json"] + list(C4_TABLES.values()) + C4_FIGURES
C_REPORT_INPUTS += [f"{C4_OUT}/source.json"] + list(C4_TABLES.values()) + C4_FIGURES


checkpoint vqvae_pretrained_source:
    """C4: DALL-E dVAE weights from config folder / $DALLE_DVAE_DIR / cache / URLs, SHA-256 verified; else
    (source: auto) the substitute. Records the choice and every reason."""
    output:
        f"{C4_OUT}/source.json",
    log:
        f"{C4_OUT}/source.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        cfg=C4,
        cache_dir=f"{DATA}/dalle",
    script:
        "../scripts/vqvae_pretrained_source.py"


rule vqvae_pretrained_train_substitute:
    """C4 substitute: a factor-8 RGB VQ-VAE on random crops of bundled scikit-image photos (shared loop)."""
    output:
        model=f"{C4_SUB}/model.pt",
        history=f"{C4_SUB}/history.csv",
        meta=f"{C4_SUB}/train_meta.json",
    log:
        f"{C4_SUB}/train.log",
    conda:
        "../envs/vaerep.yaml"
    threads: C["threads"]
    resources:
        gpu=1,
    params:
        sub=C4["substitute"],
        held_out=[C4["photos"][k] for k in ("a", "b", "transplant_source")],
        device=config["device"],
    script:
        "../scripts/vqvae_pretrained_train.py"


rule vqvae_pretrained_evaluate:
    """C4: photo PSNR, codebook use, token-grid ops vs pixel ops, transplant vs pixel paste, claims."""
    input:
        source=f"{C4_OUT}/source.json",
        model=c4_model,
        mnist_table=C_TABLES["table_csv"],
    output:
        **C4_TABLES,
    log:
        f"{C4_OUT}/evaluate.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        cfg=C4,
        null=None,
    script:
        "../scripts/vqvae_pretrained_evaluate.py"


rule vqvae_pretrained_figures:
    """C4: Figs 5.13-5.19 (photos, reconstructions, rotated / inverted / shifted token grid, transplant)."""
    input:
        source=f"{C4_OUT}/source.json",
        model=c4_model,
    output:
        **reported_figures("vqvae", "pretrained"),
    log:
        f"{C4_OUT}/figures.log",
    conda:
        "../envs/vaerep.yaml"
    threads: 1
    params:
        cfg=C4,
    script:
        "../scripts/vqvae_pretrained_figures.py"
