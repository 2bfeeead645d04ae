"""Rule smvae_train: one SMVAE variant through the shared training loop, one seed (wildcard) or, with
``smvae.batch_seeds``, all of the variant's seeds (params.seeds) as one seed-batched model."""
from pathlib import Path

from vaerep import scriptio
from vaerep.data import cmnist
from vaerep.device import pick_device
from vaerep.ensemble import Ensemble
from vaerep.models.smvae import build_smvae
from vaerep.smvae import model_spec
from vaerep.smvae.data import load_split
from vaerep.train import TrainSettings, fit


def main(smk):
    spec = model_spec(smk.params.spec)
    split = load_split(smk.input[0], "train", smk.params.n_train_images, smk.params.subset_seed)
    device = pick_device(smk.params.device)
    seeds = list(smk.params.get("seeds") or [int(smk.wildcards.seed)])
    settings = TrainSettings(seed=seeds[0], **smk.params.train)
    print(f"training {smk.wildcards.variant} seed(s) {seeds} on {split['pixels'].shape[0]} images, device {device}")
    model = Ensemble(build_smvae, spec, seeds) if len(seeds) > 1 else build_smvae(spec)
    files = [smk.output.model] if isinstance(smk.output.model, str) else list(smk.output.model)
    out = [Path(f).parent for f in files] if len(seeds) > 1 else Path(files[0]).parent
    fit(model, [split["pixels"], split["contrast"]], settings, out, device=device, model_spec=spec,
        prepare=cmnist.to_float)


scriptio.run(main, snakemake)  # noqa: F821
