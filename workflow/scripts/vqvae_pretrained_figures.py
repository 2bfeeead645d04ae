"""Rule vqvae_pretrained_figures: C4 Figs 5.13-5.19 on the chosen model (DALL-E or the substitute)."""

import torch

from vaerep import scriptio
from vaerep.vqvae.pretrained import figure_photos, load_token_model, model_label
from vaerep.vqvae.pretrained_eval import transplant
from vaerep.vqvae.pretrained_figures import manipulation_figures, photo_figures, transplant_figure
from vaerep.readers import read_json


def main(smk):
    cfg, m = smk.params.cfg, smk.params.cfg["manipulations"]
    info = read_json(smk.input.source)
    model = load_token_model(info, smk.input.model[0] if len(smk.input.model) else None)
    label = model_label(info["source"])
    photos = figure_photos(cfg["photos"])
    paths = smk.output
    (na, xa), (nb, xb), (nc, xc) = photos["a"], photos["b"], photos["transplant_source"]
    x = torch.stack([xa, xb])
    with torch.no_grad():
        photo_figures(model, x, [na, nb], label, paths)
        manipulation_figures(model, x, m["shift_cells"], label, paths)
        t = m["transplant"]
        out, paste, _, _ = transplant(model, xa, xc, t["src_box"], t["dst_yx"])
        transplant_figure(model, xa, xc, [na, nc], t["src_box"], t["dst_yx"], out, paste, label, paths.transplant)


scriptio.run(main, snakemake)  # noqa: F821
