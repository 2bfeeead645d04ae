"""Device choice: CPU fallback, env override, and one GPU per concurrent job on a multi-GPU machine."""

import pytest
import torch

from vaerep import device as dev
from vaerep.errors import PipelineError


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    monkeypatch.delenv("VAEREP_DEVICE", raising=False)
    monkeypatch.setenv("VAEREP_GPU_LOCK_DIR", str(tmp_path))
    yield
    dev.release_gpus()


def test_claims_take_distinct_gpus_until_released(tmp_path):
    assert [dev.claim_gpu(3), dev.claim_gpu(3), dev.claim_gpu(3)] == [0, 1, 2]
    assert dev.claim_gpu(3) is None  # every GPU held
    dev.release_gpus()
    assert dev.claim_gpu(3) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"vaerep-gpu{i}.lock" for i in range(3)]


def test_auto_spreads_jobs_over_several_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert dev.pick_device("auto") == torch.device("cuda:0")
    assert dev.pick_device("auto") == torch.device("cuda:1")  # the first claim is still held
    assert dev.pick_device("auto").type == "cuda"  # more jobs than GPUs: shares one


def test_auto_single_gpu_and_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert dev.pick_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.pick_device("auto") == torch.device("cpu")
    monkeypatch.setenv("VAEREP_DEVICE", "cpu")
    assert dev.pick_device("cuda") == torch.device("cpu")  # the environment wins over config
    monkeypatch.setenv("VAEREP_DEVICE", "cuda:1")
    with pytest.raises(PipelineError, match="CUDA is not available"):
        dev.pick_device("auto")


def test_device_kind_needs_no_torch_without_a_driver_and_never_claims_a_gpu(monkeypatch, tmp_path):
    """The time plan's question 'which kind of device?' is answered from the driver's device nodes when none
    exists, and on a GPU machine it takes no GPU claim away from the training jobs."""
    monkeypatch.setattr(dev, "GPU_DRIVER_NODES", (str(tmp_path / "no-such-node"),))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: pytest.fail("torch asked although no driver exists"))
    assert dev.device_kind("auto") == "cpu"
    node = tmp_path / "nvidiactl"
    node.touch()
    monkeypatch.setattr(dev, "GPU_DRIVER_NODES", (str(node),))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.device_kind("auto") == "cpu"  # a driver without a usable GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert dev.device_kind("auto") == "cuda"
    assert not list(tmp_path.glob("vaerep-gpu*.lock"))  # no claim taken
    monkeypatch.setenv("VAEREP_DEVICE", "cpu")
    assert dev.device_kind("cuda") == "cpu"  # the environment wins
    monkeypatch.setenv("VAEREP_DEVICE", "cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(PipelineError, match="CUDA is not available"):
        dev.device_kind("auto")


def test_a_cpu_run_names_the_cpu_model(tmp_path):
    import platform

    from vaerep.provenance import cpu_name, environment

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core Processor\n"
                    "processor\t: 1\nmodel name\t: AMD EPYC 9654 96-Core Processor\n")
    assert cpu_name(info) == "AMD EPYC 9654 96-Core Processor"
    assert cpu_name(tmp_path / "missing") == (platform.processor() or platform.machine())
    assert environment("cpu")["device_name"] == cpu_name()


def test_model_device_is_where_the_parameters_live():
    import torch

    from vaerep.device import model_device

    assert model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(torch.nn.Linear(2, 2, device="meta")) == torch.device("meta")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters: the CPU
