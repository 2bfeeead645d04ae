"""The speed-ups a GPU session switches on from its own benchmark (vaerep.speedups): CUDA graphs only for a study
whose every benchmarked model ran the graph step on CUDA and gained at least the configured factor; the --config
words it prints reach each of the study's training blocks and nothing else."""

import json
import subprocess
import sys

import yaml

from conftest import REPO
from vaerep import speedups
from vaerep.config import load_config, study_settings, with_studies

CFG = {"cuda_graph_min_ratio": 1.2, "cuda_graph_max_gap": 0.01, "train_blocks": {"latent2d": ["train"], "smvae": ["train"],
                                                      "vqvae": ["mnist.train", "vae2d.train"]}}


def bench(device="cuda:0", gap=1e-4, **graph_rows):
    """A benchmark JSON: per study, the CUDA-graph rows' speed-ups (None: the step did not run), each with the
    parameter gap ``gap`` to the eager step's training (None: not checked)."""
    rows = []
    for study, gains in graph_rows.items():
        for i, gain in enumerate(gains):
            rows.append({"study": study, "job": f"m{i}", "variant": "eager", "speedup": 1.0})
            graph = {"speedup": gain} if gain is not None else {"note": "failed: capture"}
            if gain is not None and gap is not None:
                graph["graph_gap"] = gap
            rows.append({"study": study, "job": f"m{i}", "variant": "cuda_graph", **graph})
    return {"environment": {"device": device}, "rows": rows}


def test_graphs_only_where_every_model_gains_enough_on_cuda():
    choice = speedups.choose(bench(latent2d=[1.9, 1.3], smvae=[1.9, 1.1], vqvae=[None]),
                             ["latent2d", "smvae", "vqvae", "dsprites_beta"], CFG)
    assert choice["latent2d"].startswith("cuda_graphs") and "1.30x" in choice["latent2d"]
    assert choice["smvae"] == "eager: graph gain 1.10x < 1.2x"
    assert choice["vqvae"].startswith("eager: the graph step did not run")
    assert choice["dsprites_beta"] == "eager: not benchmarked"
    # the same gains timed on the CPU say nothing about a CUDA graph
    assert speedups.choose(bench("cpu", latent2d=[1.9]), ["latent2d"], CFG)["latent2d"].startswith("eager")


def test_a_graph_that_trains_differently_or_unchecked_stays_eager_however_fast():
    assert speedups.choose(bench(gap=0.3, latent2d=[3.0]), ["latent2d"], CFG)["latent2d"] == (
        "eager: the graph step trains differently from the eager step (parameter gap 0.3 > 0.01)")
    assert "not checked" in speedups.choose(bench(gap=None, latent2d=[3.0]), ["latent2d"], CFG)["latent2d"]
    assert speedups.choose(bench(gap=0.01, latent2d=[3.0]), ["latent2d"], CFG)["latent2d"].startswith("cuda_graphs")


def test_a_gain_exactly_at_the_threshold_switches_graphs_on():
    assert speedups.choose(bench(latent2d=[1.2]), ["latent2d"], CFG)["latent2d"].startswith("cuda_graphs")
    assert speedups.choose(bench(latent2d=[1.19]), ["latent2d"], CFG)["latent2d"].startswith("eager")


def test_the_config_words_set_every_training_block_of_the_study_and_nothing_else():
    words = speedups.config_words({"vqvae": "cuda_graphs: graph gain 2.00x", "smvae": "eager: not benchmarked"},
                                  speedups.settings())
    assert len(words) == 1 and words[0].startswith("vqvae=")
    given = yaml.safe_load(words[0].split("=", 1)[1])  # snakemake reads a --config value as YAML
    config = with_studies(load_config(overrides={"scale": "full", "studies": ["vqvae"], "vqvae": given}))
    base = with_studies(load_config(overrides={"scale": "full", "studies": ["vqvae"]}))
    got, plain = study_settings(config, "vqvae"), study_settings(base, "vqvae")
    for path in speedups.settings()["train_blocks"]["vqvae"]:
        block = got
        for key in path.split("."):
            block = block[key]
        assert block["cuda_graphs"] is True, path
    for block in (got, plain):  # beyond cuda_graphs the settings are the file's
        for path in speedups.settings()["train_blocks"]["vqvae"]:
            node = block
            for key in path.split("."):
                node = node[key]
            node.pop("cuda_graphs", None)
    assert got == plain


def test_every_study_names_its_training_blocks():
    blocks = speedups.settings()["train_blocks"]
    for study in load_config()["studies"]:
        settings = study_settings(with_studies(load_config(overrides={"scale": "full", "studies": [study]})), study)
        for path in blocks[study]:
            node = settings
            for key in path.split("."):
                node = node[key]
            assert "epochs" in node and "batch_size" in node, (study, path)


def test_the_command_prints_nothing_to_add_without_a_benchmark_and_refuses_a_bad_file(tmp_path):
    run = [sys.executable, "-m", "vaerep.speedups"]
    out = subprocess.run([*run, str(tmp_path / "none.json")], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and out.stdout == "" and "every study trains eagerly" in out.stderr
    (tmp_path / "b.json").write_text(json.dumps(bench(latent2d=[2.0], smvae=[1.0])))
    out = subprocess.run([*run, str(tmp_path / "b.json"), "--studies", "latent2d,smvae"], capture_output=True,
                         text=True, cwd=REPO)
    assert out.stdout.splitlines() == ['latent2d={"train": {"cuda_graphs": true}}']
    (tmp_path / "bad.json").write_text("{not json")
    out = subprocess.run([*run, str(tmp_path / "bad.json")], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 1 and "is not the benchmark's JSON" in out.stderr and "Traceback" not in out.stderr
