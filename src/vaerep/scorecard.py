"""The replication scorecard: every number and qualitative claim a thesis reports, next to what the
pipeline measured, with the difference, the tolerance (from config) and a verdict.

Verdicts: ``replicates`` (|replicated - thesis| <= tolerance, or a claim check that passed),
``differs``, ``not comparable`` (with the reason: the run is at a reduced scale, or the thesis's
number cannot be compared at any scale, or there is no replicated value), and ``not informative (holds
on an untrained model)``: the row would replicate, but so does its null control (the same architecture
at its seeded initialisation, evaluated by the same code), so passing says nothing about training.
Every row carries the null control's value and verdict (``null_value``, ``null_verdict``) and whether
its run was at the thesis's scale or a reduced one (``scale``), counted apart in the summary, and the
forensics hypotheses tested for it (``explanation``; empty where none was tested).
"""

from __future__ import annotations

import math

import pandas as pd

from .claim import BEYOND_THESIS
from .config import REHEARSAL, dotted, study_settings
from .readers import read_csv, read_json
from .smvae.table import THESIS_TERMS
from .studies import label, name_of, title

CLAIM = "claim"  # the thesis_value of a qualitative claim's row (a number row holds the thesis's number)
COLUMNS = ["study", "claim_id", "source", "claim", "thesis_value", "replicated_value", "replicated_std", "n_seeds",
           "difference", "tolerance", "null_value", "null_verdict", "verdict", "reason", "scale", "explanation"]
NOT_INFORMATIVE = "not informative (holds on an untrained model)"
AT_CHANCE = "at chance"  # a score within the chance band of its estimator (Study B's MIG)
VERDICTS = ("replicates", "differs", "not comparable", NOT_INFORMATIVE, AT_CHANCE)
NO_NULL = "no null control"


def reduced_scale(study_section: dict, scale: str, keys: list[str]) -> str:
    """Why a study run at ``scale`` is not the thesis's experiment: the ``keys`` (dotted paths) whose value
    at this scale differs from the thesis (``full``) value, as one sentence; '' when none differs. A rehearsal
    is never the thesis's experiment: its training is cut to a few steps per epoch."""
    if scale == REHEARSAL:
        return (f"{REHEARSAL}: the `full` scale's data sizes, shapes and evaluation with training cut to a few "
                "steps per epoch; its numbers test the pipeline, not the thesis")
    base = study_settings({"scale": "full", "study": study_section}, "study")
    now = study_settings({"scale": scale, "study": study_section}, "study")

    def show(v):
        return "all" if v is None else v

    diffs = [f"{k} = {show(dotted(now, k))} (thesis {show(dotted(base, k))})" for k in keys
             if dotted(now, k) != dotted(base, k)]
    return f"reduced scale `{scale}`: " + ", ".join(diffs) if diffs else ""


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def number_row(study: str, source: str, claim: str, thesis, value, tolerance: float, *, claim_id: str, std=None,
               n_seeds: int = 1, reason: str = "") -> dict:
    """One scorecard row for a number, ``claim_id`` its stable ID. ``reason`` non-empty makes it 'not comparable'."""
    diff = value - thesis if _finite(value) and _finite(thesis) else float("nan")
    if not reason and not _finite(value):
        reason = "no finite replicated value"
    if not reason and not _finite(thesis):
        reason = "the thesis gives no value"
    verdict = "not comparable" if reason else ("replicates" if abs(diff) <= tolerance else "differs")
    return {"study": study, "claim_id": claim_id, "source": source, "claim": claim, "thesis_value": thesis, "replicated_value": value,
            "replicated_std": std if _finite(std) else float("nan"), "n_seeds": n_seeds, "difference": diff,
            "tolerance": tolerance, "verdict": verdict, "reason": reason}


def smvae_rows(table_csv, tol: dict, reason: str) -> list[dict]:
    """Table 4.1 (Study A): per-image -ELBO, BCE and KL per variant, mean +- std over seeds."""
    t = read_csv(table_csv)
    rows = []
    for r in t[t["in_thesis_table"].astype(bool)].itertuples():
        for term, name in THESIS_TERMS.items():
            rows.append(number_row(label("smvae"), "Table 4.1", f"{r.label}: {name} per test image (nats)",
                                   getattr(r, f"thesis_{term}"), getattr(r, f"{term}_mean"), tol[term],
                                   claim_id=f"A.table_4_1.{r.variant}.{term}", std=getattr(r, f"{term}_std"), n_seeds=int(r.n_seeds), reason=reason))
    return rows


