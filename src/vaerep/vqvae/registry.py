"""Study C's figure files and scorecard tables, without torch (the workflow reads them when it is parsed).
Three figure rules share figures/<scale>/vqvae/, one per part: ``mnist`` (C2/C3), ``vae2d`` (C1) and
``pretrained`` (C4)."""

from __future__ import annotations

from ..errors import PipelineError

# Scorecard number tables: none, every Study C number is checked in a claims.csv.
TABLES: dict[str, str] = {}
PARTS = ("mnist", "vae2d", "pretrained")

# C3: manipulation of the MNIST code grid -> thesis figure number.
MNIST_FIGURES = {"shift_y": "5.5", "shift_x": "5.6", "rot90": "5.7", "flip_x": "5.8", "flip_y": "5.9",
                 "splice_x": "5.10", "splice_y": "5.11", "invert": "5.12"}
# C1: key -> file.
VAE2D_FIGURES = {
    "latent_fc": "fig5.1a_latent_fc_bce.png",
    "latent_conv": "fig5.1b_latent_conv_bce.png",
    "grid_fc": "fig5.2a_decoded_grid_fc_bce.png",
    "grid_conv": "fig5.2b_decoded_grid_conv_bce.png",
    "collapse_latent": "fig5.3a_collapse_latent.png",
    "collapse_recon": "fig5.3b_collapse_reconstructions.png",
    "collapse_kl": "fig5.3c_collapse_kl_per_dim.png",
    "loss_curves": "fig5.4_loss_curves_bce_vs_mse.png",
    "latent_all": "figC1_latent_all_models.png",
}
# C4: what the figure shows (the manipulated token grids named by their operation) -> thesis figure number.
PRETRAINED_FIGURES = {"photos": "5.13", "reconstructions": "5.14", "rot90": "5.15", "invert": "5.16",
                      "shift_x": "5.17", "shift_y": "5.18", "transplant": "5.19"}


def figure_files(settings: dict, part: str | None = None) -> dict[str, str]:
    """Key -> file in figures/<scale>/vqvae/ of one part's figures (``part``, one of PARTS), or of every part
    with keys ``<part>_<key>`` (the same at every scale: ``settings`` is not read)."""
    if part is None:
        return {f"{p}_{k}": v for p in PARTS for k, v in figure_files(settings, p).items()}
    if part == "mnist":
        return {"code": "figC2_original_code_reconstruction.png",
                **{op: f"fig{num}_{op}.png" for op, num in MNIST_FIGURES.items()}}
    if part == "vae2d":
        return dict(VAE2D_FIGURES)
    if part == "pretrained":
        return {key: f"fig{num}_{key}.png" for key, num in PRETRAINED_FIGURES.items()}
    raise PipelineError(f"vqvae has no figure part '{part}': its parts are {', '.join(PARTS)}")
