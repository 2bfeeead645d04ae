"""Table 4.1 from two devices side by side: does each variant's mean agree within the seed spread?

Study A runs at the thesis's scale on the CPU (`cpu`) and on a GPU (`full`: seed-batched, possibly CUDA graphs).
A cell (variant x term) *agrees* when the two means lie within ``noise_k`` x the larger between-seed standard
deviation of the two devices (the forensics stage's noise rule, ``vaerep.forensics.control.noise``); with one
seed on either side there is no spread and the cell is *not measured*. ``false_alarm_rate`` says how often the
rule calls two samples of the same distribution different, so that the count of *differs* can be read against
chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..forensics import control

AGREES, DIFFERS, NOT_MEASURED = "agrees", "differs", "not measured (1 seed)"
TERM_LABELS = {"neg_elbo": "−ELBO", "rec": "BCE", "kl": "KL", "neg_log_lik_iw": "−log p(x) (IWAE)"}


def compare(gpu: pd.DataFrame, cpu: pd.DataFrame, terms: list[str], noise_k: float) -> pd.DataFrame:
    """One row per variant held by both Table 4.1 frames (``vaerep.smvae.table.table_4_1``) and per term:
    both means, stds and seed counts, the difference (GPU - CPU), the noise and the verdict."""
    rows = []
    both = cpu.set_index("variant")
    for _, g in gpu.iterrows():
        if g["variant"] not in both.index:
            continue
        c = both.loc[g["variant"]]
        for term in terms:
            noise = control.noise(control.Estimate(g[f"{term}_mean"], g[f"{term}_std"], int(g["n_seeds"])),
                                  control.Estimate(c[f"{term}_mean"], c[f"{term}_std"], int(c["n_seeds"])), noise_k)
            diff = g[f"{term}_mean"] - c[f"{term}_mean"]
            verdict = NOT_MEASURED if pd.isna(noise) else AGREES if abs(diff) <= noise else DIFFERS
            rows.append({"variant": g["variant"], "label": g["label"], "term": term,
                         "gpu_mean": g[f"{term}_mean"], "gpu_std": g[f"{term}_std"], "gpu_seeds": int(g["n_seeds"]),
                         "cpu_mean": c[f"{term}_mean"], "cpu_std": c[f"{term}_std"], "cpu_seeds": int(c["n_seeds"]),
                         "diff": diff, "noise": noise, "verdict": verdict})
    if not rows:
        raise ValueError("the two Table 4.1 frames share no variant")
    return pd.DataFrame(rows)


def false_alarm_rate(n_a: int, n_b: int, noise_k: float, draws: int = 200_000, seed: int = 0) -> float:
    """The share of draws in which the rule calls two samples (``n_a`` and ``n_b`` seeds) of one normal
    distribution *differs*: the chance rate of a *differs* per cell when both devices give the same numbers."""
    if min(n_a, n_b) < 2:
        return float("nan")
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((draws, n_a)), rng.standard_normal((draws, n_b))
    noise = noise_k * np.maximum(a.std(axis=1, ddof=1), b.std(axis=1, ddof=1))
    return float((np.abs(a.mean(axis=1) - b.mean(axis=1)) > noise).mean())


def summary(table: pd.DataFrame, noise_k: float) -> dict:
    """Counts per verdict, and the count of *differs* that chance alone gives (cells x false-alarm rate)."""
    measured = table[table["verdict"] != NOT_MEASURED]
    rates = [false_alarm_rate(int(r.gpu_seeds), int(r.cpu_seeds), noise_k) for r in measured.itertuples()]
    return {"cells": len(table), "agrees": int((table["verdict"] == AGREES).sum()),
            "differs": int((table["verdict"] == DIFFERS).sum()),
            "not_measured": int((table["verdict"] == NOT_MEASURED).sum()),
            "false_alarm_rate": float(np.mean(rates)) if rates else float("nan"),
            "chance_differs": float(np.sum(rates)) if rates else float("nan")}


def to_markdown(table: pd.DataFrame, noise_k: float, gpu_name: str, cpu_name: str) -> str:
    """The comparison as Markdown: one line per variant and term, then the counts against chance."""
    lines = [f"| Model | term | {gpu_name} | {cpu_name} | difference | noise ({noise_k:g} × larger seed std) | verdict |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        def pm(mean, std, n):
            return f"{mean:.2f}" if pd.isna(std) else f"{mean:.2f} ± {std:.2f} ({n} seeds)"
        noise = "—" if pd.isna(r.noise) else f"{r.noise:.2f}"
        lines.append(f"| {r.label} | {TERM_LABELS[r.term]} | {pm(r.gpu_mean, r.gpu_std, r.gpu_seeds)} "
                     f"| {pm(r.cpu_mean, r.cpu_std, r.cpu_seeds)} | {r.diff:+.2f} | {noise} | {r.verdict} |")
    s = summary(table, noise_k)
    chance = ("No cell has a seed spread on both sides, so none is judged." if s["agrees"] + s["differs"] == 0 else
              f"Two devices that gave the same numbers would show about {s['chance_differs']:.1f} *differs* by chance "
              f"({100 * s['false_alarm_rate']:.1f} % per cell: `false_alarm_rate`, simulated for these seed counts).")
    lines += ["", f"{s['agrees']} of {s['cells']} cells agree, {s['differs']} differ, {s['not_measured']} not measured. "
              f"{chance} Per test image, nats, mean ± sample std over seeds."]
    return "\n".join(lines) + "\n"
