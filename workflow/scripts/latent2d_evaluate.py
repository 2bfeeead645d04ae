"""Rule latent2d_evaluate: numbers of every kept checkpoint of one Study D variant (the model passes on the GPU
when there is one, as in training)."""
from pathlib import Path

import numpy as np
import torch

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.latent2d import evaluate as ev
from vaerep.latent2d.data import load_split
from vaerep.models.conv2d_vae import build_conv2d_vae
from vaerep.provenance import environment, write_json
from vaerep.train import load_model


def checkpoint_paths(run_dir: Path, train: dict) -> dict[int, Path]:
    """Epoch -> model file: epoch_N.pt for the kept epochs, model.pt for the last epoch."""
    epochs = sorted(set(train.get("keep_epochs", [])) | {train["epochs"]})
    return {e: run_dir / ("model.pt" if e == train["epochs"] else f"epoch_{e}.pt") for e in epochs}


def main(smk):
    p = smk.params
    device = pick_device(p.device)
    run_dir = Path(smk.input.model).parent
    test = load_split(smk.input.data, "test", p.n_test_images, p.subset_seed)
    train = load_split(smk.input.data, "train", p.n_train_images, p.subset_seed)
    n_knn = train["images"].shape[0] if p.knn_train_images is None else min(p.knn_train_images, train["images"].shape[0])
    pick = torch.randperm(train["images"].shape[0], generator=torch.Generator().manual_seed(p.subset_seed))[:n_knn]
    knn_x, knn_y = train["images"][pick], train["labels"][pick].numpy()
    y_test = test["labels"].numpy()
    arrays = {"labels": y_test}
    rows = []
    for epoch, path in checkpoint_paths(run_dir, p.train).items():
        model = load_model(path, build_conv2d_vae, device)
        terms = ev.test_terms(model, test["images"], p.eval_seed)
        z_test = ev.latent_means(model, test["images"])
        acc = ev.knn_accuracy(ev.latent_means(model, knn_x), knn_y, z_test, y_test, p.knn_k)
        cn = ev.centroid_neighbours(z_test, y_test)
        arrays[f"z_epoch{epoch}"] = z_test
        rows.append({"epoch": epoch, **{f"test_{k}": v for k, v in terms.items()}, "knn_accuracy": acc,
                     "classes": cn["classes"], "centroid_distance": cn["distance"], "neighbours": cn["neighbours"],
                     "nearest_pairs": ev.nearest_pairs(cn["neighbours"])})
        print(f"epoch {epoch}: test -ELBO {terms['neg_elbo']:.2f} (rec {terms['rec']:.2f}, KL {terms['kl']:.2f}), "
              f"{p.knn_k}-NN accuracy {acc:.3f}")
    epochs = [r["epoch"] for r in rows]
    final = load_model(run_dir / "model.pt", build_conv2d_vae, device)
    z_final = arrays[f"z_epoch{epochs[-1]}"]
    cent = {c: z_final[y_test == c].mean(0) for c in np.unique(y_test)}
    transitions = []
    for a, b in p.transition_pairs:
        if a in cent and b in cent:
            path = ev.path_smoothness(final, cent[a], cent[b], p.path_steps)
            span = path["path_length"] / max(ev.class_mean_distance(test["images"], y_test, a, b), 1e-12)
            transitions.append({"from": a, "to": b, "start": cent[a].tolist(), "end": cent[b].tolist(), **path,
                                "span": span})
    # one kept epoch (a null control's initialisation): its layout against itself, as for its other
    # two-checkpoint measures (vaerep.latent2d.claims)
    reflection = ev.reflection(arrays[f"z_epoch{epochs[-2]}"] if len(epochs) > 1 else z_final, z_final)
    metrics = {
        "variant": smk.wildcards.variant, "epochs": epochs, "checkpoints": rows,
        "n_test": int(len(y_test)), "n_knn_train": int(n_knn), "knn_k": p.knn_k,
        "transitions": transitions,
        "sharpness_ratio": ev.sharpness_ratio(final, test["images"][:1000]),
        "digit_kept": ev.digit_kept(final, test["images"][:1000], y_test[:1000], knn_x, knn_y, p.knn_k),
        "reflection_penultimate_final": reflection,
        "environment": environment(device),
    }
    np.savez_compressed(smk.output.latents, **arrays)
    write_json(smk.output.metrics, metrics)


scriptio.run(main, snakemake)  # noqa: F821
