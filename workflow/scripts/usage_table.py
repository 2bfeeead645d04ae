"""Rule usage: wall time, CPU time and peak memory of every job of this run, per rule."""
from vaerep import scriptio, usage


def main(smk):
    frame = usage.jobs(smk.params.roots)
    table = usage.write(frame, smk.output.jobs, smk.output.csv, smk.output.md, smk.params.scale)
    print(f"{len(frame)} jobs of {len(table)} rules; longest job {frame['wall_s'].max():.1f} s, "
          f"largest peak RSS {frame['peak_rss_mib'].max():.0f} MiB")


scriptio.run(main, snakemake)  # noqa: F821
