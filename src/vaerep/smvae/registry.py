"""Study A's figure files and scorecard tables, without torch (the workflow reads them when it is parsed)."""

from __future__ import annotations

from ..errors import PipelineError

# Scorecard number tables: name -> file in results/<scale>/smvae/.
TABLES = {"table_4_1": "table_4_1.csv"}
PARTS: tuple[str, ...] = ()  # one figure rule makes every figure

# Latent-space figures of named variants: key -> file in figures/<scale>/smvae/.
LATENT_FIGURES = {
    "slices_standard": "fig4.3_slices_standard.png",
    "radial_lines_standard": "fig4.4_radial_lines_standard.png",
    "normalised_codes_standard": "fig4.5_normalised_codes_standard.png",
    "slices_pre_normal": "fig4.8_slices_pre_normal.png",
    "slices_pre_gamma3": "fig4.11_slices_pre_gamma3.png",
    "slices_pre_gamma1": "fig4.11_slices_pre_gamma1.png",
    "slice_post_lognormal": "fig4.15_slice_post_lognormal.png",
}


def figure_files(settings: dict, part: str | None = None) -> dict[str, str]:
    """Key -> file in figures/<scale>/smvae/ of every figure at ``settings`` (the study's settings at a scale):
    each variant's reconstructions and posterior vs contrast (thesis numbers from its ``figures``), then
    LATENT_FIGURES."""
    if part is not None:
        raise PipelineError(f"smvae has no figure part '{part}'")
    files = {}
    for v, spec in settings["variants"].items():
        files[f"recon_{v}"] = f"fig{spec['figures']['recon']}_reconstructions_{v}.png"
        files[f"posterior_{v}"] = f"fig{spec['figures']['posterior']}_posterior_vs_contrast_{v}.png"
    return {**files, **LATENT_FIGURES}
