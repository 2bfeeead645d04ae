"""Study A hypothesis evaluation (issue 11 H-A1/H-A2): the Table 4.1 terms of one trained SMVAE with the
true Gamma KL and with the thesis author's, and whether the contrast latent's mean rises with contrast."""

from __future__ import annotations

import numpy as np
import torch

from ..smvae import evaluate as ev
from ..smvae.data import images


@torch.no_grad()
def table_terms_both_kl(model, split: dict, device, seed: int, batch_size: int = 4096) -> dict[str, float]:
    """Per test image: reconstruction BCE (one posterior sample), KL in closed form and in the author's
    form (equal unless c is Gamma), the two -ELBOs, and Spearman(contrast, posterior mean of c)."""
    x = images(split)
    torch.manual_seed(seed)
    rec, kl_true, kl_author = [], [], []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i:i + batch_size].to(device)
        mu, logvar = model.encode(xb)
        z, c = model.sample_latent(mu, logvar)
        rec.append(model.reconstruction_nll(xb, z, c).cpu())
        kl_true.append(model.kl(mu, logvar, "closed_form").cpu())
        kl_author.append(model.kl(mu, logvar, "author_code").cpu())
    rec, kl_true, kl_author = (float(torch.cat(t).double().mean()) for t in (rec, kl_true, kl_author))
    mean, _ = ev.posterior_moments(model, split, device)
    c_rho = ev.spearman(mean[:, 2], split["contrast"]) if model.mix != "none" else float("nan")
    return {"rec": rec, "kl_true": kl_true, "kl_author": kl_author, "neg_elbo_true": rec + kl_true,
            "neg_elbo_author": rec + kl_author, "c_spearman": c_rho, "n_test": int(x.shape[0])}


def summarise(evals: list[dict], spec: dict, base_evals: list[dict], thesis: dict, tolerance: float,
              rises: float) -> list[dict]:
    """Forensics rows of one hypothesis variant: its -ELBO (thesis's KL and true KL) against the thesis
    cell and the baseline; c vs contrast. ``evals``/``base_evals``: per-seed outputs of table_terms_both_kl."""
    def stat(rows, key):
        v = np.array([r[key] for r in rows], dtype=float)
        return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0

    target = thesis["neg_elbo"]
    key = "neg_elbo_author" if spec.get("kl") == "author_code" else "neg_elbo_true"
    m, s = stat(evals, key)
    mt, _ = stat(evals, "neg_elbo_true")
    b, _ = stat(base_evals, "neg_elbo_true")
    moved = abs(b - target) - abs(m - target)
    verdict = ("explains" if abs(m - target) <= tolerance else
               "partly" if moved > tolerance else "does not explain")
    how = "its own (author's) KL" if key == "neg_elbo_author" else "the true KL"
    also = f"; {mt:.2f} with the true KL" if key == "neg_elbo_author" else ""
    rows = [{"measured": f"{m:.2f} ± {s:.2f} ({how}){also}; baseline {b:.2f} (true KL)",
             "value": m, "target_value": target, "baseline": b, "verdict": verdict,
             "reason": f"|{m:.1f} - {target}| = {abs(m - target):.1f} nats vs tolerance {tolerance}; "
                       f"moves {moved:+.1f} nats towards the thesis relative to the baseline"}]
    if spec.get("c_dist") == "gamma":
        rho, rho_s = stat(evals, "c_spearman")
        rho_b, _ = stat(base_evals, "c_spearman")
        n_rise = sum(r["c_spearman"] >= rises for r in evals)
        rows.append({"measured": f"Spearman(c mean, contrast) {rho:.2f} ± {rho_s:.2f} ({n_rise} of {len(evals)} "
                                 f"seeds >= {rises}); baseline {rho_b:.2f}",
                     "value": rho, "target_value": rises, "baseline": rho_b,
                     "verdict": "explains" if n_rise == len(evals) and rho_b < rises else
                                "partly" if n_rise > 0 and rho_b < rises else "does not explain",
                     "reason": f"the thesis says c's mean rises with contrast (Spearman >= {rises} taken as rising)"})
    return rows


