"""Rule dsprites_beta_train: the beta-VAE for one beta through the shared training loop."""
from pathlib import Path

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.models.beta_vae import build_beta_vae, param_counts, to_float
from vaerep.train import TrainSettings, fit


def main(smk):
    tensors, meta = dsprites_data.load(smk.input[0])
    spec = {"beta": float(smk.wildcards.beta), **smk.params.model}
    model = build_beta_vae(spec)
    device = pick_device(smk.params.device)
    settings = TrainSettings(**smk.params.train)
    print(f"beta {spec['beta']:g}: {tensors['train_imgs'].shape[0]} training / {tensors['val_imgs'].shape[0]} "
          f"validation images ({meta['source']} source), device {device}, parameters {param_counts(model)}")
    fit(model, [tensors["train_imgs"]], settings, Path(smk.output.model).parent, device=device,
        model_spec=spec, prepare=to_float, val=[tensors["val_imgs"]])


scriptio.run(main, snakemake)  # noqa: F821
