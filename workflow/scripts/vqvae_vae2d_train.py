"""Rule vqvae_vae2d_train: one C1 2-D VAE through the shared training loop (test terms logged per epoch)."""
from pathlib import Path

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.models.vae2d_mnist import build_vae2d
from vaerep.train import TrainSettings, fit
from vaerep.vqvae.evaluate import load_mnist, mnist_to_float


def main(smk):
    p = smk.params
    train, _ = load_mnist(smk.input[0], "train", p.n_train_images, p.subset_seed)
    test, _ = load_mnist(smk.input[0], "test", p.n_test_images, p.subset_seed)
    device = pick_device(p.device)
    spec = dict(p.model)
    model = build_vae2d(spec)
    print(f"training C1 model {smk.wildcards.model} on {len(train)} images (test curve on {len(test)}), "
          f"device {device}, spec {spec}, {model.param_count():,} parameters")
    settings = TrainSettings(**p.train)
    fit(model, [train], settings, Path(smk.output.model).parent, device=device, model_spec=spec,
        prepare=mnist_to_float, val=[test])


scriptio.run(main, snakemake)  # noqa: F821
