"""The thesis's qualitative claims about the MNIST VQ-VAE (seed_002 §6, 5.2.1), each checked against
the manipulation table: claim, evidence, verdict (replicates / differs), tolerance_source. An op is
judged against its pixel-space twin *and* against doing nothing (``ratio_vs_no_op``), so a model that
ignores its code (untrained, or fed a random code) carries out no op."""

from __future__ import annotations

import pandas as pd

RESPECT_SOURCE = ("respected = ratio <= {rr} (as good as a reconstruction, up to {rr}x) and ratio_vs_no_op <= {ra} "
                  "(the latent op removes at least {pct:.0f} % of the error left when the op is not applied; a model "
                  "that ignores its code scores 1)")


def check_claims(table: pd.DataFrame, metrics: dict, respect_ratio: float, respect_anchor: float) -> pd.DataFrame:
    t = table.set_index("operation")
    src = RESPECT_SOURCE.format(rr=respect_ratio, ra=respect_anchor, pct=100 * (1 - respect_anchor))
    rows = []

    def add(claim, evidence, ok, source=src):
        rows.append({"claim": claim, "evidence": evidence, "verdict": "replicates" if bool(ok) else "differs",
                     "tolerance_source": source})

    def r(op):
        return f"{op} ratio {t.loc[op, 'ratio']:.2f}, vs no-op {t.loc[op, 'ratio_vs_no_op']:.2f}"

    shifts_ok = bool(t.loc[["shift_x", "shift_y"], "respects"].all())
    add("The MNIST VQ-VAE is robust to (cyclic) shifts of the latent grid",
        f"MSE(decode(shift z), shifted image) / reconstruction MSE and / MSE(reconstruction, shifted image): "
        f"{r('shift_x')}; {r('shift_y')}", shifts_ok)
    add("Rotation and mirroring of the latent grid destroy the image",
        f"{r('rot90')}; {r('flip_x')}; {r('flip_y')}: none respected means decode(op z) is not op(x); shifts "
        f"respected by the same grid: {shifts_ok} (required, so that the failure is the op's, not a grid that "
        "carries out no op at all)",
        shifts_ok and bool((~t.loc[["rot90", "flip_x", "flip_y"], "respects"]).all()))
    add("Splicing halves of two latent grids gives the spliced image",
        f"against the pixel splice of the two originals: {r('splice_x')}; {r('splice_y')}",
        bool(t.loc[["splice_x", "splice_y"], "respects"].all()))
    corr, anchor = float(t.loc["invert", "corr_with_reconstruction"]), float(t.loc["invert", "ratio_vs_no_op"])
    add("Value inversion (-z_q) inverts the image intensities (while keeping some characteristics)",
        f"mean per-image correlation of decode(-z_q) with the reconstruction: {corr:.2f} (negative = inverted); "
        f"MSE against 1 - x: {t.loc['invert', 'mse_vs_pixel_op']:.3f} = {anchor:.2f} x that of the reconstruction",
        corr < 0 and anchor < 1,
        "inverted = negative correlation with the reconstruction and closer to 1 - x than the reconstruction is "
        "(ratio_vs_no_op < 1; a model that ignores its code scores 1)")
    add("(beyond the thesis) The codebook does not collapse",
        f"{metrics['codes_used']} of {metrics['codebook_size']} codes used on the test set, perplexity "
        f"{metrics['perplexity']:.1f}", metrics["usage"] >= 0.5, "at least half of the codes in use")
    return pd.DataFrame(rows)
