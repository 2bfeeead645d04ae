"""Rule smvae_train: one SMVAE variant, one seed, through the shared training loop."""
from pathlib import Path

from vaerep import scriptio
from vaerep.data import cmnist
from vaerep.device import pick_device
from vaerep.models.smvae import build_smvae
from vaerep.smvae.data import load_split
from vaerep.train import TrainSettings, fit


def main(smk):
    spec = {k: smk.params.spec[k] for k in ("mix", "c_dist", "alpha", "kl", "output_clamp") if k in smk.params.spec}
    split = load_split(smk.input[0], "train", smk.params.n_train_images, smk.params.subset_seed)
    device = pick_device(smk.params.device)
    settings = TrainSettings(seed=int(smk.wildcards.seed), **smk.params.train)
    print(f"training {smk.wildcards.variant} seed {settings.seed} on {split['pixels'].shape[0]} images, device {device}")
    fit(build_smvae(spec), [split["pixels"], split["contrast"]], settings, Path(smk.output.model).parent,
        device=device, model_spec=spec, prepare=cmnist.to_float)


scriptio.run(main, snakemake)  # noqa: F821