def dsprites_rows(t23_csv, t24_csv, params_json, tol: dict, reason: str, fixed_reasons: dict) -> list[dict]:
    """Tables 2.3 (final losses) and 2.4 (MIG) of Study B per beta, and the parameter counts."""
    rows = []
    t23 = read_csv(t23_csv)
    why23 = fixed_reasons.get("table_2_3") or reason
    for r in t23.itertuples():
        for term, col, name in (("loss", "train_loss", "final training loss"), ("rec", "train_rec", "final training reconstruction"),
                                ("kl", "train_kl", "final training KL"), ("val_loss", "val_loss", "final validation loss")):
            thesis = getattr(r, f"thesis_{term}")
            if not _finite(thesis):
                continue  # the thesis gives Table 2.3 for some betas only
            rows.append(number_row(label("dsprites_beta"), "Table 2.3", f"β = {r.beta:g}: {name}", thesis, getattr(r, col),
                                   tol[term], claim_id=f"B.table_2_3.{beta_id(r.beta)}.{term}", reason=why23))
    t24 = read_csv(t24_csv)
    for r in t24.to_dict("records"):
        for key, name in [("mig", "overall")] + [(f, f) for f in ("shape", "scale", "orientation", "posX", "posY")]:
            thesis = r.get("thesis_mig" if key == "mig" else f"thesis_{key}")
            if not _finite(thesis):
                continue
            rows.append(mig_row(number_row(label("dsprites_beta"), "Table 2.4", f"β = {r['beta']:g}: MIG {name}", thesis,
                                           r[key], tol["mig"], claim_id=f"B.table_2_4.{beta_id(r['beta'])}.{key.lower()}",
                                           reason=reason), r, key))
    counts = read_json(params_json)
    for part, thesis in counts["thesis"].items():
        rows.append(number_row(label("dsprites_beta"), "§2.3 (model summary)", f"β-VAE {part} parameters", thesis,
                               counts[part], tol["params"], claim_id=f"B.params.{part.lower()}"))
    return rows


def beta_id(beta) -> str:
    """β as a claim-ID part: 1 -> 'beta_1', 0.5 -> 'beta_0_5'."""
    return "beta_" + f"{float(beta):g}".replace(".", "_").replace("-", "m")


def mig_row(row: dict, t24_row: dict, key: str) -> dict:
    """A Table 2.4 row with its chance level (random codes, same N and bins) in the reason; a value the
    table flags as within the chance band (``<key>_at_chance``) is AT_CHANCE instead of replicates/differs."""
    mean, std = t24_row.get(f"chance_{key}"), t24_row.get(f"chance_{key}_std")
    if not (_finite(mean) and _finite(std)):
        return row
    at = bool(t24_row.get(f"{key}_at_chance"))
    note = f"chance level {mean:.4f} ± {std:.4f} (random codes, same N and bins){': value at chance' if at else ''}"
    if at and row["verdict"] in ("replicates", "differs"):
        row["verdict"] = AT_CHANCE
    row["reason"] = "; ".join(x for x in [row["reason"], note] if x)
    return row


def latent2d_rows(table_csv, main_variant: str, tol: dict, reason: str) -> list[dict]:
    """Study D's final training losses of the main variant (thesis Figs 5.8, 5.9)."""
    t = read_csv(table_csv).set_index("variant")
    r = t.loc[main_variant]
    names = {"total": "total loss", "rec": "reconstruction (summed BCE)", "kl": "KL"}
    return [number_row(label("latent2d"), "Figs 5.8–5.9", f"final training {name} after {int(r['thesis_epochs'])} epochs",
                       r[f"thesis_{k}"], r[k], tol[k], claim_id=f"D.final_loss.{k}", reason=reason)
            for k, name in names.items()]


def claim_rows(study: str, claims_csv, note: str = "") -> list[dict]:
    """The qualitative claims a study checked (claims.csv of vaerep.claim.frame: id, source, claim, evidence,
    verdict), as scorecard rows; ``note`` (e.g. the run's reduced scale) is added to the reason. A verdict
    'not comparable (why)' keeps its why (and whether the claim held on the model that ran, where the table
    says); checks beyond the thesis (verdict 'holds' / 'does not hold') are left out."""
    rows = []
    table = read_csv(claims_csv)
    missing = [c for c in ("id", "source", "claim", "evidence", "verdict") if c not in table.columns]
    if missing:
        raise ValueError(f"{claims_csv}: no column(s) {missing}; rerun the rule that writes it")
    for r in table.to_dict("records"):
        verdict, reasons = str(r["verdict"]), [note] if note else []
        if verdict in BEYOND_THESIS:
            continue
        if verdict.startswith("not comparable (") and verdict.endswith(")"):
            why = verdict[len("not comparable ("):-1]
            if "holds_on_this_model" in r:
                why += f"; on the model that ran it {'holds' if r['holds_on_this_model'] else 'does not hold'}"
            verdict, reasons = "not comparable", [why] + reasons
        if verdict not in VERDICTS:
            raise ValueError(f"{claims_csv}: unknown verdict '{verdict}'")
        holds = r.get("holds_on_this_model")
        rows.append({"study": study, "claim_id": r["id"], "source": r["source"], "claim": r["claim"],
                     "thesis_value": CLAIM, "replicated_value": r["evidence"], "replicated_std": float("nan"),
                     "n_seeds": float("nan"), "difference": float("nan"), "tolerance": float("nan"),
                     "verdict": verdict, "reason": "; ".join(reasons),
                     "holds": None if holds is None or pd.isna(holds) else bool(holds)})
    return rows


