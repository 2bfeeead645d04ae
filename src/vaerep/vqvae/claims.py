"""The thesis's qualitative claims about the MNIST VQ-VAE (§5.2.1, Figs 5.5–5.12), each a
:class:`vaerep.claim.Claim` checked against the manipulation table: the check is a tree of conditions on its
columns, which the forensics stage classes where a claim differs. An op is judged against its pixel-space twin
*and* against doing nothing (``ratio_vs_no_op``), so a model that ignores its code (untrained, or fed a random
code) carries out no op. Each condition carries its course from the null control (epoch 0) to the final model
where the null control's table is given."""

from __future__ import annotations

import pandas as pd

from ..claim import NULL_FINAL, Claim, Group, Leaf, course, every, frame

RESPECT_SOURCE = ("respected = ratio <= {rr} (as good as a reconstruction, up to {rr}x) and ratio_vs_no_op <= {ra} "
                  "(the latent op removes at least {pct:.0f} % of the error left when the op is not applied; a model "
                  "that ignores its code scores 1)")
SOURCE = {"shift": "§5.2.1 (Figs 5.5–5.6)", "destroy": "§5.2.1 (Figs 5.7–5.9)", "splice": "§5.2.1 (Figs 5.10–5.11)",
          "invert": "§5.2.1 (Fig 5.12)", "codebook": "§5.2.1 (the MNIST VQ-VAE; a check beyond the thesis)"}


def claims(table: pd.DataFrame, metrics: dict, respect_ratio: float, respect_anchor: float,
           null: pd.DataFrame | None = None, epochs: int | None = None) -> list[Claim]:
    """C2/C3's claims. ``table``: manipulations.csv of the trained model; ``metrics``: its codebook use;
    ``null``: the null control's manipulations.csv, which puts epoch 0 in front of every course (None: the
    courses lack it); ``epochs``: epochs the trained model ran (None: the courses lack the final model)."""
    t = table.set_index("operation")
    n = None if null is None else null.set_index("operation")
    rr, ra = respect_ratio, respect_anchor
    src = RESPECT_SOURCE.format(rr=rr, ra=ra, pct=100 * (1 - ra))

    def leaf(op, col, cmp, value, source, definitional=False):
        return Leaf(f"{op} {col}", float(t.loc[op, col]), cmp, value, source, definitional,
                    course(None if n is None else n.loc[op, col], t.loc[op, col], epochs), NULL_FINAL)

    def respected(op):
        return every(leaf(op, "ratio", "<=", rr, "respect_ratio"), leaf(op, "ratio_vs_no_op", "<=", ra, "respect_anchor"))

    def not_respected(op):
        return Group("any", [leaf(op, "ratio", ">", rr, "respect_ratio"), leaf(op, "ratio_vs_no_op", ">", ra, "respect_anchor")])

    def r(op):
        return f"{op} ratio {t.loc[op, 'ratio']:.2f}, vs no-op {t.loc[op, 'ratio_vs_no_op']:.2f}"

    shifts = every(respected("shift_x"), respected("shift_y"))
    out = [
        Claim("C3.shift_robust", "The MNIST VQ-VAE is robust to (cyclic) shifts of the latent grid", SOURCE["shift"],
              f"MSE(decode(shift z), shifted image) / reconstruction MSE and / MSE(reconstruction, shifted image): "
              f"{r('shift_x')}; {r('shift_y')}", shifts, tolerance_source=src),
        Claim("C3.rotation_mirroring_destroy", "Rotation and mirroring of the latent grid destroy the image",
              SOURCE["destroy"],
              f"{r('rot90')}; {r('flip_x')}; {r('flip_y')}: none respected means decode(op z) is not op(x); shifts "
              f"respected by the same grid: {shifts.passes()} (required, so that the failure is the op's, not a grid "
              "that carries out no op at all)",
              every(respected("shift_x"), respected("shift_y"), *(not_respected(o) for o in ("rot90", "flip_x", "flip_y"))),
              tolerance_source=src),
        Claim("C3.splice", "Splicing halves of two latent grids gives the spliced image", SOURCE["splice"],
              f"against the pixel splice of the two originals: {r('splice_x')}; {r('splice_y')}",
              every(respected("splice_x"), respected("splice_y")), tolerance_source=src),
    ]
    corr, anchor = float(t.loc["invert", "corr_with_reconstruction"]), float(t.loc["invert", "ratio_vs_no_op"])
    out.append(Claim(
        "C3.value_inversion", "Value inversion (-z_q) inverts the image intensities (while keeping some characteristics)",
        SOURCE["invert"],
        f"mean per-image correlation of decode(-z_q) with the reconstruction: {corr:.2f} (negative = inverted); "
        f"MSE against 1 - x: {t.loc['invert', 'mse_vs_pixel_op']:.3f} = {anchor:.2f} x that of the reconstruction",
        every(leaf("invert", "corr_with_reconstruction", "<", 0.0, "negative = inverted", True),
              leaf("invert", "ratio_vs_no_op", "<", 1.0, "closer to 1 - x than the reconstruction", True)),
        tolerance_source="inverted = negative correlation with the reconstruction and closer to 1 - x than the "
                         "reconstruction is (ratio_vs_no_op < 1; a model that ignores its code scores 1)"))
    out.append(Claim(
        "C2.codebook_in_use", "(beyond the thesis) The codebook does not collapse", SOURCE["codebook"],
        f"{metrics['codes_used']} of {metrics['codebook_size']} codes used on the test set, perplexity "
        f"{metrics['perplexity']:.1f}",
        Leaf("share of the codebook used on the test set", float(metrics["usage"]), ">=", 0.5, "at least half of the codes"),
        beyond_thesis=True, tolerance_source="at least half of the codes in use"))
    return out


def check_claims(table: pd.DataFrame, metrics: dict, respect_ratio: float, respect_anchor: float) -> pd.DataFrame:
    """claims.csv of C2/C3 (id, source, claim, evidence, verdict, tolerance_source)."""
    return frame(claims(table, metrics, respect_ratio, respect_anchor), ("tolerance_source",))
