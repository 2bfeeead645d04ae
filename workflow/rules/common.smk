# Shared by every study: config validation, scale, paths and every helper function of the workflow
# (Snakemake's style: functions live here, rules in the other files; the rules every study uses are
# in shared.smk).
import json
import os
import re

from vaerep.config import (
    SCHEMA_DIR,
    check_overrides,
    study_settings,
    validate,
    with_studies,
)
from vaerep.errors import PipelineError
from vaerep.smvae import forensics_runs as fa_runs


def _check_config(cfg):
    try:
        check_overrides(cfg)
        cfg.update(with_studies(cfg, Path(workflow.basedir) / "workflow" / "config", warn=sys.stderr.write))
        validate(cfg, SCHEMA_DIR / "config.schema.yaml", where="config")
        for study in cfg["studies"]:
            validate(cfg[study], SCHEMA_DIR / f"{study}.schema.yaml", where=f"config.{study}")
            study_settings(cfg, study)
    except PipelineError as err:
        sys.stderr.write(f"ERROR: {err}\n")
        sys.exit(1)


_check_config(config)


def notebook_source(name):
    """The jupytext source notebooks/<name>.py of a report: an input of its report rule, so an edit re-renders it.
    Relative to the working directory, so a cloned or moved checkout does not re-render every report."""
    return os.path.relpath(Path(workflow.basedir) / "notebooks" / f"{name}.py")


SCALE = config["scale"]
DATA = config["data"]["root"]
RES = f"results/{SCALE}"
FIG = f"figures/{SCALE}"
ALL_OUTPUTS = []


def reported(files, study, key=None):
    """Flag figure files for `snakemake --report`: grouped by study, labelled with the thesis figure number
    (or ``key``, the caption's key when the file name has no fig<number>_) and the caption from
    workflow/report/captions.yaml."""
    from vaerep.captions import caption, figure_key
    from vaerep.studies import title

    category = title(study)
    labels = [{"figure": key or figure_key(f), "caption": caption(study, f, key) or Path(f).name} for f in files]
    # one line on purpose: snakefmt reads `report(` at the start of a line as the `report:` keyword
    return [report(f, caption="../report/figure.rst", category=category, labels=lab) for f, lab in zip(files, labels)]


def settings(study):
    """The study's settings at the configured scale (thesis values merged with the scale's overrides)."""
    return study_settings(config, study)


def study_figures(study, part=None):
    """Key -> path figures/<scale>/<study>/<file> of the study's figures at this scale, from its registry
    (vaerep.<study>.registry; ``part``: the figures of one of its figure rules, as the registry names them)."""
    from vaerep.studies import registry

    files = registry(study).figure_files(settings(study), part)
    return {key: f"{FIG}/{study}/{name}" for key, name in files.items()}


def reported_figures(study, part=None):
    """A figure rule's named outputs: study_figures, each flagged for `snakemake --report` (reported)."""
    figures = study_figures(study, part)
    return dict(zip(figures, reported(list(figures.values()), study)))


# ---------------------------------------------------------------------------------------------------
# Study helpers. Each reads its study's globals (A_*, B_*, C*_, D_* set at the top of <study>.smk), so it
# is called only from that study's file, after those lines. New helpers: append a block below.
# ---------------------------------------------------------------------------------------------------


def b_named_file():
    """Study B: the dSprites file the user named (env DSPRITES_PATH, else config data.path), absolute, or None.
    A param of the dSprites rules, so naming another file, or none, reruns them and what depends on them."""
    named = os.environ.get("DSPRITES_PATH") or B["data"]["path"]
    return str(Path(named).resolve()) if named else None


def c1_spec(model):
    """Study C1: the model spec of one model, the shared architecture with the model's head and loss."""
    return {**C1["architecture"], "head": C1_MODELS[model]["head"], "recon": C1_MODELS[model]["recon"]}


def c4_model(wildcards):
    """Study C4: the substitute's model file when source.json chose it, nothing for DALL-E."""
    with open(checkpoints.vqvae_pretrained_source.get().output[0]) as fh:
        return [f"{C4_SUB}/model.pt"] if json.load(fh)["source"] == "substitute" else []


def d_train(variant):
    """Study D: the training settings of one variant, the shared block with the variant's overrides."""
    return {**D["train"], **(D_VARIANTS[variant].get("train") or {})}


# ---------------------------------------------------------------------------------------------------
# Null controls: a study's untrained twin mirrors its results folder in <study>/null/.
# ---------------------------------------------------------------------------------------------------


def null_twin(path, control=""):
    """results/<scale>/<study>/X -> results/<scale>/<study>/null/[<control>/]X (where a null control writes X)."""
    study, rest = str(Path(path).relative_to(RES)).split("/", 1)
    return str(Path(RES, study, "null", control, rest))


def null_train(train):
    """Training settings for zero steps: the run's model.pt is its seeded initialisation (a null control)."""
    return {**train, "epochs": 0, "keep_epochs": []}


def c4_null_model(wildcards):
    """Study C4 null control: the substitute at its initialisation when source.json chose the substitute; for
    the DALL-E dVAE no file (the evaluation builds its architecture at a seeded initialisation)."""
    with open(checkpoints.vqvae_pretrained_source.get().output[0]) as fh:
        return [f"{C4_NULL_SUB}/model.pt"] if json.load(fh)["source"] == "substitute" else []


