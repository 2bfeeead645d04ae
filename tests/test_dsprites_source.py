"""Where dSprites comes from: a file the user names must be the official one (structure and MD5), and
``source: auto`` falls back to the procedural generator only when no file was named."""

import hashlib
import re

import numpy as np
import pytest

from vaerep.data import dsprites
from vaerep.errors import PipelineError

UNREACHABLE = "file:///nonexistent/dsprites.npz"  # a download that fails without touching the network


@pytest.fixture
def small_grid(monkeypatch):
    """Shrink the factor grid to 1 x 3 x 2 x 2 x 2 x 2 so that a structurally valid file is tiny."""
    sizes = (1, 3, 2, 2, 2, 2)
    monkeypatch.setattr(dsprites, "SIZES", sizes)
    monkeypatch.setattr(dsprites, "N_IMAGES", int(np.prod(sizes)))
    return sizes


def write_grid(path, n):
    values, classes = dsprites.latents()
    imgs = (np.arange(n * 64 * 64).reshape(n, 64, 64) % 3 == 0).astype(np.uint8)
    np.savez(path, imgs=imgs, latents_values=values, latents_classes=classes)
    return path


@pytest.mark.parametrize("how", ["config", "env"])
def test_a_named_corrupt_file_stops_auto(tmp_path, monkeypatch, how):
    bad = tmp_path / "dsprites.npz"
    write_grid(bad, 5)
    bad.write_bytes(bad.read_bytes()[:200])  # truncated
    monkeypatch.delenv("DSPRITES_PATH", raising=False)
    if how == "env":
        monkeypatch.setenv("DSPRITES_PATH", str(bad))
    where = "the environment variable DSPRITES_PATH" if how == "env" else "config key dsprites_beta.data.path"
    with pytest.raises(PipelineError, match=rf"'{re.escape(str(bad))}' is not a readable dSprites npz .*"
                                            rf"\(file from {where}\)\. Fix or unset it"):
        dsprites.Source("auto", path=str(bad) if how == "config" else None, url=UNREACHABLE, download_root=tmp_path)


def test_a_named_missing_file_stops_auto(tmp_path, monkeypatch):
    monkeypatch.delenv("DSPRITES_PATH", raising=False)
    with pytest.raises(PipelineError, match="does not exist"):
        dsprites.Source("auto", path=str(tmp_path / "nowhere.npz"), url=UNREACHABLE, download_root=tmp_path)


def test_auto_without_a_named_file_falls_back_and_says_why(tmp_path, monkeypatch):
    monkeypatch.delenv("DSPRITES_PATH", raising=False)
    lines = []
    src = dsprites.Source("auto", path=None, url=UNREACHABLE, download_root=tmp_path, log=lines.append)
    assert src.name == "procedural"
    assert "could not download dSprites" in src.meta["official_error"]
    assert any("using the procedural generator" in line for line in lines)


def test_a_file_with_the_official_structure_but_other_bytes_is_refused(tmp_path, monkeypatch, small_grid):
    monkeypatch.delenv("DSPRITES_PATH", raising=False)
    path = write_grid(tmp_path / "grid.npz", dsprites.N_IMAGES)
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    with pytest.raises(PipelineError, match=f"its MD5 is {md5}, the official file's is {dsprites.OFFICIAL_MD5}"):
        dsprites.Source("auto", path=str(path), url=None)
    # the same file with the reference digest set to its own: accepted, both digests in the provenance
    monkeypatch.setattr(dsprites, "OFFICIAL_MD5", md5)
    src = dsprites.Source("auto", path=str(path), url=None)
    assert src.name == "official"
    assert src.meta["md5"] == src.meta["md5_reference"] == md5
    assert src.meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert src.images([7]).shape == (1, 64, 64)


def test_naming_a_dsprites_file_reruns_the_data_rule(tmp_path):
    """The data source is a tracked setting: after the procedural data exist, naming a file (env DSPRITES_PATH)
    plans the dSprites data rule again, and unsetting it plans nothing."""
    import os

    from conftest import run_snakemake as smk

    target = ["results/smoke/dsprites_beta/data_meta.json", "--config", "scale=smoke", "studies=[dsprites_beta]"]
    env = {k: v for k, v in os.environ.items() if k != "DSPRITES_PATH"}
    env["VAEREP_PLAN_SAMPLES_PER_S"] = "1e12"
    made = smk(["--cores", "1", *target], tmp_path, env=env, timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    assert smk(["-n", *target], tmp_path, env=env).stdout.count("dsprites_beta_data") == 0
    named = smk(["-n", *target], tmp_path, env={**env, "DSPRITES_PATH": str(tmp_path / "official.npz")})
    assert named.returncode == 0, named.stderr[-3000:]
    assert re.search(r"^dsprites_beta_data\s+1$", named.stdout, re.M), named.stdout[-3000:]
