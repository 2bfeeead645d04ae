"""Rule dsprites_beta_data: seeded train/validation subset and MIG/PCA sample of dSprites."""
import time

from vaerep import scriptio
from vaerep.data import dsprites
from vaerep.dsprites_beta import data as dsprites_data
from vaerep.provenance import write_json


def main(smk):
    p = smk.params
    t0 = time.perf_counter()
    if smk.input:
        source = dsprites_data.CachedGrid(smk.input[0])
        meta = {**source.meta, "cache": smk.input[0]}
    else:
        d = p.data
        source = dsprites.Source(d["source"], d.get("path"), d.get("url"), p.download_root)
        meta = {**source.meta, "cache": None}
    train_rows, val_rows = dsprites_data.choose_rows(p.n_images, p.val_fraction, p.subset_seed)
    ev_rows = dsprites_data.eval_rows(p.mig["n_images"], p.mig["seed"])
    tensors = dsprites_data.build(source, train_rows, val_rows, ev_rows)
    meta.update(n_train=len(train_rows), n_val=len(val_rows), n_eval=len(ev_rows), subset_seed=p.subset_seed,
                eval_seed=p.mig["seed"], seconds=time.perf_counter() - t0,
                train_shape_counts=tensors["train_classes"][:, 1].bincount(minlength=3).tolist())
    print(meta)
    dsprites_data.save(smk.output.data, tensors, meta)
    write_json(smk.output.meta, meta)


scriptio.run(main, snakemake)  # noqa: F821