# ---------------------------------------------------------------------------------------------------
# Forensics helpers (workflow/rules/forensics.smk). They read the studies' globals (A_*, B_*)
# and the forensics settings (FA, FB), so they are called only from forensics.smk.
# ---------------------------------------------------------------------------------------------------


def fa_batch_outputs(name):
    """Study A forensics, seed-batched training: the per-seed output files of one group of FA_BATCHES (its
    variants as the wildcard's pattern, its seeds spelled out)."""
    variants, seeds = FA_BATCHES[name]
    pattern = "|".join(re.escape(v) for v in variants) or "^$"
    run = f"{F_OUT}/smvae/runs/{{{{variant,{pattern}}}}}/seed{{seed}}"
    return {key: [f"{run}/{file}".format(seed=s) for s in seeds] for key, file in FA_RUN_FILES.items()}


def fa_batch_seeds(variant):
    """Study A forensics, seed-batched training: the seeds one job trains for ``variant``."""
    return next(seeds for variants, seeds in FA_BATCHES.values() if variant in variants)


def fa_train_rule(variant):
    """Study A forensics: the rule that trains a hypothesis variant's runs."""
    if not A["batch_seeds"]:
        return "forensics_smvae_train"
    return "forensics_smvae_train_counted_seeds" if variant in FA_COUNTED else "forensics_smvae_train_seeds"


def fa_model(wildcards):
    """Study A forensics: the model file a forensics evaluation reads: a hypothesis run, the study's run, or
    a baseline run at a seed the study does not train (trained by the forensics rule)."""
    own = wildcards.group == "hyp" or int(wildcards.seed) not in A["seeds"]
    run = (FA_RUN if own else A_RUN).format(variant=wildcards.variant, seed=wildcards.seed)
    return f"{run}/model.pt"


def fc_model(wildcards):
    """Study C forensics: the MNIST VQ-VAE of one seed: the study's own run at its training seed, else a
    forensics run."""
    own = int(wildcards.seed) == C["mnist"]["train"]["seed"]
    return f"{C_RUN}/model.pt" if own else f"{F_OUT}/vqvae/runs/seed{wildcards.seed}/model.pt"


def fc1_files(name, seed):
    """Study C forensics (H-C1-seed): one file (``name``: history.csv, eval.json, ...) of every C1 model the seeds
    hypothesis trains, at one seed: the study's own runs at its training seed, else the forensics runs."""
    run = C1_RUN if int(seed) == C1["train"]["seed"] else FC1_RUN.replace("{seed}", str(seed))
    return [f"{run}/{name}".replace("{model}", m) for m in FC1["models"]]


def fc1_tables(name):
    """Study C forensics (H-C1-seed): one C1 table (``name``: table.csv, claims.csv) per seed, the study's own at
    its training seed."""
    own = C1["train"]["seed"]
    return [f"{C1_OUT}/{name}" if s == own else f"{FC1_OUT}/{name}".replace("{seed}", str(s)) for s in FC1["seeds"]]


def fb_conventions():
    """Study B forensics: the study's own loss convention (the baseline) and the trainable conventions that
    survive the arithmetic on Table 2.3."""
    from vaerep.forensics import units as funits

    batch, latent = FB["units"]["thesis_batch_size"], B["model"]["latent_dim"]
    alive = funits.survivors(funits.arithmetic_table(B["thesis"]["table_2_3"], batch, latent))
    found = [c.trainable for c in funits.conventions(batch, latent) if c.trainable and c.name in alive]
    return list(dict.fromkeys([FB["units"]["baseline"], *found]))


# ---------------------------------------------------------------------------------------------------
# Time plan: a run projected to train longer than workflow/config/plan.yaml's stop_hours on the detected
# device stops before any job with the plan and the ways forward (vaerep.plan.gate); a dry run shows the
# same projection. When the run finishes, the projection goes next to the measured training time
# (results/<scale>/plan_vs_measured.txt).
# ---------------------------------------------------------------------------------------------------


def study_of_rule(name):
    """The study a rule belongs to (its name contains the study's; None for a rule of no study)."""
    return next((s for s in config["studies"] if s in name), None)


def plan_at_start():
    """Project the training time of the studies with training jobs pending; stop the run when the plan says so."""
    from vaerep.plan import gate

    if config.get("from_record"):  # rebuilding reports from a committed record: nothing trains
        return
    pending = {study_of_rule(job.rule.name) for job in workflow.dag.needrun_jobs() if job.resources.get("gpu", 0)}
    if pending and not gate(config, RES, studies=None if None in pending else pending):
        sys.exit(1)


def plan_in_dry_run(wildcards):
    """Input function of the default target: a dry run (no onstart hook) shows the same projection."""
    from vaerep.plan import gate

    if workflow.dryrun and not config.get("from_record"):
        gate(config, RES, dry_run=True)
    return []


def plan_at_end():
    """Write the saved projection next to the measured training times, when a plan was saved."""
    from vaerep.plan import compare

    if Path(f"{RES}/plan.json").is_file() and not config.get("from_record"):
        Path(f"{RES}/plan_vs_measured.txt").write_text(compare(RES) + "\n")


onstart:
    plan_at_start()


onsuccess:
    plan_at_end()