THESIS_ORDER = ["standard", "post_lognormal", "pre_normal", "pre_gamma1", "pre_gamma3"]
TIED = {"pre_gamma1", "pre_gamma3"}  # 129.2 vs 129.3: the thesis's ranking treats them as equal


def ranking(neg_elbo: dict[str, float]) -> list[str]:
    """Table 4.1 variants ordered by -ELBO (best first)."""
    return sorted(neg_elbo, key=neg_elbo.get)


def middle_three_agrees(order: list[str]) -> bool:
    """Whether places 2-4 of ``order`` are the thesis's (post logNormal, pre Normal, then a pre Gamma)."""
    return order[1:3] == THESIS_ORDER[1:3] and order[3] in TIED


def study_a_rows(evals: dict, variants: dict, forensics: dict, rule_train: str, settings: str) -> list[dict]:
    """Every Study A forensics row. ``evals``: {("hyp"|"base", variant): [per-seed table_terms_both_kl]}."""
    rows = []
    for name, hyp in forensics["variants"].items():
        base = hyp["base"]
        spec = {**variants[base], **{k: v for k, v in hyp.items() if k not in ("base", "hypothesis")}}
        changed = ", ".join(f"{k}: {v}" for k, v in hyp.items() if k not in ("base", "hypothesis"))
        label = variants[base]["label"]
        for part in summarise(evals[("hyp", name)], spec, evals[("base", base)], variants[base]["thesis"],
                              forensics["tolerance"], forensics["rises"]):
            is_rho = part["target_value"] == forensics["rises"] and "Spearman" in part["measured"]
            # source and target as the scorecard names the row (a claim of smvae/claims.csv or a Table 4.1 cell)
            rows.append({"study": "A smvae", "source": "Table 4.1" if not is_rho else "smvae/claims.csv",
                         "hypothesis": f"{hyp['hypothesis']}: {label} trained with {changed}",
                         "target": f"{base}: c mean rises with contrast" if is_rho else f"{label}: −ELBO",
                         "thesis_value": "rises" if is_rho else part["target_value"],
                         "experiment": f"rule {rule_train}, {name} ({changed}), {settings}",
                         **{k: part[k] for k in ("measured", "verdict", "reason")}})
    # Middle-three ranking: the thesis's -ELBOs as the thesis would have computed them under H-A1 + H-A2.
    base_ne = {v: float(np.mean([r["neg_elbo_true"] for r in evals[("base", v)]])) for v in THESIS_ORDER}
    hyp_ne = dict(base_ne)
    for name, hyp in forensics["variants"].items():
        key = "neg_elbo_author" if hyp.get("kl") == "author_code" else "neg_elbo_true"
        hyp_ne[hyp["base"]] = float(np.mean([r[key] for r in evals[("hyp", name)]]))
    before, after = ranking(base_ne), ranking(hyp_ne)
    ok_before, ok_after = middle_three_agrees(before), middle_three_agrees(after)
    rows.append({"study": "A smvae", "source": "Table 4.1", "hypothesis": "H-A1 + H-A2: ranking of Table 4.1",
                 "target": "ranking", "thesis_value": " < ".join(THESIS_ORDER),
                 "experiment": "the H-A1/H-A2 runs in place of their baselines (mean -ELBO over seeds)",
                 "measured": f"baseline: {' < '.join(before)}; with the hypotheses: {' < '.join(after)}",
                 "verdict": "explains" if ok_after and not ok_before else
                            "does not explain" if not ok_after else "partly",
                 "reason": f"middle three (places 2-4) {'agree' if ok_after else 'differ'} with the thesis under "
                           f"the hypotheses; {'agree' if ok_before else 'differ'} at baseline"})
    return rows
