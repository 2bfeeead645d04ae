"""The shared training loop: learning, logging, reproducibility, resume and the NaN guard."""

import pandas as pd
import pytest
import torch

from vaerep.errors import PipelineError
from vaerep.models.smvae import build_smvae
from vaerep.train import CHECKPOINT, TrainSettings, fit, load_model


def data(n=256):
    g = torch.Generator().manual_seed(0)
    return (torch.rand(n, 784, generator=g) > 0.7).to(torch.uint8) * 255


def prepare(pixels):
    return pixels.float() / 255


def run(tmp_path, epochs=3, **kw):
    settings = TrainSettings(epochs=epochs, batch_size=32, seed=0, keep_epochs=(1,), **kw)
    return fit(build_smvae({"mix": "none"}), [data()], settings, tmp_path, device=torch.device("cpu"),
               model_spec={"mix": "none"}, prepare=prepare, log=lambda s: None)


def test_fit_learns_logs_and_saves(tmp_path):
    hist = run(tmp_path)
    assert list(hist["epoch"]) == [1, 2, 3]
    assert hist["train_loss"].iloc[-1] < hist["train_loss"].iloc[0]
    assert (hist["samples_per_s"] > 0).all()
    for name in ("model.pt", "history.csv", "train_meta.json", "epoch_1.pt"):
        assert (tmp_path / name).is_file()
    assert not (tmp_path / CHECKPOINT).exists()
    assert pd.read_csv(tmp_path / "history.csv").shape[0] == 3
    model = load_model(tmp_path / "model.pt", build_smvae)
    assert model.mix == "none"


def test_rerun_gives_identical_numbers(tmp_path):
    a = run(tmp_path / "a")
    b = run(tmp_path / "b")
    assert a["train_loss"].tolist() == b["train_loss"].tolist()


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    full = run(tmp_path / "full", epochs=3)
    # Simulate an interruption after epoch 2: keep its checkpoint, then run again to epoch 3.
    part = tmp_path / "part"
    run(part, epochs=2)
    import shutil
    ckpt_src = torch.load(part / "model.pt", weights_only=True)
    assert ckpt_src["epoch"] == 2
    # re-create a checkpoint as fit leaves it mid-run, by running 2 epochs and stopping before cleanup
    settings = TrainSettings(epochs=3, batch_size=32, seed=0, keep_epochs=(1,))
    interrupted = tmp_path / "interrupted"
    calls = []

    def stop_after_two(line):
        calls.append(line)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(build_smvae({"mix": "none"}), [data()], settings, interrupted, device=torch.device("cpu"),
            model_spec={"mix": "none"}, prepare=prepare, log=stop_after_two)
    # the epoch-2 log line is printed before its checkpoint is written: epoch 1 is on disk
    assert (interrupted / CHECKPOINT).is_file()
    lines = []
    resumed = fit(build_smvae({"mix": "none"}), [data()], settings, interrupted, device=torch.device("cpu"),
                  model_spec={"mix": "none"}, prepare=prepare, log=lines.append)
    assert lines[0].startswith("resuming")
    assert [line.split()[0] for line in lines[1:]] == ["epoch=1", "epoch=2", "epoch=3"]  # epoch 1 from the checkpoint
    assert lines[1] == calls[0]  # the very line logged before the interruption
    assert resumed["train_loss"].tolist() == pytest.approx(full["train_loss"].tolist(), rel=1e-6)
    shutil.rmtree(part)


