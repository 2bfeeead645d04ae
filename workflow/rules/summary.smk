# Across the studies: the replication scorecard and the front-page report (notebooks/index.py).
# Included after every study's rule file, so ALL_OUTPUTS already lists each study's outputs.
from vaerep.scorecard import EXTRA_NULLS
from vaerep.scorecard_run import number_tables

S = config["scorecard"]
SCORECARD_TABLES = {
    f"{study}:{name}": f"{RES}/{path}" for study in config["studies"] for name, path in number_tables(study).items()
}
SCORECARD_CLAIMS = sorted(f for f in ALL_OUTPUTS if f.endswith("claims.csv") and "/null/" not in f)
# Null controls (workflow/rules/<study>_null.smk) mirror a study's folder in <study>/null/: the twins that exist.
# Other null controls (vaerep.scorecard.EXTRA_NULLS, e.g. C2/C3's random code) mirror it in <study>/null/<name>/.
SCORECARD_NULLS = sorted(
    {
        null_twin(f, control)
        for f in list(SCORECARD_TABLES.values()) + SCORECARD_CLAIMS
        for control in ["", *EXTRA_NULLS]
    }
    & set(ALL_OUTPUTS)
)
# The forensics table (forensics.smk) reads the studies' runs, never the scorecard: no cycle.
SCORECARD_FORENSICS = [f"{RES}/forensics.csv"] if F_PARTS else []
STUDY_REPORTS = [f"{RES}/{study}/report.html" for study in config["studies"]]
SCORECARD = {"csv": f"{RES}/scorecard.csv", "md": f"{RES}/scorecard.md"}
ALL_OUTPUTS += list(SCORECARD.values()) + [f"{RES}/index.ipynb", f"{RES}/index.html"]


rule scorecard:
    """Every number and claim the theses report next to the replicated value, difference, tolerance, verdict."""
    input:
        **SCORECARD_TABLES,
        claims=SCORECARD_CLAIMS,
        nulls=SCORECARD_NULLS,
        forensics=SCORECARD_FORENSICS,
    output:
        csv=report(SCORECARD["csv"], caption="../report/scorecard.rst", category="0. Scorecard"),
        md=SCORECARD["md"],
    log:
        f"{RES}/scorecard.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        scale=SCALE,
        studies=config["studies"],
        scorecard=S,
        sections={study: config[study] for study in config["studies"]},
        latent2d_main=config["latent2d"]["main_variant"] if "latent2d" in config["studies"] else None,
    script:
        "../scripts/scorecard.py"


use rule render_notebook_template as index_report with:
    input:
        source=notebook_source("index"),
        scorecard=SCORECARD["csv"],
        reports=STUDY_REPORTS,
        forensics=[f"{RES}/forensics.md"] if F_PARTS else [],
    output:
        notebook=f"{RES}/index.ipynb",
        html=report(f"{RES}/index.html", caption="../report/index.rst", category="0. Scorecard"),
    log:
        f"{RES}/index.log",
    params:
        parameters=lambda w, input: {
            "scale": SCALE,
            "results_dir": RES,
            "studies_json": json.dumps(config["studies"]),
            "config_json": json.dumps({k: v for k, v in config.items() if k not in config["studies"]}),
        },
