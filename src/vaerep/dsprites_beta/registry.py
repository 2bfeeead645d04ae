"""Study B's figure files and scorecard tables, without torch (the workflow reads them when it is parsed)."""

from __future__ import annotations

from ..errors import PipelineError

# Scorecard number tables: name -> file in results/<scale>/dsprites_beta/.
TABLES = {"table_2_3": "table_2_3.csv", "table_2_4": "table_2_4.csv", "params": "model_params.json"}
PARTS: tuple[str, ...] = ()  # one figure rule makes every figure

# PCA of the thesis's beta coloured by one factor: factor -> thesis figure number.
FACTOR_FIGURES = {"orientation": "2.11", "posX": "2.12", "posY": "2.13", "scale": "2.14", "shape": "2.15"}


def figure_files(settings: dict, part: str | None = None) -> dict[str, str]:
    """Key -> file in figures/<scale>/dsprites_beta/ of every figure at ``settings`` (the study's settings at a
    scale): samples, MIG vs beta, per beta its loss curves, reconstructions and PCA panel (thesis numbers from
    ``figures``, 'extra' beyond them), and the per-factor PCA scatters when the thesis's beta ran."""
    if part is not None:
        raise PipelineError(f"dsprites_beta has no figure part '{part}'")
    betas = [f"{b:g}" for b in settings["betas"]]
    numbers = settings["figures"]
    files = {"samples": "fig2.1_dsprites_samples.png", "mig_vs_beta": "fig2.10_mig_vs_beta.png"}
    for b in betas:
        files[f"curves_beta{b}"] = f"fig{numbers['curves'].get(b, 'extra')}_loss_curves_beta{b}.png"
        files[f"recon_beta{b}"] = f"fig{numbers['recon'].get(b, 'extra')}_reconstructions_beta{b}.png"
        files[f"pca_all_beta{b}"] = f"figextra_pca_all_factors_beta{b}.png"
    pca_beta = f"{settings['pca']['beta']:g}"
    if pca_beta in betas:
        for factor, num in FACTOR_FIGURES.items():
            files[f"pca_{factor}"] = f"fig{num}_pca_{factor}_beta{pca_beta}.png"
    return files
