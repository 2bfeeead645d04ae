"""Rule dsprites_grid: the whole dSprites grid (official or procedural), bit-packed, cached once."""
import time

import torch

from vaerep import scriptio
from vaerep.data import dsprites
from vaerep.data.mnist import save_tensors


def main(smk):
    d = smk.params.data
    src = dsprites.Source(d["source"], d.get("path"), d.get("url"), smk.params.download_root)
    t0 = time.perf_counter()
    packed = []
    step = 73728
    for start in range(0, dsprites.N_IMAGES, step):
        packed.append(dsprites.pack(src.images(range(start, min(start + step, dsprites.N_IMAGES)))))
    seconds = time.perf_counter() - t0
    meta = {**src.meta, "seconds": seconds, "n_images": dsprites.N_IMAGES}
    print(f"dSprites grid from the {src.name} source: {dsprites.N_IMAGES:,} images in {seconds:.1f} s")
    save_tensors(smk.output[0], {"packed": torch.cat(packed)}, meta)


scriptio.run(main, snakemake)  # noqa: F821
