"""What a GPU window stopped by its time limit carries to the next (vaerep.gpu_window): the training runs it cut short
are packed and, unpacked into another machine's run folder, resume to the numbers of an uninterrupted run; a
finished run is not packed; an archive with anything but resume files under results/ is refused."""

import io
import tarfile

import pytest
import torch

from vaerep import gpu_window
from vaerep.errors import PipelineError
from vaerep.models.smvae import build_smvae
from vaerep.train import CHECKPOINT, TrainSettings, fit

RUN = "results/smoke/smvae/runs/standard/seed0"
DONE = "results/smoke/smvae/runs/pre_normal/seed0"


def _data():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(256, 784, generator=g) > 0.7).to(torch.uint8) * 255


def _fit(folder, log=lambda s: None):
    settings = TrainSettings(epochs=3, batch_size=32, seed=0, keep_epochs=(1,))
    return fit(build_smvae({"mix": "none"}), [_data()], settings, folder, device=torch.device("cpu"),
               model_spec={"mix": "none"}, prepare=lambda p: p.float() / 255, log=log)


def test_a_cut_short_run_packed_on_one_machine_resumes_on_another_to_the_uninterrupted_numbers(tmp_path):
    whole = _fit(tmp_path / "whole")
    first, second = tmp_path / "window1", tmp_path / "window2"
    _fit(first / DONE)  # finished: model.pt written, checkpoint removed
    (first / DONE / CHECKPOINT).write_bytes(b"stale")  # even with a checkpoint beside it, a finished run stays

    def stop_in_epoch_3(line):
        if line.startswith("epoch=2"):
            raise KeyboardInterrupt  # the window's time limit

    with pytest.raises(KeyboardInterrupt):
        _fit(first / RUN, log=stop_in_epoch_3)
    assert gpu_window.in_progress(first, "smoke") == [first / RUN / CHECKPOINT, first / RUN / "epoch_1.pt"]
    archive = tmp_path / "resume.tar.gz"
    assert gpu_window.pack(first, "smoke", archive) == [f"{RUN}/{CHECKPOINT}", f"{RUN}/epoch_1.pt"]
    assert gpu_window.unpack(second, archive) == [f"{RUN}/{CHECKPOINT}", f"{RUN}/epoch_1.pt"]
    lines = []
    resumed = _fit(second / RUN, log=lines.append)
    assert lines[0].startswith("resuming") and [line.split()[0] for line in lines[1:]] == ["epoch=1", "epoch=2",
                                                                                           "epoch=3"]
    assert resumed["train_loss"].tolist() == pytest.approx(whole["train_loss"].tolist(), rel=1e-6)
    assert gpu_window.pack(second, "smoke", tmp_path / "none.tar.gz") == []  # finished now: nothing to carry
    assert not (tmp_path / "none.tar.gz").exists()


@pytest.mark.parametrize("name", ["results/x/model.pt", "data/mnist.pt", "../results/x/checkpoint.pt",
                                  "/results/x/checkpoint.pt", "results/x/epoch_1.json"])
def test_an_archive_holding_anything_but_resume_files_is_refused(tmp_path, name):
    archive = tmp_path / "resume.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = 4
        tar.addfile(info, io.BytesIO(b"data"))
    with pytest.raises(PipelineError, match="not a training run's resume file"):
        gpu_window.unpack(tmp_path / "run", archive)
    assert not (tmp_path / "run").exists()


def test_a_study_whose_dry_run_fails_is_not_finished_and_the_others_are_still_judged(monkeypatch, capsys):
    left = {"smvae": {"scorecard": 1, "forensics": 1}, "vqvae": {"vqvae_train_mnist": 1, "scorecard": 1}}

    def pending(run_root, scale, study, words=()):
        if study == "latent2d":
            raise PipelineError("a dry run of latent2d failed: IncompleteFilesException")
        return left[study]

    monkeypatch.setattr(gpu_window, "pending", pending)
    assert gpu_window.finished("run", "full", ["smvae", "latent2d", "vqvae"]) == ["smvae"]
    assert "a dry run of latent2d failed" in capsys.readouterr().err
