"""The scorecard of one run folder (``results/<scale>``): which tables, claims, null twins and forensics
it reads, and the card built from them. Rule ``scorecard`` and the record check (``vaerep.record``) both
call :func:`build`, so a committed record is judged by the same code as a fresh run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import scorecard as sc
from .readers import read_csv
from .studies import label, registry

NULL = "null"  # a study's null control mirrors its results folder in <study>/null/


def number_tables(study: str) -> dict[str, str]:
    """The study's number tables (its registry's TABLES): name -> path relative to results/<scale>/."""
    return {name: f"{study}/{file}" for name, file in registry(study).TABLES.items()}


def null_twin(path: str | Path, results: Path, control: str = "") -> Path:
    """results/<scale>/<study>/X -> results/<scale>/<study>/null/[<control>/]X."""
    rel = Path(path).relative_to(results)
    return results / rel.parts[0] / NULL / control / Path(*rel.parts[1:])


def discover(results: Path | str, studies: list[str]) -> dict:
    """The scorecard's inputs found in a finished run folder, as rule ``scorecard`` names them: number tables,
    every claims.csv (null twins aside), the null twins present, and forensics.csv when there."""
    results = Path(results)
    tables = {study: {k: str(results / v) for k, v in number_tables(study).items()} for study in studies}
    claims = sorted(str(p) for study in studies for p in (results / study).rglob("claims.csv")
                    if NULL not in p.relative_to(results).parts)
    wanted = [v for t in tables.values() for v in t.values()] + claims
    nulls = sorted(str(null_twin(p, results, c)) for p in wanted for c in ["", *sc.EXTRA_NULLS]
                   if null_twin(p, results, c).is_file())
    forensics = results / "forensics.csv"
    return {"tables": tables, "claims": claims, "nulls": nulls,
            "forensics": str(forensics) if forensics.is_file() else None}


def _number_rows(study, tables: dict, scorecard: dict, latent2d_main, reason: str) -> list[dict]:
    tol, fixed = scorecard["tolerances"], scorecard["not_comparable"]
    if study == "smvae":
        return sc.smvae_rows(tables["table_4_1"], tol["smvae"], reason)
    if study == "dsprites_beta":
        return sc.dsprites_rows(tables["table_2_3"], tables["table_2_4"], tables["params"], tol["dsprites_beta"],
                                reason, fixed.get("dsprites_beta", {}))
    if study == "latent2d":
        return sc.latent2d_rows(tables["losses"], latent2d_main, tol["latent2d"], reason)
    return []


def build(results: Path | str, scale: str, studies: list[str], scorecard: dict, sections: dict,
          latent2d_main: str | None, tables: dict, claims: list, nulls: list, forensics: str | None) -> pd.DataFrame:
    """The card: each study's thesis numbers (``tables``: study -> name -> path) and claims, with their null
    controls (``nulls``: the twins present), scale and forensics explanations (``scorecard``: the config's
    block; ``sections``: each study's settings at ``scale``)."""
    results = Path(results)
    reason = {s: sc.reduced_scale(sections[s], scale, scorecard["thesis_scale_keys"].get(s, [])) for s in studies}
    present = {str(f) for f in nulls}
    rows = []
    for study in studies:
        own = tables.get(study, {})
        main_rows = _number_rows(study, own, scorecard, latent2d_main, reason[study])
        twins = {k: str(null_twin(v, results)) for k, v in own.items()}
        null_rows = (_number_rows(study, twins, scorecard, latent2d_main, "")
                     if twins and set(twins.values()) <= present else None)
        rows += sc.with_scale(sc.attach_null(main_rows, null_rows, "no null run for these tables"), reason[study],
                              scale)
    for path in claims:
        rel = Path(path).relative_to(results)  # <study>/[<part>/]claims.csv
        study = rel.parts[0]
        twin = str(null_twin(path, results))
        main_rows = sc.claim_rows(label(study), path, reason[study])
        null_rows = sc.claim_rows(label(study), twin) if twin in present else None
        extra = {c: sc.claim_rows(label(study), str(null_twin(path, results, c)))
                 for c in sc.EXTRA_NULLS if str(null_twin(path, results, c)) in present}
        rows += sc.with_scale(sc.attach_null(main_rows, null_rows, "no null run for these claims", extra),
                              reason[study], scale)
    text = {c: str for c in ("baseline", "measured", "move", "noise")}  # "+0.97" stays a signed text cell
    return sc.with_explanation(sc.frame(rows), read_csv(forensics, dtype=text) if forensics else None)


def write(card: pd.DataFrame, results: Path | str, scale: str) -> None:
    """scorecard.csv and scorecard.md in ``results``."""
    card.to_csv(Path(results) / "scorecard.csv", index=False)
    (Path(results) / "scorecard.md").write_text(sc.to_markdown(card, f"Replication scorecard (scale `{scale}`)"))
