"""Rule usage: wall time, CPU time and peak memory of every job of this run, per rule."""
from vaerep import scriptio, usage


def main(smk):
    frame = usage.jobs(smk.params.roots)
    table = usage.per_rule(frame)
    frame.to_csv(smk.output.jobs, index=False)
    table.to_csv(smk.output.csv, index=False)
    with open(smk.output.md, "w") as f:
        f.write(usage.to_markdown(table, f"Resource usage per rule (scale `{smk.params.scale}`)"))
    print(f"{len(frame)} jobs of {len(table)} rules; longest job {frame['wall_s'].max():.1f} s, "
          f"largest peak RSS {frame['peak_rss_mib'].max():.0f} MiB")


scriptio.run(main, snakemake)  # noqa: F821
