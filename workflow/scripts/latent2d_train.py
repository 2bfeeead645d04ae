"""Rule latent2d_train: one Study D variant through the shared training loop."""
from pathlib import Path

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.errors import PipelineError
from vaerep.latent2d.data import load_split
from vaerep.models.conv2d_vae import build_conv2d_vae, to_float
from vaerep.train import TrainSettings, fit


def main(smk):
    spec = dict(smk.params.model)
    train = dict(smk.params.train)
    bad = [e for e in train.get("keep_epochs", []) if e > train["epochs"]]
    if bad:
        raise PipelineError(f"keep_epochs {bad} of variant '{smk.wildcards.variant}' exceed its {train['epochs']} epochs")
    split = load_split(smk.input[0], "train", smk.params.n_train_images, smk.params.subset_seed)
    device = pick_device(smk.params.device)
    settings = TrainSettings(**train)
    model = build_conv2d_vae(spec)
    print(f"training {smk.wildcards.variant} on {split['images'].shape[0]} images for {settings.epochs} epochs, "
          f"device {device}, parameters {model.param_counts()}")
    fit(model, [split["images"]], settings, Path(smk.output.model).parent, device=device, model_spec=spec,
        prepare=to_float)


scriptio.run(main, snakemake)  # noqa: F821
