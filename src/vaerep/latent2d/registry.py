"""Study D's figure files and scorecard tables, without torch (the workflow reads them when it is parsed)."""

from __future__ import annotations

from ..errors import PipelineError

# Scorecard number tables: name -> file in results/<scale>/latent2d/.
TABLES = {"losses": "table_losses.csv"}
PARTS: tuple[str, ...] = ()  # one figure rule makes every figure

# Figures of the main variant and of all variants together: key -> file in figures/<scale>/latent2d/.
FIGURES = {
    "mnist_samples": "fig5.1_mnist_samples.png",
    "total_loss": "fig5.8_total_loss.png",
    "kl_loss": "fig5.9a_kl_loss.png",
    "reconstruction_loss": "fig5.9b_reconstruction_loss.png",
    "loss_curves_penultimate": "figB.1_loss_curves_penultimate.png",
    "loss_curves_final": "figB.2_loss_curves_final.png",
    "latent_by_epoch": "fig5.11_latent_by_epoch.png",
    "latent_samples": "fig5.12_latent_samples.png",
    "decoded_samples": "fig5.13_decoded_samples.png",
    "manifold_full": "figC.1_manifold_full.png",
    "manifold_region": "figC.1_manifold_region.png",
    "reconstructions": "fig5.14_reconstructions.png",
    "transitions": "figX_transitions.png",
}


def figure_files(settings: dict, part: str | None = None) -> dict[str, str]:
    """Key -> file in figures/<scale>/latent2d/ of every figure at ``settings`` (the study's settings at a
    scale): FIGURES, then each variant's test latent map."""
    if part is not None:
        raise PipelineError(f"latent2d has no figure part '{part}'")
    return {**FIGURES, **{f"latent_test_{v}": f"fig5.10_latent_test_{v}.png" for v in settings["variants"]}}