def is_claim(card: pd.DataFrame) -> pd.Series:
    """Which rows of a scorecard (as read back from scorecard.csv) are qualitative claims, not numbers."""
    return card["thesis_value"].astype(str) == CLAIM


def with_scale(rows: list[dict], reduced_reason: str, scale: str = "") -> list[dict]:
    """Mark rows from one study's run as at the thesis's scale or a reduced one (``reduced_reason`` as
    from :func:`reduced_scale`, '' at thesis scale); at ``scale`` rehearsal every row is 'not comparable'."""
    if scale == REHEARSAL:  # every row, claims too, is "not comparable" in a rehearsal
        return [{**r, "scale": REHEARSAL, "verdict": "not comparable"} for r in rows]
    return [{**r, "scale": "reduced" if reduced_reason else "thesis"} for r in rows]


def _null_outcome(row: dict) -> str:
    """What a null row's verdict says about the check: a number is judged on its value alone (a null run
    is never 'reduced scale'), a claim keeps its verdict."""
    if row["thesis_value"] != CLAIM and _finite(row["replicated_value"]) and _finite(row["thesis_value"]):
        return "replicates" if abs(row["replicated_value"] - row["thesis_value"]) <= row["tolerance"] else "differs"
    if row["verdict"] == "not comparable" and row.get("holds") is not None:  # judged on the model that ran
        return "replicates" if row["holds"] else "differs"
    return row["verdict"]


# Null controls besides the untrained model, by the folder under <study>/null/ that mirrors the study's
# outputs: C2/C3's trained VQ-VAE decoder fed a random code (the code carries nothing about the image).
EXTRA_NULLS = {"random_code": "the trained decoder fed a random code"}


