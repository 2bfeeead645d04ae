"""Rule vqvae_pretrained_evaluate: C4 photo metrics, token-grid manipulation table, transplant, claims."""
import json
from pathlib import Path

import torch

from vaerep import scriptio
from vaerep.data.photos import random_crops
from vaerep.vqvae.evaluate import to_markdown
from vaerep.vqvae.pretrained import figure_photos, load_token_model, model_label
from vaerep.vqvae.pretrained_eval import check_claims, manipulations, photo_metrics, transplant, transplant_metrics
from vaerep.readers import read_csv, read_json


def main(smk):
    cfg, m = smk.params.cfg, smk.params.cfg["manipulations"]
    info = read_json(smk.input.source)
    model = load_token_model(info, smk.input.model[0] if len(smk.input.model) else None, smk.params.null)
    photos = figure_photos(cfg["photos"])
    s = cfg["substitute"]
    crops = random_crops(s["train_photos"], s["n_eval_crops"], s["crop"], s["short_side"], s["crop_seed"] + 1)
    with torch.no_grad():
        metrics = photo_metrics(model, {name: x for name, x in photos.values()}, crops.float() / 255)
        x = torch.stack([x for _, x in photos.values()])
        table = manipulations(model, x, m["shift_cells"], m["respect_ratio"], m["respect_anchor"])
        t = m["transplant"]
        out, paste, rec_paste, box = transplant(model, photos["a"][1], photos["transplant_source"][1],
                                                t["src_box"], t["dst_yx"])
    metrics.update(source=info["source"], label=model_label(info["source"]), reason=info["reason"],
                   roles={role: name for role, (name, _) in photos.items()},
                   transplant=dict(transplant_metrics(out, paste, rec_paste, box), **t))
    print(json.dumps(metrics, indent=2))
    print(table)
    Path(smk.output.metrics).write_text(json.dumps(metrics, indent=2))
    table.insert(0, "model", model_label(info["source"]))
    table.to_csv(smk.output.table_csv, index=False)
    Path(smk.output.table_md).write_text(to_markdown(table.drop(columns="model")) + "\n")
    check_claims(info["source"], metrics, table, metrics["roles"], m,
                 read_csv(smk.input.mnist_table)).to_csv(smk.output.claims, index=False)


scriptio.run(main, snakemake)  # noqa: F821
