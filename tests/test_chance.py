"""Chance levels behind claim thresholds (vaerep.chance, benchmarks/derive_thresholds.py), and the dSprites
generator's orientation factor."""

import pytest
import torch
import yaml

from vaerep.chance import direction_knn_random, neighbour_pass_rate
from vaerep.config import CONFIG_DIR
from vaerep.data import dsprites as ds


def _claims(study):
    return yaml.safe_load((CONFIG_DIR / f"{study}.yaml").read_text())[study]["claims"]


def test_neighbour_chance_in_config_is_what_random_layouts_give():
    """The chance level printed next to Study D's neighbour claims is the measured pass rate of random layouts
    at the configured rank (binomial sd at 3,000 draws: 0.007)."""
    thr = _claims("latent2d")
    rate = neighbour_pass_rate((4, 9), thr["neighbour_rank"], draws=3000, seed=1)
    assert rate == pytest.approx(thr["neighbour_chance"], abs=0.03)
    assert neighbour_pass_rate((4, 9), 2, draws=3000, seed=1) > 0.25  # the former rank: about 30 %


def test_neighbour_pass_rate_known_layouts():
    """Every pair passes at rank 9 (every other class is within 9); rank 1 passes fewer than rank 2."""
    assert neighbour_pass_rate((4, 9), 9, draws=50) == 1.0
    assert neighbour_pass_rate((4, 9), 1, draws=500) < neighbour_pass_rate((4, 9), 2, draws=500)


def test_direction_knn_threshold_is_above_random_codes():
    """Random codes read the digit at chance (0.1); the threshold lies many of their spreads above."""
    rnd = direction_knn_random(400, [0.2, 0.5, 0.8, 1.0], draws=4)
    assert rnd.mean() == pytest.approx(0.1, abs=0.03)
    assert _claims("smvae")["direction_knn"] > rnd.mean() + 5 * max(rnd.std(), 0.01)


def test_dsprites_orientation_index_turns_the_sprite():
    """Rows that differ only in the orientation index give different images for a heart (no symmetry) at
    every angle strictly between 0 and 2 pi; the last index (2 pi) repeats the first, as in the official file."""
    scale, pos = 5, (16, 16)
    rows = ds.index_of(torch.tensor([[0, 2, scale, o, *pos] for o in range(40)]))
    imgs = ds.generate(rows).to(torch.int16)
    changed = (imgs[1:] - imgs[0]).abs().flatten(1).sum(1)
    assert (changed[:-1] > 0).all() and changed[-1] == 0
    assert changed[19] > 0.2 * imgs[0].sum()  # turned by about pi: a large part of the heart moves
    # each image is the sprite drawn at its angle, placed at its centre
    angle = ds.factor_values()[3][10]
    patch = ds.draw(2, ds.factor_values()[2][scale], [angle])[0]
    c = int(ds._centres()[pos[0]])
    half = ds.PATCH // 2
    assert torch.equal(imgs[10][c - half:c + half, c - half:c + half].to(torch.uint8), patch)
