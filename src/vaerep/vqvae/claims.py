"""The thesis's qualitative claims about the MNIST VQ-VAE (seed_002 §6, 5.2.1), each checked against
the manipulation table: claim, evidence, verdict (replicates / differs)."""

from __future__ import annotations

import pandas as pd


def check_claims(table: pd.DataFrame, metrics: dict, respect_ratio: float) -> pd.DataFrame:
    t = table.set_index("operation")
    rows = []

    def add(claim, evidence, ok):
        rows.append({"claim": claim, "evidence": evidence, "verdict": "replicates" if ok else "differs"})

    def r(op):
        return f"{op} ratio {t.loc[op, 'ratio']:.2f}"

    add("The MNIST VQ-VAE is robust to (cyclic) shifts of the latent grid",
        f"MSE(decode(shift z), shifted image) / reconstruction MSE: {r('shift_x')}, {r('shift_y')} "
        f"(threshold {respect_ratio})", bool(t.loc[["shift_x", "shift_y"], "respects"].all()))
    add("Rotation and mirroring of the latent grid destroy the image",
        f"{r('rot90')}, {r('flip_x')}, {r('flip_y')}: each above {respect_ratio} means decode(op z) is not op(x)",
        bool((~t.loc[["rot90", "flip_x", "flip_y"], "respects"]).all()))
    add("Splicing halves of two latent grids gives the spliced image",
        f"MSE against the pixel splice of the two originals / reconstruction MSE: {r('splice_x')}, {r('splice_y')}",
        bool(t.loc[["splice_x", "splice_y"], "respects"].all()))
    corr = float(t.loc["invert", "corr_with_reconstruction"])
    add("Value inversion (-z_q) inverts the image intensities (while keeping some characteristics)",
        f"mean per-image correlation of decode(-z_q) with the reconstruction: {corr:.2f} (negative = inverted); "
        f"MSE against 1 - x: {t.loc['invert', 'mse_vs_pixel_op']:.3f}", corr < 0)
    add("(beyond the thesis) The codebook does not collapse",
        f"{metrics['codes_used']} of {metrics['codebook_size']} codes used on the test set, perplexity "
        f"{metrics['perplexity']:.1f}", metrics["usage"] >= 0.5)
    return pd.DataFrame(rows)
