"""The "why it differs" figures of the forensics stage."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..plotting import save


# Table 4.1's terms in the Study A figure: (thesis key, baseline key, hypothesis key under the thesis's KL, under the
# true KL, axis label); the BCE does not depend on the KL, so its hypothesis has one bar.
STUDY_A_TERMS = (("neg_elbo", "neg_elbo_true", "neg_elbo_author", "neg_elbo_true", "−ELBO"),
                 ("rec", "rec", "rec", None, "BCE"),
                 ("kl", "kl_true", "kl_author", "kl_true", "KL"))


def study_a(evals: dict, variants: dict, forensics: dict, path) -> None:
    """Per hypothesis variant and Table 4.1 term (−ELBO, BCE, KL; one panel each): the thesis's value, the
    baseline's, and the hypothesis run's with the thesis's (author's) KL and with the true KL (mean over seeds,
    std as error bars)."""
    names = list(forensics["variants"])
    fig, axes = plt.subplots(1, len(STUDY_A_TERMS), figsize=(13, 4.2))
    width = 0.2
    for ax, (thesis_key, base_key, author_key, true_key, label) in zip(axes, STUDY_A_TERMS):
        bars = [("thesis", "k", None), ("baseline (true KL)", "tab:blue", base_key),
                ("hypothesis, thesis's KL" if true_key else "hypothesis", "tab:red", author_key)]
        if true_key:
            bars.append(("hypothesis, true KL", "tab:orange", true_key))
        lows = []
        for j, (bar, color, key) in enumerate(bars):
            vals, errs = [], []
            for n in names:
                hyp = forensics["variants"][n]
                if key is None:
                    v = [variants[hyp["base"]]["thesis"][thesis_key]]
                else:
                    v = [r[key] for r in evals[("base", hyp["base"]) if j == 1 else ("hyp", n)]]
                vals.append(np.mean(v))
                errs.append(np.std(v, ddof=1) if len(v) > 1 else 0.0)
            lows += [a - b for a, b in zip(vals, errs)]
            ax.bar(np.arange(len(names)) + (j - (len(bars) - 1) / 2) * width, vals, width, yerr=errs, label=bar,
                   color=color)
        ax.set_xticks(np.arange(len(names)),
                      [f"{forensics['variants'][n]['hypothesis']}\n{forensics['variants'][n]['base']}" for n in names],
                      fontsize=8)
        ax.set_ylabel(f"{label} per test image (nats)")
        top = max(p.get_height() for p in ax.patches)
        ax.set_ylim(max(0.0, min(lows) - 0.25 * (top - min(lows)) - 1), None)  # a zoom that keeps the differences
        ax.set_title(label)
        ax.legend(fontsize=7)
    fig.suptitle("Study A: Table 4.1 cells under the hypotheses (bars start above 0)")
    fig.tight_layout()
    save(fig, path)


def study_b_mig(per_protocol: dict, thesis: dict, factors: list[str], path) -> None:
    """MIG per factor under each estimator/protocol hypothesis, one panel per beta, next to the thesis's
    Table 2.4 bars. ``per_protocol``: {protocol: {beta: {factor: value}}}."""
    betas = sorted({b for v in per_protocol.values() for b in v}, key=float)
    fig, axes = plt.subplots(1, len(betas), figsize=(4.2 * len(betas), 3.6), squeeze=False)
    protocols = ["thesis"] + list(per_protocol)
    width = 0.8 / len(protocols)
    for ax, beta in zip(axes[0], betas):
        for j, p in enumerate(protocols):
            src = thesis.get(beta, {}) if p == "thesis" else per_protocol[p].get(beta, {})
            vals = [max(float(src.get(f, np.nan)), 1e-6) for f in factors]
            ax.bar(np.arange(len(factors)) + (j - (len(protocols) - 1) / 2) * width, vals, width, label=p,
                   color="k" if p == "thesis" else None)
        ax.set_yscale("log")
        ax.set_ylim(1e-6, 1)
        ax.set_xticks(np.arange(len(factors)), factors, fontsize=8, rotation=30)
        ax.set_title(f"β = {beta}")
    axes[0][0].set_ylabel("MIG (log scale; 0 drawn at 1e-6)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle("Study B: MIG under each estimator/protocol hypothesis vs the thesis's Table 2.4")
    save(fig, path)


CATEGORY_COLOURS = {"scale artefact": "tab:blue", "threshold choice": "tab:orange", "real difference": "tab:red"}


def trends(rows: list[dict], path, title: str, max_panels: int = 12) -> None:
    """Per failing condition of each classed "differs" row (``_leaves``), the quantity over the
    kept epochs with its threshold (dashed); the colour is the condition's class. At most ``max_panels``."""
    import textwrap

    panels, seen = [], set()
    for r in rows:
        for x in r.get("_leaves", []):
            if len(x["leaf"].series) >= 2 and x["leaf"].name not in seen:  # a condition shared by two claims once
                seen.add(x["leaf"].name)
                panels.append((r, x))
    total = len(panels)
    # the longest kept trends first (per-epoch histories, then checkpoints, then null control and final model)
    panels = sorted(panels, key=lambda p: -len(p[1]["leaf"].series))[:max_panels]
    if total > max_panels:
        title += f" ({max_panels} of {total} conditions with a trend; the table lists all)"
    cols = min(3, max(1, len(panels)))
    nrows = max(1, -(-len(panels) // cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.2 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no 'differs' row with a kept trend at this scale", ha="center", va="center")
    for ax, (r, x) in zip(axes.flat, panels):
        leaf = x["leaf"]
        e = sorted(leaf.series)
        ax.plot(e, [leaf.series[k] for k in e], "o-", color=CATEGORY_COLOURS[x["category"]],
                label=f"{x['category']} ({x['verdict']})")
        ax.axhline(leaf.threshold, ls="--", color="k", lw=1, label=f"threshold ({leaf.op} {leaf.threshold:g})")
        ax.set_xlabel("epoch")
        ax.set_title("\n".join(textwrap.wrap(f"{r['hypothesis'].split(' (')[0]}: {leaf.name}", 42)), fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, path)
