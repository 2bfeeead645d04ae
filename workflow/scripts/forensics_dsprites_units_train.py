"""Rule forensics_dsprites_units_train: a short beta-VAE run with one candidate loss convention (Table 2.3)."""
from pathlib import Path

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.models.beta_vae import build_beta_vae, to_float
from vaerep.train import TrainSettings, fit


def main(smk):
    tensors, _ = dsprites_data.load(smk.input[0])
    spec = {"beta": float(smk.wildcards.beta), **smk.params.model, "loss_convention": smk.wildcards.convention}
    train = tensors["train_imgs"][: smk.params.n_train]
    settings = TrainSettings(**smk.params.train)
    print(f"convention {spec['loss_convention']}, beta {spec['beta']:g}: {len(train)} training images")
    fit(build_beta_vae(spec), [train], settings, Path(smk.output.model).parent, device=pick_device(smk.params.device),
        model_spec=spec, prepare=to_float, val=[tensors["val_imgs"]])


scriptio.run(main, snakemake)  # noqa: F821
