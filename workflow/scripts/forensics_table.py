"""Rule forensics: every study's forensics rows as results/<scale>/forensics.{csv,md}."""
import pandas as pd

from vaerep import scriptio
from vaerep.forensics import table
from vaerep.readers import read_csv


def main(smk):
    frame = table.check(pd.concat([read_csv(p) for p in smk.input], ignore_index=True))
    frame.to_csv(smk.output.csv, index=False)
    counts = frame["verdict"].value_counts()
    head = (f"# Why the numbers differ (scale {smk.params.scale})\n\n{len(frame)} hypotheses tested: "
            + ", ".join(f"{counts.get(v, 0)} {v}" for v in table.VERDICTS) + ".\n\n")
    open(smk.output.md, "w").write(head + table.to_markdown(frame))
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
