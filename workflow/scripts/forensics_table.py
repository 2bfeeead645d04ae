"""Rule forensics: every study's forensics rows as results/<scale>/forensics.{csv,md}."""
import pandas as pd

from vaerep import scriptio
from vaerep.forensics import table
from vaerep.readers import read_csv

RULE = ("A hypothesis *explains* a thesis number only when the baseline misses it, the hypothesis moves it toward "
        "the thesis by more than the noise (`noise`: k × the between-seed spread, or the measured control named in "
        "the row) and the result lands; *partly*: a move beyond the noise that does not land; otherwise *does not "
        "explain* (docs/forensics.md).")


def main(smk):
    text = {c: str for c in ("baseline", "measured", "move", "noise")}  # "+0.97" stays a signed text cell
    frame = table.check(pd.concat([read_csv(p, dtype=text) for p in smk.input], ignore_index=True))
    frame.to_csv(smk.output.csv, index=False)
    head = (f"# Why the numbers differ (scale {smk.params.scale})\n\n{len(frame)} hypotheses tested: "
            f"{table.counts(frame)}.\n\n{RULE}\n\nHypotheses tried per table:\n\n{table.tried(frame)}\n")
    open(smk.output.md, "w").write(head + table.to_markdown(frame))
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
