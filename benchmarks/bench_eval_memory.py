"""Benchmark: peak memory of one validation pass (``vaerep.train.evaluate``) against its batch size.

    python benchmarks/bench_eval_memory.py [--batch-sizes 4096 512] [--images 4096] [--threads 1]

The models are the `full` scale's (workflow/config): B the beta-VAE (64 x 64 dSprites-sized images) and the
C4 substitute VQ-VAE (64 x 64 RGB crops); the images are random (memory and time do not depend on the pixel
values). Each (model, batch size) runs in a fresh process, so its peak resident memory (getrusage) is its own;
the process's memory before the pass is printed next to it. Prints peak RSS in MiB and images/s per case.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time


def _case(model_name: str, batch_size: int, n_images: int, threads: int) -> dict:
    import torch

    from vaerep.config import CONFIG_DIR, load_config, read_study_file, study_settings
    from vaerep.models.beta_vae import build_beta_vae, to_float
    from vaerep.models.vqvae import build_vqvae
    from vaerep.train import evaluate

    def load_study(study: str) -> dict:
        cfg = load_config(overrides={"scale": "full"})
        cfg[study] = read_study_file(CONFIG_DIR / f"{study}.yaml", study)
        return study_settings(cfg, study)

    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    if model_name == "B beta-VAE":
        s = load_study("dsprites_beta")
        model = build_beta_vae({"beta": 1.0, **s["model"]})
        data, prepare = (torch.rand(n_images, 64, 64, generator=g) > 0.8).to(torch.uint8), to_float
    else:
        sub = load_study("vqvae")["pretrained"]["substitute"]
        model = build_vqvae(sub["model"])
        crop = sub["crop"]
        data = (torch.rand(n_images, 3, crop, crop, generator=g) * 255).to(torch.uint8)

        def prepare(x):
            return x.float().div_(255.0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    evaluate(model, [data], torch.device("cpu"), prepare, batch_size)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"model": model_name, "batch_size": batch_size, "rss_before_mib": before, "peak_rss_mib": peak,
            "images_per_s": n_images / seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[4096, 512])
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    print(f"{'model':<16} {'eval batch':>10} {'RSS before (MiB)':>17} {'peak RSS (MiB)':>15} {'images/s':>9}")
    for model_name in ("B beta-VAE", "C4 substitute"):
        for bs in args.batch_sizes:
            with ctx.Pool(1) as pool:
                r = pool.apply(_case, (model_name, bs, args.images, args.threads))
            print(f"{r['model']:<16} {r['batch_size']:>10} {r['rss_before_mib']:>17,.0f} {r['peak_rss_mib']:>15,.0f} "
                  f"{r['images_per_s']:>9,.0f}")


if __name__ == "__main__":
    main()
