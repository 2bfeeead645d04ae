# One command regenerates every table, figure and report:  snakemake --cores all [--config scale=cpu]
# Rules live in workflow/rules/<study>.smk, settings in workflow/config/, code in src/vaerep/.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))  # works before `pip install -e .` too


from vaerep.config import read_yaml
from vaerep.errors import PipelineError

try:  # a syntax error in config.yaml names the file and line (Snakemake's own message names neither)
    read_yaml(Path(workflow.basedir) / "workflow" / "config" / "config.yaml")
except PipelineError as err:
    sys.exit(f"ERROR: {err}")


configfile: str(Path(workflow.basedir) / "workflow" / "config" / "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/shared.smk"


for _study in config["studies"]:

    include: f"workflow/rules/{_study}.smk"


include: "workflow/rules/forensics.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/usage.smk"


rule all:
    default_target: True
    input:
        ALL_OUTPUTS,
        plan_in_dry_run,
