"""The speed-ups a GPU session switches on from its own benchmark (``benchmarks/bench_gpu.py --out``).

    python -m vaerep.speedups BENCH.json [--studies smvae,latent2d]   # prints the --config words, one per line

A study trains with CUDA graphs (``train: {cuda_graphs: true}`` in each of its training blocks,
``speedups.train_blocks`` in workflow/config/gpu.yaml) when every benchmarked model of the study ran its
``cuda_graph`` step on CUDA, trained like its eager step (``graph_gap`` within ``speedups.cuda_graph_max_gap``)
and beat it by at least ``speedups.cuda_graph_min_ratio``. Anything else (a capture that failed, a CPU benchmark,
a graph that trains differently or was not checked, a gain within the timing noise) keeps the eager step. The run records what
it used (``train_meta.json``: ``settings.cuda_graphs``, ``cuda_graphs_used``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import deep_merge
from .errors import PipelineError, run_command


def settings() -> dict:
    """The ``speedups`` section of workflow/config/gpu.yaml."""
    from .record import settings as gpu_settings

    return gpu_settings()["speedups"]


def graph_gains(bench: dict) -> dict[str, list[tuple[float, float | None] | None]]:
    """Per study, each benchmarked model's CUDA-graph step as (speed-up over its eager step, parameter gap to the
    eager step's training or None where unchecked); None where the graph step did not run (unavailable, failed,
    or timed off CUDA)."""
    on_cuda = str(bench.get("environment", {}).get("device", "")).startswith("cuda")
    gains: dict[str, list[tuple[float, float | None] | None]] = {}
    for row in bench.get("rows", []):
        if row.get("variant") == "cuda_graph":
            gain, gap = row.get("speedup"), row.get("graph_gap")
            gains.setdefault(row["study"], []).append(
                (float(gain), None if gap is None else float(gap)) if on_cuda and gain is not None else None)
    return gains


def choose(bench: dict, studies: list[str], cfg: dict | None = None) -> dict[str, str]:
    """Per study of ``studies``: why it trains with CUDA graphs or eagerly (the key set of the graphed ones is
    what :func:`config_words` switches on)."""
    cfg = cfg or settings()
    gains = graph_gains(bench)
    out = {}
    for study in studies:
        measured = gains.get(study)
        if not measured:
            out[study] = "eager: not benchmarked"
        elif any(g is None for g in measured):
            out[study] = "eager: the graph step did not run on CUDA for every model"
        elif any(gap is None for _, gap in measured):
            out[study] = "eager: the graph step's training was not checked against the eager step's"
        elif max(gap for _, gap in measured) > cfg["cuda_graph_max_gap"]:
            out[study] = (f"eager: the graph step trains differently from the eager step (parameter gap "
                          f"{max(gap for _, gap in measured):.2g} > {cfg['cuda_graph_max_gap']})")
        elif min(gain for gain, _ in measured) < cfg["cuda_graph_min_ratio"]:
            out[study] = f"eager: graph gain {min(gain for gain, _ in measured):.2f}x < {cfg['cuda_graph_min_ratio']}x"
        else:
            out[study] = (f"cuda_graphs: graph gain {min(gain for gain, _ in measured):.2f}x, parameter gap "
                          f"{max(gap for _, gap in measured):.2g}")
    return out


def _nested(path: str, leaf: dict) -> dict:
    for key in reversed(path.split(".")):
        leaf = {key: leaf}
    return leaf


def config_words(choice: dict[str, str], cfg: dict | None = None) -> list[str]:
    """The snakemake ``--config`` words that switch CUDA graphs on for the chosen studies."""
    cfg = cfg or settings()
    words = []
    for study, why in choice.items():
        if not why.startswith("cuda_graphs"):
            continue
        blocks = cfg["train_blocks"].get(study)
        if not blocks:
            raise PipelineError(f"speedups.train_blocks in workflow/config/gpu.yaml names no training block of {study}")
        merged: dict = {}
        for path in blocks:
            merged = deep_merge(merged, _nested(path, {"cuda_graphs": True}))
        words.append(f"{study}={json.dumps(merged)}")
    return words


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench", type=Path, help="bench_gpu.py's JSON (--out X writes X.json)")
    ap.add_argument("--studies", default="", help="comma-separated studies of the run (default: every one benchmarked)")
    args = ap.parse_args(argv)
    if not args.bench.is_file():
        print(f"speed-ups: no benchmark at {args.bench}; every study trains eagerly", file=sys.stderr)
        return 0
    try:
        bench = json.loads(args.bench.read_text())
    except json.JSONDecodeError as err:
        raise PipelineError(f"{args.bench} is not the benchmark's JSON ({err})") from err
    studies = [s for s in args.studies.split(",") if s] or sorted(graph_gains(bench))
    choice = choose(bench, studies)
    for study, why in choice.items():
        print(f"speed-ups: {study}: {why}", file=sys.stderr)
    for word in config_words(choice):
        print(word)
    return 0


if __name__ == "__main__":
    run_command(main)
