# Resource usage of the run: every job keeps its wall time, CPU time and peak memory beside its log
# (vaerep.scriptio); this rule gathers them per rule. Included last: its input is every other output.
USAGE = {k: f"{RES}/usage.{k}" for k in ("csv", "md")} | {"jobs": f"{RES}/usage_jobs.csv"}
USAGE_AFTER = list(ALL_OUTPUTS)
ALL_OUTPUTS += list(USAGE.values())


rule usage:
    """Wall time, CPU time, peak memory (and CUDA memory) of every job of this run, per rule."""
    input:
        USAGE_AFTER,
    output:
        **USAGE,
    log:
        f"{RES}/logs/usage.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        roots=[RES, f"{DATA}/logs"],
        scale=SCALE,
    script:
        "../scripts/usage_table.py"