def attach_null(rows: list[dict], null_rows: list[dict] | None, missing: str = "",
                extra: dict[str, list[dict]] | None = None) -> list[dict]:
    """Join every row with its null-control twin (same study and claim ID): ``null_value`` and
    ``null_verdict``; a row that would replicate while its null would too becomes NOT_INFORMATIVE.
    ``null_rows`` None: the study has no null control (``missing`` says why). ``extra``: further null
    controls (name -> rows, EXTRA_NULLS); a row is NOT_INFORMATIVE when any control passes, and then
    ``null_value`` shows every control's value by name."""
    twins = {(r["study"], r["claim_id"]): r for r in (null_rows or [])}
    others = {name: {(r["study"], r["claim_id"]): r for r in rs} for name, rs in (extra or {}).items()}
    out = []
    for r in rows:
        r = dict(r)
        key = (r["study"], r["claim_id"])
        twin = twins.get(key)
        if twin is None:
            why = missing if null_rows is None else "the null control's table has no such row"
            r["null_value"], r["null_verdict"] = float("nan"), f"{NO_NULL} ({why or 'none was run'})"
            out.append(r)
            continue
        found = {name: t[key] for name, t in others.items() if key in t}
        outcomes = {"untrained": _null_outcome(twin), **{n: _null_outcome(t) for n, t in found.items()}}
        passing = [n for n, o in outcomes.items() if o == "replicates"]
        if found:
            r["null_value"] = "; ".join([f"untrained: {twin['replicated_value']}"]
                                        + [f"{EXTRA_NULLS.get(n, n)}: {t['replicated_value']}" for n, t in found.items()])
            r["null_verdict"] = "replicates" if passing else outcomes["untrained"]
        else:
            r["null_value"], r["null_verdict"] = twin["replicated_value"], outcomes["untrained"]
        if r["verdict"] == "replicates" and passing:
            r["verdict"] = NOT_INFORMATIVE
            who = " and ".join("the untrained null control" if n == "untrained" else EXTRA_NULLS.get(n, n)
                               for n in passing)
            r["reason"] = "; ".join(x for x in [f"{who} passes the same check", r["reason"]] if x)
        out.append(r)
    return out


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows -> scorecard table with the fixed column order."""
    return pd.DataFrame(rows, columns=COLUMNS)


def with_explanation(card: pd.DataFrame, forensics: pd.DataFrame | None) -> pd.DataFrame:
    """The scorecard with its ``explanation`` column from the forensics table (all empty without one)."""
    from .forensics import explanation

    out = card.copy()
    out["explanation"] = "" if forensics is None else explanation(card, forensics)
    return out


def summary(card: pd.DataFrame) -> pd.DataFrame:
    """Count of each verdict per study and scale (runs at the thesis's scale apart from reduced-scale ones),
    with totals per scale."""
    card = card.assign(scale=card["scale"].fillna("thesis"))
    counts = card.pivot_table(index=["study", "scale"], columns="verdict", values="claim", aggfunc="count",
                              fill_value=0)
    counts = counts.reindex(columns=list(VERDICTS), fill_value=0)
    for scale in sorted(card["scale"].unique()):
        counts.loc[("all", scale), :] = counts.xs(scale, level="scale").sum()
    return counts.astype(int)


SCALE_WORDS = {"thesis": "at the thesis's scale", "reduced": "at a reduced scale", REHEARSAL: "in a rehearsal"}


def headline_markdown(card: pd.DataFrame) -> str:
    """One line per study: its verdict counts at the thesis's scale and at a reduced scale, apart."""
    counts = summary(card)
    lines = []
    for study in sorted(set(card["study"])):
        parts = []
        for scale, row in counts.loc[study].iterrows():
            said = ", ".join(f"**{row[v]}** {v}" for v in VERDICTS if row[v])
            parts.append(f"{SCALE_WORDS.get(scale, scale)}: {said}")
        lines.append(f"- **{title(name_of(study))}** — " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def counts_markdown(card: pd.DataFrame) -> str:
    """The verdict counts per study and scale as a Markdown table (the README's): one row per study and scale,
    the verdicts as short words (*not informative*, not the whole reason)."""
    counts = summary(card).drop(index="all", level="study")
    words = [v.split(" (")[0] for v in VERDICTS]
    lines = ["| study | scale | " + " | ".join(words) + " |", "|" + "---|" * (len(VERDICTS) + 2)]
    for (study, scale), row in counts.iterrows():
        lines.append(f"| {study} | {scale} | " + " | ".join(str(row[v]) for v in VERDICTS) + " |")
    return "\n".join(lines) + "\n"


def _fmt(v) -> str:
    """A cell for Markdown: numbers (also numbers read back from CSV as text) rounded, text escaped."""
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return v.replace("|", "\\|").replace("\n", " ")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    v = float(v)
    if v.is_integer() and abs(v) >= 1000:
        return f"{int(v):,}"
    if v != 0 and abs(v) < 1e-2:
        return f"{v:.2g}"
    return f"{v:.4g}"


def rows_markdown(card: pd.DataFrame) -> str:
    """One Markdown table row per number or claim."""
    lines = ["| study | id | source | claim | thesis | replicated | ± std (seeds) | difference | tolerance | null value "
             "| null verdict | verdict | reason | scale | explanation |", "|" + "---|" * 15]
    for r in card.itertuples():
        std = "–" if not _finite(r.replicated_std) else f"{r.replicated_std:.2g} ({int(r.n_seeds)})"
        lines.append("| " + " | ".join([r.study, f"`{r.claim_id}`", r.source, _fmt(r.claim), _fmt(r.thesis_value), _fmt(r.replicated_value),
                                         std, _fmt(r.difference), _fmt(r.tolerance), _fmt(r.null_value),
                                         _fmt(r.null_verdict), f"**{r.verdict}**", _fmt(r.reason),
                                         _fmt(r.scale), _fmt(r.explanation)]) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(card: pd.DataFrame) -> str:
    """The verdict counts per study and scale (thesis / reduced) as a Markdown table."""
    lines = ["| study | scale | " + " | ".join(VERDICTS) + " |", "|---|---|" + "---|" * len(VERDICTS)]
    for (study, scale), r in summary(card).iterrows():
        lines.append(f"| {study} | {scale} | " + " | ".join(str(r[v]) for v in VERDICTS) + " |")
    return "\n".join(lines) + "\n"


def to_markdown(card: pd.DataFrame, title: str) -> str:
    """The scorecard as Markdown: a verdict summary, then one table row per number or claim."""
    return f"# {title}\n\n" + summary_markdown(card) + "\n" + rows_markdown(card)
