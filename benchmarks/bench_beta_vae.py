"""Training throughput of the Study B beta-VAE (samples/s of forward + backward + Adam step) on the
CPU (given thread count) and, when present, on the GPU (fp32/TF32 and bf16 autocast).

    python benchmarks/bench_beta_vae.py [--threads 1] [--batch 64 256] [--steps 5]
"""
import argparse
import time

import torch

from vaerep.data import dsprites
from vaerep.models.beta_vae import BetaVAE, param_counts, to_float


def bench(device, batch, steps, warmup=2, bf16=False):
    torch.manual_seed(0)
    model = BetaVAE(beta=5.0).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rows = torch.randint(0, dsprites.N_IMAGES, (batch,), generator=torch.Generator().manual_seed(0))
    x = to_float(dsprites.generate(rows)).to(device)
    ctx = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if bf16 else (lambda: torch.autocast("cpu", enabled=False))
    for i in range(warmup + steps):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        with ctx():
            loss = model.loss_terms(x)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"beta-VAE parameters (Keras convention): {param_counts(BetaVAE())}")
    for b in args.batch:
        print(f"cpu  threads={args.threads} batch={b}: {bench(torch.device('cpu'), b, args.steps):8.1f} samples/s")
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        dev = torch.device("cuda")
        for b in sorted(set(args.batch) | {256}):
            for bf16 in (False, True):
                sps = bench(dev, b, max(args.steps, 50), warmup=10, bf16=bf16)
                print(f"cuda {torch.cuda.get_device_name()} batch={b} {'bf16' if bf16 else 'tf32'}: {sps:10.1f} samples/s")


if __name__ == "__main__":
    main()
