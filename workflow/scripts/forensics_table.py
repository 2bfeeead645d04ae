"""Rule forensics: every study's forensics rows as results/<scale>/forensics.{csv,md}."""
from vaerep import scriptio
from vaerep.forensics import table


def main(smk):
    frame = table.write(list(smk.input), smk.output.csv, smk.output.md, smk.params.scale)
    print(frame.to_string())


scriptio.run(main, snakemake)  # noqa: F821
