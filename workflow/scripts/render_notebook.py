"""Execute a report (jupytext percent script notebooks/<name>.py) with papermill, parameters from the rule,
into the rule's .ipynb (code and outputs), and render that as an HTML document (outputs only)."""
import os
from pathlib import Path

import nbformat
import papermill

from vaerep import reports, scriptio


def main(smk):
    out_nb = Path(smk.output.notebook).resolve()
    notebook = reports.read_script(smk.input.source)
    # The notebook runs from the working directory, so relative result paths resolve as in the rules.
    papermill.execute_notebook(notebook, str(out_nb), parameters=dict(smk.params.parameters), kernel_name="python3",
                               cwd=os.getcwd(), progress_bar=False)
    Path(smk.output.html).write_text(reports.html_document(nbformat.read(out_nb, as_version=4)))
    print(f"rendered {out_nb} and {smk.output.html}")


scriptio.run(main, snakemake)  # noqa: F821
