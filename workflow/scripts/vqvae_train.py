"""Rule vqvae_train_mnist: the MNIST VQ-VAE (C2) through the shared training loop."""
from pathlib import Path

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.models.vqvae import build_vqvae
from vaerep.train import TrainSettings, fit
from vaerep.vqvae.evaluate import load_mnist, mnist_to_float


def main(smk):
    images, _ = load_mnist(smk.input[0], "train", smk.params.n_train_images, smk.params.subset_seed)
    device = pick_device(smk.params.device)
    spec = dict(smk.params.model)
    settings = TrainSettings(**smk.params.train)
    print(f"training the MNIST VQ-VAE on {len(images)} images, device {device}, spec {spec}")
    fit(build_vqvae(spec), [images], settings, Path(smk.output.model).parent, device=device, model_spec=spec,
        prepare=mnist_to_float)


scriptio.run(main, snakemake)  # noqa: F821
