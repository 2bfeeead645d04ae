"""Rule dsprites_beta_evaluate: posterior means of the evaluation sample, MIG, final loss terms."""
import torch

from vaerep import scriptio
from vaerep.device import pick_device
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.dsprites_beta import evaluate as ev
from vaerep.models.beta_vae import build_beta_vae
from vaerep.provenance import environment, write_json
from vaerep.train import load_model
from vaerep.readers import read_csv


def main(smk):
    device = pick_device(smk.params.device)
    tensors, meta = dsprites_data.load(smk.input.data)
    model = load_model(smk.input.model, build_beta_vae, device)
    means = ev.posterior_means(model, tensors["eval_imgs"], device)
    scores = ev.mig_scores(means, tensors["eval_classes"], smk.params.bins)
    # Chance level of the plug-in estimator at this N and these bins: MIG of i.i.d. Gaussian codes.
    chance = ev.mig_chance(tensors["eval_classes"], means.shape[1], smk.params.bins, smk.params.chance_draws)
    last = read_csv(smk.input.history).iloc[-1]
    metrics = {"beta": float(smk.wildcards.beta), "epochs": int(last["epoch"]),
               **{k: float(last[k]) for k in last.index if k.startswith(("train_", "val_"))},
               "mig": scores["mig"], "mig_chance": chance["mean"], "mig_chance_std": chance["std"],
               "mig_chance_per_factor": chance["per_factor"], "mig_chance_draws": chance["draws"],
               "mig_per_factor": scores["per_factor"], "mi": scores["mi"],
               "factor_entropy": scores["entropy"], "top_latents": scores["top_latents"],
               "n_eval": int(means.shape[0]), "bins": smk.params.bins, "source": meta["source"],
               "latent_std_of_means": means.std(0).tolist(), "environment": environment(device)}
    print({k: v for k, v in metrics.items() if k not in ("mi", "environment")})
    torch.save({"means": means, "classes": tensors["eval_classes"], "values": tensors["eval_values"]},
               smk.output.codes)
    write_json(smk.output.metrics, metrics)


scriptio.run(main, snakemake)  # noqa: F821
