"""Rule vqvae_vae2d_evaluate: test-set numbers and latent means of one C1 model (the model passes on the GPU when
there is one, as in training)."""
import numpy as np

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.models.vae2d_mnist import build_vae2d
from vaerep.provenance import write_json
from vaerep.train import load_model
from vaerep.vqvae.evaluate import load_mnist
from vaerep.vqvae.vae2d import evaluate_vae2d


def main(smk):
    p = smk.params
    model = load_model(smk.input.model, build_vae2d, pick_device(p.device))
    test_x, test_y = load_mnist(smk.input.data, "test", p.n_test_images, p.subset_seed)
    train_x, train_y = load_mnist(smk.input.data, "train", p.n_train_images, p.subset_seed)
    n_knn = min(p.knn_train_images, len(train_x))
    metrics, arrays = evaluate_vae2d(model, test_x, test_y, train_x[:n_knn], train_y[:n_knn], p.eval_seed, p.knn_k)
    metrics["model"] = smk.wildcards.model
    print({k: v for k, v in metrics.items()})
    write_json(smk.output.metrics, metrics)
    np.savez_compressed(smk.output.latents, **arrays)


scriptio.run(main, snakemake)  # noqa: F821
