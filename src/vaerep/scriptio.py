"""Glue for the workflow's scripts: output tee'd into the rule's log, clear one-line errors, threads, and
the job's resource usage (wall time, CPU time, peak memory) next to its log."""

from __future__ import annotations

import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from .errors import PipelineError
from .provenance import write_json


class _Tee:
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            s.write(text)
            s.flush()

    def flush(self):
        for s in self.streams:
            s.flush()


def usage_path(log: str | Path) -> Path:
    """Where a job's resource usage is kept: beside its log (``train.log`` -> ``train.usage.json``)."""
    return Path(log).with_suffix(".usage.json")


def usage(started: float) -> dict:
    """This process's wall time since ``started`` (a ``time.time()``), CPU time, peak resident memory and,
    where CUDA was used, the peak memory PyTorch allocated on the GPU."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"wall_s": time.time() - started,
           "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
           "peak_rss_mib": max(me.ru_maxrss, kids.ru_maxrss) / 1024,  # Linux reports KiB
           "cuda_max_allocated_mib": None, "device": "cpu"}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        out["cuda_max_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
        out["device"] = torch.cuda.get_device_name()
    return out


def _process_start() -> float:
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001 - psutil is optional; the wall time then starts at run()
        return time.time()


def run(main, smk) -> None:
    """Run ``main(smk)`` for a Snakemake ``script:`` rule: stdout and stderr also go to the rule's log,
    torch uses the rule's thread count, a PipelineError ends the job with one clear line. A job that
    finishes writes its resource usage (:func:`usage`) to ``usage_path(log)`` and as the log's last line."""
    started = _process_start()
    log_file = None
    if smk.log:
        Path(smk.log[0]).parent.mkdir(parents=True, exist_ok=True)
        log_file = open(smk.log[0], "w")
        sys.stdout = _Tee(sys.__stdout__, log_file)
        sys.stderr = _Tee(sys.__stderr__, log_file)
    try:
        import torch

        torch.set_num_threads(max(1, int(smk.threads)))
        main(smk)
        if smk.log:
            record = {"rule": smk.rule, "wildcards": dict(smk.wildcards.items()), "threads": int(smk.threads),
                      **usage(started), "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            write_json(usage_path(smk.log[0]), record)
            print("usage: " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                        for k, v in record.items() if k not in ("rule", "wildcards")))
    except PipelineError as err:
        print(f"ERROR in rule {smk.rule}: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if log_file:
            log_file.close()
