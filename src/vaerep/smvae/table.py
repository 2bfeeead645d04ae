"""Table 4.1: per-image -ELBO, reconstruction and KL on the c-MNIST test set, mean +- std over seeds,
next to the thesis's values; plus the IWAE log-likelihood estimate."""

from __future__ import annotations

import pandas as pd

TERMS = ["neg_elbo", "rec", "kl", "neg_log_lik_iw"]
THESIS_TERMS = {"neg_elbo": "−ELBO", "rec": "BCE", "kl": "KL"}  # the terms Table 4.1 of the thesis gives, by name


def table_4_1(per_seed: pd.DataFrame, variants: dict) -> pd.DataFrame:
    """One row per variant: label, seeds, mean and std of every term, thesis values and differences."""
    rows = []
    for variant, spec in variants.items():
        runs = per_seed[per_seed["variant"] == variant]
        if runs.empty:
            continue
        row = {"variant": variant, "label": spec["label"], "in_thesis_table": spec["table"],
               "n_seeds": len(runs), "seeds": " ".join(str(s) for s in sorted(runs["seed"]))}
        for term in TERMS:
            row[f"{term}_mean"] = runs[term].mean()
            row[f"{term}_std"] = runs[term].std(ddof=1) if len(runs) > 1 else float("nan")
        thesis = spec.get("thesis") or {}
        for term in THESIS_TERMS:
            row[f"thesis_{term}"] = thesis.get(term, float("nan"))
            row[f"diff_{term}"] = row[f"{term}_mean"] - row[f"thesis_{term}"]
        row["n_test"] = int(runs["n_test"].iloc[0])
        rows.append(row)
    return pd.DataFrame(rows)


def _pm(mean: float, std: float) -> str:
    return f"{mean:.2f}" if pd.isna(std) else f"{mean:.2f} ± {std:.2f}"


def to_markdown(table: pd.DataFrame) -> str:
    """Table 4.1 as Markdown: replicated (mean ± std over seeds) next to the thesis value."""
    lines = ["| Model | seeds | −ELBO | thesis | BCE | thesis | KL | thesis | −log p(x) (IWAE) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        def th(t):
            return "—" if pd.isna(r[f"thesis_{t}"]) else f"{r[f'thesis_{t}']:g}"
        lines.append(f"| {r['label']} | {r['n_seeds']} | {_pm(r['neg_elbo_mean'], r['neg_elbo_std'])} | {th('neg_elbo')} "
                     f"| {_pm(r['rec_mean'], r['rec_std'])} | {th('rec')} | {_pm(r['kl_mean'], r['kl_std'])} | {th('kl')} "
                     f"| {_pm(r['neg_log_lik_iw_mean'], r['neg_log_lik_iw_std'])} |")
    n = int(table["n_test"].iloc[0]) if len(table) else 0
    lines.append("")
    lines.append(f"Per test image, nats, on {n} c-MNIST test images; BCE summed over the 784 pixels; "
                 "−ELBO with one posterior sample per image; mean ± sample std over seeds.")
    return "\n".join(lines) + "\n"
