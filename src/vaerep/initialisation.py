"""Parameter initialisation from a seed, shared by the training loop and seed-batched ensembles."""

import torch


def init_parameters(model: torch.nn.Module, seed: int) -> None:
    """(Re)initialise every parameter from ``seed``, whenever and wherever the model was built: each
    module's ``reset_parameters``, then the model's own ``init_weights`` if it has one."""
    torch.manual_seed(seed)
    for module in model.modules():
        if module is not model and hasattr(module, "reset_parameters"):
            module.reset_parameters()
    if hasattr(model, "init_weights"):
        model.init_weights()
