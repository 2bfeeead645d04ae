"""Execute a report notebook with papermill (parameters from the rule) and render it to HTML."""
import os
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from vaerep import scriptio
from vaerep.config import REPO_ROOT


def main(smk):
    out_nb = Path(smk.output.notebook).resolve()
    params = dict(smk.params.parameters)
    # The notebook runs from the working directory, so relative result paths resolve as in the rules.
    papermill.execute_notebook(str(REPO_ROOT / smk.params.notebook), str(out_nb), parameters=params,
                               kernel_name="python3", cwd=os.getcwd(), progress_bar=False)
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(nbformat.read(out_nb, as_version=4))
    Path(smk.output.html).write_text(body)
    print(f"rendered {out_nb} and {smk.output.html}")


scriptio.run(main, snakemake)  # noqa: F821
