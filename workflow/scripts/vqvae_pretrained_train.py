"""Rule vqvae_pretrained_train_substitute: the C4 substitute VQ-VAE on random crops of offline photos."""
from pathlib import Path

from vaerep import scriptio
from vaerep.data.photos import random_crops
from vaerep.device import pick_device
from vaerep.errors import PipelineError
from vaerep.models.vqvae import build_vqvae
from vaerep.train import TrainSettings, fit


def to_float(x):
    return x.float().div_(255.0)


def main(smk):
    s = smk.params.sub
    leaked = sorted(set(s["train_photos"]) & set(smk.params.held_out))
    if leaked:
        raise PipelineError(f"figure photos {leaked} are also training photos of the substitute; hold them out")
    crops = random_crops(s["train_photos"], s["n_crops"], s["crop"], s["short_side"], s["crop_seed"])
    device = pick_device(smk.params.device)
    spec = dict(s["model"])
    print(f"substitute VQ-VAE: {len(crops)} crops {s['crop']}px of {s['train_photos']} "
          f"(held out: {smk.params.held_out}), device {device}, spec {spec}")
    fit(build_vqvae(spec), [crops], TrainSettings(**s["train"]), Path(smk.output.model).parent, device=device,
        model_spec=spec, prepare=to_float)


scriptio.run(main, snakemake)  # noqa: F821
