"""The front page's headline and scorecard figure, on a scorecard whose right answers are known."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from vaerep import scorecard as sc
from vaerep import scorecard_figure as sf


def _row(study, cid, thesis, value, tol, null, verdict, scale="thesis"):
    diff = value - thesis if isinstance(thesis, float) else float("nan")
    return {"study": study, "claim_id": cid, "source": "Table 1", "claim": cid, "thesis_value": thesis,
            "replicated_value": value, "replicated_std": float("nan"), "n_seeds": 1, "difference": diff,
            "tolerance": tol, "null_value": null, "null_verdict": "differs", "verdict": verdict, "reason": "",
            "scale": scale, "explanation": ""}


@pytest.fixture
def card():
    return sc.frame([
        _row("A smvae", "A.t.a", 100.0, 100.5, 1.0, 180.0, "replicates"),
        _row("A smvae", "A.t.b", 100.0, 90.0, 2.0, 100.2, sc.NOT_INFORMATIVE),
        _row("A smvae", "A.c", "claim", "holds", float("nan"), "does not hold", "replicates"),
        _row("B dsprites_beta", "B.t.a", 0.5, 0.2, 0.1, float("nan"), "not comparable", "reduced"),
        _row("B dsprites_beta", "B.count.exact", 7.0, 7.0, 0.0, 7.0, sc.NOT_INFORMATIVE, "reduced"),
        _row("B dsprites_beta", "B.count.miss", 7.0, 9.0, 0.0, 5.0, "not comparable", "reduced"),
        _row("B dsprites_beta", "B.t.unknown", float("nan"), 3.0, 0.1, float("nan"), "not comparable", "reduced"),
        _row("B dsprites_beta", "B.c1", "claim", "no", float("nan"), "no", "differs", "reduced"),
        _row("B dsprites_beta", "B.c2", "claim", "no", float("nan"), "no", "differs", "reduced"),
    ])


def test_distances_are_in_units_of_the_tolerance(card):
    d = sf.distances(card).set_index("claim_id")
    # claims and the number without a thesis value left out
    assert list(d.index) == ["A.t.a", "A.t.b", "B.t.a", "B.count.exact", "B.count.miss"]
    assert d.loc["A.t.a", "distance"] == pytest.approx(0.5) and d.loc["A.t.a", "null_distance"] == pytest.approx(80)
    assert d.loc["A.t.b", "distance"] == pytest.approx(-5) and d.loc["A.t.b", "null_distance"] == pytest.approx(0.1)
    assert d.loc["B.t.a", "distance"] == pytest.approx(-3) and math.isnan(d.loc["B.t.a", "null_distance"])
    # tolerance 0 (an exact count): a match is at 0, a miss beyond every plotted distance, on its side
    assert d.loc["B.count.exact", "distance"] == 0 and d.loc["B.count.exact", "null_distance"] == 0
    assert d.loc["B.count.miss", "distance"] == np.inf and d.loc["B.count.miss", "null_distance"] == -np.inf


def test_claims_are_counted_per_study_and_verdict(card):
    counts = sf.claim_counts(card)
    assert list(counts.index) == ["A smvae", "B dsprites_beta"]
    assert counts.loc["A smvae", "replicates"] == 1 and counts.loc["B dsprites_beta", "differs"] == 2
    assert counts.to_numpy().sum() == 3


def test_the_figure_draws_each_number_in_its_verdict_colour(card):
    fig = sf.draw(card)
    numbers, claims = fig.axes[:2]
    dots = [c for c in numbers.collections if len(c.get_offsets()) and c.get_sizes()[0] == sf.DOT]
    xs = np.concatenate([c.get_offsets()[:, 0] for c in dots])
    assert sorted(xs) == pytest.approx([-5, -3, 0, 0.5, sf.CLIP])  # the exact count's miss at the edge
    colours = {tuple(np.round(fc[:3], 3)) for c in dots for fc in c.get_facecolors()}
    assert colours == {tuple(np.round(to_rgb(sf.COLOURS[v]), 3))
                       for v in ("replicates", sc.NOT_INFORMATIVE, "not comparable")}
    assert sum(p.get_width() for p in claims.patches) == 3
    plt.close(fig)


def test_the_headline_counts_thesis_and_reduced_scale_apart(card):
    text = sc.headline_markdown(card)
    lines = text.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("- **A — Scale Mixtures VAE")
    assert "at the thesis's scale: **2** replicates, **1** " + sc.NOT_INFORMATIVE in lines[0]
    assert "at a reduced scale: **2** differs, **3** not comparable, **1** " + sc.NOT_INFORMATIVE in lines[1]
    assert "thesis's" not in lines[1]


def test_the_figure_comes_as_a_png(card):
    data = sf.png(card, "title")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_the_readme_counts_table_counts_each_study_and_scale_apart(card):
    lines = sc.counts_markdown(card).splitlines()
    assert lines[0] == "| study | scale | replicates | differs | not comparable | not informative | at chance |"
    assert lines[2:] == ["| A smvae | thesis | 2 | 0 | 0 | 1 | 0 |", "| B dsprites_beta | reduced | 0 | 2 | 3 | 1 | 0 |"]
