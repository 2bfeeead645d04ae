"""Glue for the workflow's scripts: output tee'd into the rule's log, clear one-line errors, threads."""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import PipelineError


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


def run(main, smk) -> None:
    """Run ``main(smk)`` for a Snakemake ``script:`` rule: stdout and stderr also go to the rule's log,
    torch uses the rule's thread count, a PipelineError ends the job with one clear line."""
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
    except PipelineError as err:
        print(f"ERROR in rule {smk.rule}: {err}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if log_file:
            log_file.close()
