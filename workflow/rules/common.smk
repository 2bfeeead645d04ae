# Shared by every study: config validation, scale, paths, data rules, notebook rendering.
import json

from vaerep.config import SCHEMA_DIR, deep_merge, study_settings, validate
from vaerep.errors import PipelineError


def _load_study_configs(cfg):
    """Each listed study's settings come from workflow/config/<study>.yaml; values given with
    --config (already in ``cfg``) win over the file's."""
    import yaml

    for study in cfg.get("studies", []):
        path = Path(workflow.basedir) / "workflow" / "config" / f"{study}.yaml"
        if not path.is_file():
            raise PipelineError(f"study '{study}' has no settings file {path}")
        from_file = (yaml.safe_load(path.read_text()) or {}).get(study, {})
        cfg[study] = deep_merge(from_file, cfg.get(study) or {})


def _check_config(cfg):
    try:
        _load_study_configs(cfg)
        validate(cfg, SCHEMA_DIR / "config.schema.yaml", where="config")
        for study in cfg["studies"]:
            validate(cfg[study], SCHEMA_DIR / f"{study}.schema.yaml", where=f"config.{study}")
            study_settings(cfg, study)
    except PipelineError as err:
        sys.stderr.write(f"ERROR: {err}\n")
        sys.exit(1)


_check_config(config)

SCALE = config["scale"]
DATA = config["data"]["root"]
RES = f"results/{SCALE}"
FIG = f"figures/{SCALE}"
ALL_OUTPUTS = []


STUDY_CATEGORY = {"smvae": "A. Scale Mixtures VAE (seed_000)", "dsprites_beta": "B. beta-VAE on dSprites (seed_003)",
                  "vqvae": "C. VAE variants and VQ-VAE (seed_002)", "latent2d": "D. 2-D latent conv VAE (seed_004)"}


def reported(files, study):
    """Flag figure files for `snakemake --report`: grouped by study, labelled with the thesis figure number
    and the caption from workflow/report/captions.yaml."""
    from vaerep.captions import caption, figure_key

    return [report(f, caption="../report/figure.rst", category=STUDY_CATEGORY[study],
                   labels={"figure": figure_key(f), "caption": caption(study, f) or Path(f).name}) for f in files]


def settings(study):
    """The study's settings at the configured scale (thesis values merged with the scale's overrides)."""
    return study_settings(config, study)


rule mnist:
    """Locate MNIST (config data.mnist_dir, env MNIST_DIR, or torchvision's downloader), verify the
    SHA-256 of the four files, and cache them as one tensor file."""
    output:
        f"{DATA}/mnist.pt",
    params:
        # Where the files come from is read from config in the script, not a param: the files are
        # checksummed, so moving the folder (or switching to MNIST_DIR) must not retrain everything.
        download_root=f"{DATA}/download",
    log:
        f"{DATA}/logs/mnist.log",
    script:
        "../scripts/mnist.py"


rule render_notebook_template:
    # Not run on its own: study reports `use rule render_notebook_template as ...`.
    output:
        notebook="{path}.ipynb",
        html="{path}.html",
    params:
        notebook=None,
        parameters={},
    log:
        "{path}.log",
    script:
        "../scripts/render_notebook.py"
