"""Writes notebooks/index.ipynb (the front page executed by papermill after every study). Edit here, rerun."""
import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = []
params = code('scale = "smoke"\nresults_dir = "results/smoke"\nstudies_json = "[]"\nconfig_json = "{}"')
params.metadata["tags"] = ["parameters"]
cells.append(params)
cells.append(md("""# Replication of four bachelor theses on variational autoencoders — front page

What was run, where and with what; the replication scorecard (every number and qualitative claim the theses
report, next to what the pipeline measured); and links to the four study reports. Everything below is read
from the files the workflow wrote (`results/<scale>/…`); nothing is typed in by hand."""))
cells.append(code("""import glob, json
from pathlib import Path
import pandas as pd
from IPython.display import HTML, Markdown, display

res = Path(results_dir)
studies = json.loads(studies_json)
cfg = json.loads(config_json)
pd.set_option("display.width", 220, "display.max_colwidth", 160, "display.max_rows", 500)
TITLES = {"smvae": "A — Scale Mixtures VAE on contrast-augmented MNIST (seed_000)",
          "dsprites_beta": "B — β-VAE sweep on dSprites (seed_003)",
          "vqvae": "C — VAE variants and VQ-VAE latent manipulations (seed_002)",
          "latent2d": "D — 2-D latent conv VAE on MNIST (seed_004)"}"""))
cells.append(md("""## What was run

One row per study: the training runs it made (each run's `train_meta.json`), the devices and versions they ran
with, the git commit of the code, and the training time (sum over runs; runs may have run side by side)."""))
cells.append(code("""rows = []
for study in studies:
    metas = [json.load(open(p)) for p in sorted(glob.glob(str(res / study / "**/train_meta.json"), recursive=True))]
    envs = [m["environment"] for m in metas]
    rows.append({
        "study": TITLES.get(study, study),
        "training runs": len(metas),
        "devices": ", ".join(sorted({f"{e['device']} ({e.get('device_name', '?')})" for e in envs})),
        "torch": ", ".join(sorted({e["torch"] for e in envs})),
        "python": ", ".join(sorted({e["python"] for e in envs})),
        "git commit": ", ".join(sorted({e["git_commit"][:12] + ("-dirty" if e["git_commit"].endswith("-dirty") else "")
                                        for e in envs})),
        "training time (min, summed)": round(sum(m["train_seconds"] for m in metas) / 60, 2),
        "samples/s (median run)": round(pd.Series([m["samples_per_s"] for m in metas if m.get("samples_per_s")]).median()),
    })
display(Markdown(f"**Scale:** `{scale}` (`smoke`: every output in minutes; `cpu`: about an hour on 2 cores; "
                 f"`full`: the thesis settings). **Device setting:** `{cfg.get('device')}`."))
pd.DataFrame(rows).set_index("study")"""))
cells.append(md("""### Data sources and wall time

MNIST comes from a local folder (config `data.mnist_dir` or env `MNIST_DIR`) or torchvision's downloader, and
is SHA-256-verified either way; dSprites from the official file or the procedural generator of the same grid;
Study C4 from the published DALL-E weights or the pipeline's own substitute. The wall time per study is shown
when `benchmarks/bench_pipeline.py` measured it for this scale (`results/<scale>/walltime.csv`)."""))
cells.append(code("""sources = []
mnist_log = Path(cfg.get("data", {}).get("root", "data")) / "logs" / "mnist.log"
line = next((l for l in mnist_log.read_text().splitlines() if l.startswith("MNIST:")), None) if mnist_log.is_file() else None
sources.append({"data": "MNIST", "source": line[len("MNIST: "):] if line else "unknown (no data/logs/mnist.log)"})
b_meta = res / "dsprites_beta" / "data_meta.json"
if b_meta.is_file():
    b = json.load(open(b_meta))
    why = f" — official file unavailable: {b['official_error']}" if b.get("official_error") else ""
    sources.append({"data": "dSprites (Study B)", "source": f"{b['source']}{why}"})
c4 = res / "vqvae" / "pretrained" / "source.json"
if c4.is_file():
    m = json.load(open(c4))
    sources.append({"data": "C4 pretrained dVAE", "source": f"{m['label']} — {m['reason']}"})
display(pd.DataFrame(sources).set_index("data"))
wall = res / "walltime.csv"
if wall.is_file():
    w = pd.read_csv(wall)
    w["minutes"] = (w["seconds"] / 60).round(2)
    display(Markdown(f"Wall time of `snakemake --cores {w['cores'].iloc[0]}` per study on {w['cpus'].iloc[0]} CPUs "
                     "(`benchmarks/bench_pipeline.py`):"))
    display(w[["study", "minutes"]].set_index("study"))
else:
    display(Markdown("No wall-time measurement for this scale (run `python benchmarks/bench_pipeline.py --scale "
                     f"{scale}` to make one)."))"""))
cells.append(md("""## Replication scorecard

Verdicts: **replicates** (|replicated − thesis| ≤ tolerance, or a claim check that passed), **differs**, **not
comparable** (the reason says why: a run at reduced scale, a thesis number whose unit is unknown, …). Tolerances
are in `workflow/config/config.yaml` (`scorecard.tolerances`); each study's claim thresholds in its own config.
Numbers: replicated value = mean over seeds where there are seeds (± sample standard deviation)."""))
cells.append(code("""from vaerep import scorecard as sc

card = pd.read_csv(res / "scorecard.csv")
display(Markdown(sc.summary_markdown(card)))"""))
cells.append(md("### Thesis numbers"))
cells.append(code("""display(Markdown(sc.rows_markdown(card[card["thesis_value"] != "claim"])))"""))
cells.append(md("### Qualitative claims (evidence from each study's claim checks)"))
cells.append(code("""claims = card[card["thesis_value"] == "claim"]
display(Markdown("\\n".join(f"- *{r.study}* — **{r.verdict}** — {r.claim}. *Evidence:* {r.replicated_value}"
                            + (f" *({r.reason})*" if isinstance(r.reason, str) and r.reason else "")
                            for r in claims.itertuples())))"""))
cells.append(md("## The study reports"))
cells.append(code("""links = []
for study in studies:
    html = res / study / "report.html"
    links.append(f'<li><a href="{study}/report.html">{TITLES.get(study, study)}</a> '
                 f'(<code>{html}</code>, notebook <code>{study}/report.ipynb</code>)</li>')
HTML("<ul>" + "".join(links) + "</ul>")"""))
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, "notebooks/index.ipynb")