def test_run_stopped_mid_epoch_resumes_to_bit_identical_weights_and_history(tmp_path):
    settings = TrainSettings(epochs=4, batch_size=32, seed=0, check_every=3)

    def train(folder, prep=prepare):
        return fit(build_smvae({"mix": "none"}), [data()], settings, folder, device=torch.device("cpu"),
                   model_spec={"mix": "none"}, prepare=prep, val=[data(64)], log=lambda s: None)

    whole = train(tmp_path / "whole")
    calls = []

    def stop_in_epoch_three(pixels):
        calls.append(1)
        if len(calls) == 2 * (8 + 1) + 3:  # two epochs of 8 steps and a validation pass, then 3 more steps
            raise KeyboardInterrupt
        return prepare(pixels)

    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "cut", stop_in_epoch_three)
    assert torch.load(tmp_path / "cut" / CHECKPOINT, weights_only=True)["epoch"] == 2
    resumed = train(tmp_path / "cut")
    timing = ["seconds", "samples_per_s"]
    pd.testing.assert_frame_equal(resumed.drop(columns=timing), whole.drop(columns=timing), check_exact=True)
    a, b = (torch.load(tmp_path / run / "model.pt", weights_only=True)["model"] for run in ("whole", "cut"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_nan_loss_stops_with_epoch_step_and_terms(tmp_path):
    bad = data().float()
    bad[100] = float("nan")
    settings = TrainSettings(epochs=2, batch_size=32, seed=0, check_every=3)
    with pytest.raises(PipelineError, match=r"non-finite loss at epoch 1, step \d+ .*loss=nan.*rec=nan"):
        fit(build_smvae({"mix": "none"}), [bad], settings, tmp_path, device=torch.device("cpu"),
            model_spec={"mix": "none"}, log=lambda s: None)


class _Planted:
    """Unpickles as ``open(target, 'w')``: loading it with weights_only=False creates ``target``."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_planted_checkpoint_runs_no_code_and_stops_the_run(tmp_path):
    target = tmp_path / "pwned.txt"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    torch.save({"fingerprint": "x", "epoch": 1, "model": _Planted(target)}, run_dir / CHECKPOINT)
    lines = []
    with pytest.raises(PipelineError, match=r"checkpoint '.*checkpoint.pt' cannot be loaded safely \(weights only\): "
                                            r"it asks to run the Python object \S*open"):
        fit(build_smvae({"mix": "none"}), [data()], TrainSettings(epochs=1, batch_size=32), run_dir,
            device=torch.device("cpu"), model_spec={"mix": "none"}, prepare=prepare, log=lines.append)
    assert not target.exists()
    assert not any("ignoring" in line for line in lines)
    assert (run_dir / CHECKPOINT).is_file() and not (run_dir / "model.pt").exists()


def test_truncated_checkpoint_is_named(tmp_path):
    run(tmp_path / "a", epochs=1)
    blob = (tmp_path / "a" / "model.pt").read_bytes()  # a real file of fit's, cut short
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / CHECKPOINT).write_bytes(blob[: len(blob) // 2])
    with pytest.raises(PipelineError, match="cannot be loaded safely .*RuntimeError"):
        run(tmp_path / "b", epochs=1)


def test_cuda_graph_switch_falls_back_to_the_exact_eager_numbers_on_cpu(tmp_path):
    lines = []
    eager = run(tmp_path / "eager")
    settings = TrainSettings(epochs=3, batch_size=32, seed=0, keep_epochs=(1,), cuda_graphs=True)
    graphs = fit(build_smvae({"mix": "none"}), [data()], settings, tmp_path / "graphs", device=torch.device("cpu"),
                 model_spec={"mix": "none"}, prepare=prepare, log=lines.append)
    columns = [c for c in eager.columns if c.startswith(("train_", "epoch"))]
    pd.testing.assert_frame_equal(eager[columns], graphs[columns])
    a = torch.load(tmp_path / "eager" / "model.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "graphs" / "model.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any("cuda_graphs: needs CUDA; training eagerly" in line for line in lines)


def test_cuda_graph_switch_off_keeps_the_checkpoint_fingerprint():
    base = TrainSettings(epochs=3, batch_size=32)
    assert base.fingerprint({}, 10) == TrainSettings(epochs=3, batch_size=32, cuda_graphs=False).fingerprint({}, 10)
    assert base.fingerprint({}, 10) != TrainSettings(epochs=3, batch_size=32, cuda_graphs=True).fingerprint({}, 10)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_step_trains_like_the_eager_step(tmp_path):  # pragma: no cover - GPU only
    def train(folder, graphs):
        settings = TrainSettings(epochs=2, batch_size=32, seed=0, cuda_graphs=graphs)
        return fit(build_smvae({"mix": "none"}), [data(250)], settings, folder, device=torch.device("cuda"),
                   model_spec={"mix": "none"}, prepare=prepare, log=lambda s: None)

    eager, graphs = train(tmp_path / "eager", False), train(tmp_path / "graphs", True)
    assert (graphs["train_loss"] - eager["train_loss"]).abs().max() < 1e-3 * eager["train_loss"].abs().max()
    import json
    assert json.loads((tmp_path / "graphs" / "train_meta.json").read_text())["cuda_graphs_used"] is True
