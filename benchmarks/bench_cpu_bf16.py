"""Benchmark: bf16 autocast against FP32 on the CPU for the convolutional studies.

    python benchmarks/bench_cpu_bf16.py [--seconds 4] [--reps 3] [--threads 1 2] [--cases throughput|all|NAMES]
        [--losses short|cpu|none] [--jobs 1] [--runs fp32,bf16,fp32_next_seed] [--json FILE]

Models, data and settings are the pipeline's at the ``cpu`` scale (workflow/config): B the beta-VAE
on dSprites (the study's source: the official file when DSPRITES_PATH or data.path names it, else the
procedural generator; never a download), C2 the MNIST VQ-VAE, C1 the 2-D VAEs M1-M4 and the collapse
model, D the latent2d conv VAE (both variants), MNIST from $MNIST_DIR.

Throughput: samples/s of one epoch through ``vaerep.train.fit`` (as its history records it), FP32 and
bf16 interleaved in ONE process and repeated ``--reps`` times, at each ``--threads`` count; the host's
speed drifts, so compare the median ratio measured side by side. Epochs are sized to about ``--seconds``
after a warm-up epoch in each precision. Then the projected minutes of each study's thesis-scale
training on the 2-core machine (``vaerep.plan``'s runs and samples; two 1-thread jobs side by side or
one 2-thread job).

Losses: the same seed trained in both precisions through ``fit``, final training terms and held-out
terms (validation images for B, test images otherwise; evaluated in FP32): ``short`` = the cpu-scale
models on ``--short-images`` images for ``--short-epochs`` epochs; ``cpu`` = the full cpu-scale runs
(``--jobs`` runs at once, one thread each; runs are kept in --work and resumed, and a pipeline run's
history.csv put there under the run's name is compared like one trained here; ``--jobs 0`` only
compares what is there, at the last epoch every run of a model reached). Each
difference is judged against the scorecard tolerance or claim threshold of its study (printed);
``--runs`` adds an FP32 run with the next seed (fp32_next_seed) for scale.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd
import torch

from bench_smvae import CORES, timed
from vaerep.config import study_settings
from vaerep.data import dsprites
from vaerep.data.mnist import load_arrays, locate, save_tensors
from vaerep.dsprites_beta.data import choose_rows
from vaerep.latent2d.data import load_split
from vaerep.models.beta_vae import build_beta_vae
from vaerep.models.beta_vae import to_float as dsprites_float
from vaerep.models.conv2d_vae import build_conv2d_vae
from vaerep.models.vae2d_mnist import build_vae2d
from vaerep.models.vqvae import build_vqvae
from vaerep.plan import JOBS, full_config
from vaerep.train import TrainSettings, fit
from vaerep.vqvae.evaluate import load_mnist, mnist_to_float

TRAIN_KEYS = ("epochs", "batch_size", "lr", "seed", "adam_eps")
STUDY = {"B": "dsprites_beta", "C1": "vqvae", "C2": "vqvae", "D": "latent2d"}


# -- the cases: model, data and training settings of each convolutional study at a scale ------------------------
def _mnist_file(work: Path) -> Path:
    path = work / "mnist.pt"
    if not path.is_file():
        folder, how = locate(None, work / "download")
        save_tensors(path, load_arrays(folder), {"how": how})
    return path


def _dsprites(s: dict, n_train: int | None, n_val: int | None):
    d = s["data"]
    source = dsprites.Source(d["source"], d.get("path"), url=None, log=lambda m: None)
    train_rows, val_rows = choose_rows(s["n_images"], s["val_fraction"], s["subset_seed"])
    return source.images(train_rows[:n_train]), source.images(val_rows[:n_val]), source.name


def _cut(*limits):
    """The smallest of the limits that are set (None: no limit)."""
    set_ = [n for n in limits if n is not None]
    return min(set_) if set_ else None


def cases(scale: str, work: Path, n_train: int | None = None, n_val: int | None = None,
          epochs: int | None = None) -> list[dict]:
    """Every model of B, C1, C2 and D at ``scale`` (images and epochs optionally cut to ``n_train``,
    ``n_val``, ``epochs``): name, study key, builder, spec, train/held-out tensors, prepare, settings."""
    config = full_config(scale)
    out = []

    def add(key, name, build, spec, train, held, prepare, tr, note=""):
        settings = {k: tr[k] for k in TRAIN_KEYS if k in tr}
        settings["epochs"] = epochs or settings["epochs"]
        out.append(dict(key=key, name=name, build=build, spec=spec, train=train, held=held, prepare=prepare,
                        settings=settings, note=note))

    b = study_settings(config, "dsprites_beta")
    train, val, source = _dsprites(b, n_train, n_val)
    for beta in b["betas"]:
        add("B", f"B beta={beta}", build_beta_vae, {"beta": float(beta), **b["model"]}, train, val,
            dsprites_float, b["train"], f"dSprites {source}")
    c = study_settings(config, "vqvae")
    mnist = _mnist_file(work)
    train, _ = load_mnist(mnist, "train", _cut(c["n_train_images"], n_train), c["subset_seed"])
    test, _ = load_mnist(mnist, "test", _cut(c["n_test_images"], n_val), c["subset_seed"])
    add("C2", "C2 VQ-VAE", build_vqvae, dict(c["mnist"]["model"]), train, test, mnist_to_float, c["mnist"]["train"])
    v = c["vae2d"]
    train, _ = load_mnist(mnist, "train", _cut(v["n_train_images"], n_train), c["subset_seed"])
    test, _ = load_mnist(mnist, "test", _cut(v["n_test_images"], n_val), c["subset_seed"])
    for name, m in v["models"].items():
        add("C1", f"C1 {name}", build_vae2d, {**v["architecture"], "head": m["head"], "recon": m["recon"]},
            train, test, mnist_to_float, v["train"])
    d = study_settings(config, "latent2d")
    train = load_split(mnist, "train", _cut(d["n_train_images"], n_train), d["subset_seed"])["images"]
    test = load_split(mnist, "test", _cut(d["n_test_images"], n_val), d["subset_seed"])["images"]
    for name, var in d["variants"].items():
        add("D", f"D {name}", build_conv2d_vae, dict(var["model"]), train, test, mnist_to_float,
            {**d["train"], **(var.get("train") or {})})
    return out


# -- throughput ---------------------------------------------------------------------------------------------------
def throughput(case: dict, threads: int, reps: int, seconds: float) -> dict:
    """Median samples/s of FP32 and bf16 epochs, interleaved, and the median of the per-rep ratios."""
    torch.set_num_threads(threads)
    batch = case["settings"]["batch_size"]
    data = case["train"]

    def epoch(n, bf16):
        return n / timed(case["build"](case["spec"]), [data[:n]], [0], torch.device("cpu"), batch,
                         prepare=case["prepare"], autocast_bf16=bf16)

    warm = 2 * batch
    sps = min(epoch(warm, False), epoch(warm, True))  # warm-up of both precisions, and the sizing
    n = min(len(data), max(2 * batch, batch * round(seconds * sps / batch)))
    fp32, bf16, ratios = [], [], []
    for _ in range(reps):
        f, b = epoch(n, False), epoch(n, True)
        fp32.append(f)
        bf16.append(b)
        ratios.append(b / f)
    return {"case": case["name"], "threads": threads, "samples": n, "fp32": statistics.median(fp32),
            "bf16": statistics.median(bf16), "ratio": statistics.median(ratios), "ratios": ratios}


def projection(rows: list[dict]) -> list[dict]:
    """Minutes of each study's thesis-scale training here (FP32, and bf16 at the median ratio): the runs
    and samples of ``vaerep.plan``'s jobs at the measured samples/s of their shape (C1's fc models as M2,
    conv models as M4; D's variants as canonical); 2 cores: two 1-thread jobs side by side (assumed not
    to slow each other), or one 2-thread job after another."""
    speed = {(r["case"], r["threads"]): r for r in rows}
    config = full_config("full")
    heads = {f"C1 {k}": "C1 M2" if m["head"] == "fc" else "C1 M4"
             for k, m in study_settings(config, "vqvae")["vae2d"]["models"].items()}
    shape = {**heads, "C3 mnist vq-vae": "C2 VQ-VAE"}
    out = []
    for key in ("C1", "C2", "D"):
        study_jobs = JOBS[STUDY[key]](study_settings(config, STUDY[key]))
        jobs = [(j, "D canonical" if key == "D" else shape.get(j.name)) for j in study_jobs]
        jobs = [(j, case) for j, case in jobs if case and case.startswith(key)]
        for prec in ("fp32", "bf16"):
            minutes = {}
            for threads in (1, 2):
                if all((case, threads) in speed for _, case in jobs):
                    # bf16 = FP32 x the median ratio (measured side by side; steadier than two medians)
                    secs = [j.samples / (speed[(case, threads)]["fp32"] * (speed[(case, threads)]["ratio"]
                                                                          if prec == "bf16" else 1.0))
                            for j, case in jobs]
                    minutes[threads] = (sum(secs) / min(CORES, len(secs)) if threads == 1 else sum(secs)) / 60
            out.append({"study": key, "precision": prec, "runs": len(jobs), "samples": sum(j.samples for j, _ in jobs),
                        "minutes_2x1thread": minutes.get(1), "minutes_1x2threads": minutes.get(2)})
    return out


# -- losses -------------------------------------------------------------------------------------------------------
def train_once(case: dict, bf16: bool, seed: int, out_dir: Path, threads: int = 1) -> dict:
    """Final history row of one run of ``case`` (resumed from ``out_dir`` if interrupted)."""
    torch.set_num_threads(threads)
    settings = TrainSettings(**{**case["settings"], "seed": seed, "autocast_bf16": bf16})
    hist = fit(case["build"](case["spec"]), [case["train"]], settings, out_dir, device=torch.device("cpu"),
               model_spec=case["spec"], prepare=case["prepare"], val=[case["held"]], log=lambda s: None)
    row = hist.iloc[-1].to_dict()
    row["train_seconds"] = float(hist["seconds"].sum())
    return row


RUN_KINDS = (("fp32", False, 0), ("bf16", True, 0), ("fp32_next_seed", False, 1))  # (key, bf16, seed offset)


def _tag(name: str, bf16: bool, seed: int) -> str:
    return f"{name.replace(' ', '_').replace('=', '')}_{'bf16' if bf16 else 'fp32'}_seed{seed}"


def _job(args):
    scale, cut, name, bf16, seed, work = args
    case = next(c for c in cases(scale, Path(work), *cut) if c["name"] == name)
    train_once(case, bf16, seed, Path(work) / _tag(name, bf16, seed))
    return name, bf16, seed


def collect(work: Path, seeds: dict) -> dict:
    """{case: {run key: history row}} from the runs' history.csv (written every epoch), all at the last
    epoch that every run of the case has reached (an interrupted run is compared where it stopped)."""
    out = {}
    for name, seed in seeds.items():
        hists = {}
        for key, bf16, offset in RUN_KINDS:
            path = work / _tag(name, bf16, seed + offset) / "history.csv"
            if path.is_file():
                hists[key] = pd.read_csv(path)
        if "fp32" not in hists or "bf16" not in hists:
            continue
        epoch = min(int(h["epoch"].max()) for h in hists.values())
        out[name] = {key: {**h[h["epoch"] == epoch].iloc[0].to_dict(),
                           "train_seconds": float(h.loc[h["epoch"] <= epoch, "seconds"].sum())}
                     for key, h in hists.items()}
    return out


def run_losses(scale, cut, names, kinds, jobs, work, log=print) -> dict:
    """Train every case in the run ``kinds`` (keys of RUN_KINDS), ``jobs`` runs at once (the longest
    first; a run resumes from its checkpoint in ``work``), then :func:`collect` the rows of the runs
    found in ``work`` (a run trained elsewhere, e.g. the pipeline's own, can be put there)."""
    seed = {c["name"]: c["settings"].get("seed", 0) for c in cases(scale, Path(work), *cut) if c["name"] in names}
    order = {"D": 0, "B": 1, "C2": 2, "C1": 3}
    todo = [(scale, cut, n, bf16, seed[n] + offset, str(work)) for n in sorted(names, key=lambda n: order[n.split()[0]])
            for key, bf16, offset in RUN_KINDS if key in kinds]
    if jobs:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for fut in as_completed([pool.submit(_job, t) for t in todo]):
                log(f"  done {fut.result()}", flush=True)
    return collect(Path(work), seed)


def checks(key: str, runs: dict, config: dict) -> list[dict]:
    """Each compared quantity: fp32 and bf16 values, |difference| (or ratio), the threshold and its source."""
    tol = config["scorecard"]["tolerances"]
    claims = study_settings(config, "vqvae")["vae2d"]["claims"]
    f, b = runs["fp32"], runs["bf16"]
    n = runs.get("fp32_next_seed")
    out = []

    def diff(col, limit, source):
        if col not in f or col not in b:  # e.g. a pipeline run without held-out terms
            return
        out.append({"quantity": col, "fp32": f[col], "bf16": b[col], "difference": abs(b[col] - f[col]),
                    "seed_difference": abs(n[col] - f[col]) if n else None, "limit": limit, "source": source,
                    "agrees": abs(b[col] - f[col]) <= limit})

    def ratio(col, limit, source):
        r = b[col] / f[col]
        out.append({"quantity": f"{col} ratio", "fp32": f[col], "bf16": b[col], "difference": r,
                    "seed_difference": n[col] / f[col] if n else None, "limit": limit, "source": source,
                    "agrees": 1 / limit <= r <= limit})

    def side(col, thresholds, source):
        same = all((f[col] >= t) == (b[col] >= t) for t in thresholds)
        out.append({"quantity": f"{col} vs {thresholds}", "fp32": f[col], "bf16": b[col],
                    "difference": abs(b[col] - f[col]), "seed_difference": abs(n[col] - f[col]) if n else None,
                    "limit": None, "source": source, "agrees": same})

    if key == "B":
        t = tol["dsprites_beta"]
        for col, k in (("train_loss", "loss"), ("train_rec", "rec"), ("train_kl", "kl"), ("val_loss", "val_loss")):
            diff(col, t[k], f"scorecard tolerance dsprites_beta.{k}")
    elif key == "D":
        t = tol["latent2d"]
        for col, k in (("train_loss", "total"), ("train_rec", "rec"), ("train_kl", "kl"), ("val_neg_elbo", "total")):
            diff(col, t[k], f"scorecard tolerance latent2d.{k}")
    elif key == "C1":
        diff("val_neg_elbo", claims["overfit_margin_nats"], "C1 claim threshold overfit_margin_nats")
        ratio("val_mse", claims["same_recon_ratio"], "C1 claim threshold same_recon_ratio")
        for col in sorted(c for c in f if c.startswith("val_kl_z")):
            side(col, [claims["collapse_kl_per_dim"], claims["active_kl_per_dim"]],
                 "C1 claim thresholds collapse_kl_per_dim / active_kl_per_dim (same side)")
    elif key == "C2":
        ratio("val_mse", claims["same_recon_ratio"], "C1's same_recon_ratio (reconstructions practically the same)")
    return out


# -- main ---------------------------------------------------------------------------------------------------------
def load_text() -> str:
    """The host's load (uptime's load averages over 1, 5 and 15 minutes)."""
    return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=4.0, help="target seconds of one timed epoch")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cases", default="throughput", help="'all', 'throughput' (one model per shape) or names")
    ap.add_argument("--losses", choices=("short", "cpu", "none"), default="short")
    ap.add_argument("--short-images", type=int, default=1000)
    ap.add_argument("--short-epochs", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=1, help="loss runs at once (one thread each); 0: only collect")
    ap.add_argument("--runs", default="fp32,bf16", help="runs to train: fp32, bf16, fp32_next_seed (scale)")
    ap.add_argument("--loss-cases", default=None, help="comma-separated model names (default: all)")
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--work", type=Path, default=Path("results/bench_cpu_bf16"))
    ap.add_argument("--json", type=Path, default=Path("results/bench_cpu_bf16/bench.json"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    report = {"cpu": cpu_name(), "cores": os.cpu_count(), "torch": torch.__version__,
              "capability": torch.backends.cpu.get_cpu_capability(), "load_before": load_text()}
    print(f"{report['cpu']}, {report['cores']} cores, torch {report['torch']} ({report['capability']}); "
          f"{report['load_before']}")
    if not args.no_throughput:
        all_cases = cases("cpu", args.work)
        pick = {"throughput": ["B beta=5", "C2 VQ-VAE", "C1 M2", "C1 M4", "D canonical"]}.get(args.cases)
        chosen = [c for c in all_cases if args.cases == "all" or c["name"] in (pick or args.cases.split(","))]
        print(f"\nthroughput: FP32 and bf16 interleaved, {args.reps} repetitions, medians (samples/s)")
        print(f"{'case':14s} {'threads':>7s} {'samples':>7s} {'fp32':>8s} {'bf16':>8s} {'ratio':>6s}  ratios")
        rows = []
        for case in chosen:
            for threads in args.threads:
                r = throughput(case, threads, args.reps, args.seconds)
                rows.append(r)
                print(f"{r['case']:14s} {threads:7d} {r['samples']:7d} {r['fp32']:8.0f} {r['bf16']:8.0f} "
                      f"{r['ratio']:6.2f}  {', '.join(f'{x:.2f}' for x in r['ratios'])}", flush=True)
        report["throughput"] = rows
        report["projection"] = projection(rows)
        print("\nthesis-scale training on this machine's 2 cores (projection from the samples/s above), minutes")
        for p in report["projection"]:
            fmt = lambda m: f"{m:8.1f}" if m is not None else "       -"  # noqa: E731
            print(f"  {p['study']:3s} {p['precision']:5s} {p['runs']} runs, {p['samples']:>11,d} samples: "
                  f"two 1-thread jobs {fmt(p['minutes_2x1thread'])}, one 2-thread job at a time "
                  f"{fmt(p['minutes_1x2threads'])}")
        report["load_after_throughput"] = load_text()
    if args.losses != "none":
        cut = (args.short_images, args.short_images, args.short_epochs) if args.losses == "short" else (None, None, None)
        names = [c["name"] for c in cases("cpu", args.work, *cut)
                 if not args.loss_cases or c["name"] in args.loss_cases.split(",")]
        print(f"\nlosses: {args.losses} runs of {len(names)} models, FP32 and bf16, same seed", flush=True)
        t0 = time.perf_counter()
        runs = run_losses("cpu", cut, names, args.runs.split(","), args.jobs, args.work / args.losses)
        config = full_config("cpu")
        report["losses"] = {"mode": args.losses, "cut": cut, "seconds": time.perf_counter() - t0, "models": {}}
        print(f"{'model':14s} {'quantity':32s} {'fp32':>10s} {'bf16':>10s} {'|diff|':>9s} {'seed diff':>9s} "
              f"{'limit':>7s}  agrees")
        for name in names:
            if name not in runs:
                print(f"{name:14s} no epoch finished in both precisions")
                continue
            key = name.split()[0]
            rows = checks(key, runs[name], config)
            report["losses"]["models"][name] = {"runs": runs[name], "checks": rows}
            print(f"{name:14s} epoch {int(runs[name]['fp32']['epoch'])}, seconds "
                  + ", ".join(f"{k} {v['train_seconds']:.0f}" for k, v in runs[name].items()))
            for r in rows:
                sd = f"{r['seed_difference']:9.3g}" if r["seed_difference"] is not None else "        -"
                lim = f"{r['limit']:7.3g}" if r["limit"] is not None else "   side"
                print(f"{name:14s} {r['quantity']:32s} {r['fp32']:10.4g} {r['bf16']:10.4g} {r['difference']:9.3g} "
                      f"{sd} {lim}  {r['agrees']}")
        report["load_after_losses"] = load_text()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, default=float))
    print(f"\nwritten {args.json}; {load_text()}")


if __name__ == "__main__":
    main()
