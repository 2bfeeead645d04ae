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


def _cut_run(folder, seconds, size):
    folder.mkdir(parents=True)
    (folder / CHECKPOINT).write_bytes(b"x" * size)
    (folder / "history.csv").write_text("epoch,seconds\n" + "".join(f"{i},{s}\n" for i, s in enumerate(seconds, 1)))


def test_the_archive_keeps_within_its_budget_the_most_training_per_byte_and_seed_members_together(tmp_path):
    res = tmp_path / "results" / "full"
    _cut_run(res / "latent2d/runs/canonical", [100, 100], 2_000)  # 0.1 s per byte
    _cut_run(res / "latent2d/runs/literal", [50], 2_000)  # 0.025 s per byte
    for seed in range(3):  # members of one batched run: 300 s in 3,000 bytes, all or none
        _cut_run(res / f"smvae/runs/standard/seed{seed}", [100], 1_000)
    _cut_run(res / "dsprites_beta/runs/beta5", [1000], 9_000)  # 0.11 s per byte, but over the budget with the rest
    groups = gpu_window.units(gpu_window.in_progress(tmp_path, "full"))
    assert sorted(len(v) for v in groups.values()) == [1, 1, 1, 3]
    left_out = []
    names = gpu_window.pack(tmp_path, "full", tmp_path / "r.tar.gz", max_bytes=6_000, log=left_out.append)
    assert sorted(names) == sorted([f"results/full/latent2d/runs/canonical/{CHECKPOINT}",
                                    *(f"results/full/smvae/runs/standard/seed{s}/{CHECKPOINT}" for s in range(3))])
    assert [line.split(" left out")[0] for line in left_out] == ["resume: results/full/dsprites_beta/runs/beta5",
                                                                 "resume: results/full/latent2d/runs/literal"]
    with tarfile.open(tmp_path / "r.tar.gz") as tar:
        assert sorted(tar.getnames()) == sorted(names)


def test_a_missing_or_damaged_archive_is_named(tmp_path):
    for archive in (tmp_path / "none.tar.gz", tmp_path / "bad.tar.gz"):
        if archive.name == "bad.tar.gz":
            archive.write_bytes(b"not a tar archive")
        with pytest.raises(PipelineError, match=f"cannot read the resume archive {archive}"):
            gpu_window.unpack(tmp_path / "run", archive)
