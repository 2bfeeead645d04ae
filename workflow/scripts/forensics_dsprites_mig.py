"""Rule forensics_dsprites_mig: MIG of every trained beta model and of its untrained null model under each
estimator/protocol hypothesis."""
import json

from vaerep import scriptio
from vaerep.data import dsprites
from vaerep.device import pick_device
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.forensics import mig_protocols as P
from vaerep.models.beta_vae import build_beta_vae
from vaerep.train import load_model


def main(smk):
    p = smk.params
    cfg = p.mig
    if smk.input.grid:
        source = dsprites_data.CachedGrid(smk.input.grid[0])
    else:
        source = dsprites.Source(p.data["source"], p.data.get("path"), p.data.get("url"), p.download_root)
    device = pick_device(p.device)
    images = {}  # (order, n) -> the images, shared by the trained and the null models
    for which, paths in (("trained", smk.input.models), ("null", smk.input.null_models)):
        models = {beta: load_model(path, build_beta_vae, device) for beta, path in zip(p.betas, paths)}
        out = scores(models, cfg, source, images, p.bins, device)
        json.dump(out, open(getattr(smk.output, which), "w"), indent=1)


def scores(models: dict, cfg: dict, source, images: dict, bins: int, device) -> dict:
    """{protocol: {beta: per-factor and overall MIG}} of the models under every protocol."""
    posteriors, out = {}, {}
    for name, proto in cfg["protocols"].items():
        key = (proto["order"], proto.get("n_images", cfg["n_images"]))
        rows = P.rows_for(*key, cfg["seed"])
        classes = dsprites.classes_of(rows)
        if key not in posteriors:
            if key not in images:
                images[key] = source.images(rows)
            posteriors[key] = {beta: P.encode(m, images[key], device) for beta, m in models.items()}
        # seed + i: each beta's sampled / collapsed codes get their own noise (the same for trained and null models)
        out[name] = {beta: P.mig_scores(P.codes_for(*posteriors[key][beta], proto["codes"], cfg["seed"] + i),
                                        classes, proto["estimator"], bins) for i, beta in enumerate(models)}
        print(name, out[name])
    return out


scriptio.run(main, snakemake)  # noqa: F821
