# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
scale = "smoke"
results_dir = "results/smoke"
studies_json = ""  # the rule passes the run's studies and config; "" = workflow/config/config.yaml
config_json = ""

# %% [markdown]
# # Replication of four bachelor theses on variational autoencoders — front page
#
# Where the replication holds and where it does not, at a glance; what was run, where and with what; the
# replication scorecard (every number and qualitative claim the theses report, next to what the pipeline
# measured); and links to the four study reports. Everything below is read from the files the workflow wrote
# (`results/<scale>/…`); nothing is typed in by hand.

# %%
import glob, json
from pathlib import Path
import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from vaerep import scorecard as sc
from vaerep import scorecard_figure
from vaerep.config import load_config
from vaerep.reports import show_scale_banner
from vaerep.studies import title

res = Path(results_dir)
cfg = json.loads(config_json) if config_json else load_config(overrides={"scale": scale})
studies = json.loads(studies_json) if studies_json else cfg["studies"]
pd.set_option("display.width", 220, "display.max_colwidth", 160, "display.max_rows", 500)
card = pd.read_csv(res / "scorecard.csv")
show_scale_banner(scale)

# %% [markdown]
# ## At a glance
#
# Per study, how many of the thesis's numbers and claims replicate, differ, or cannot be compared, counted
# apart for runs at the thesis's own scale and runs at a reduced one (a reduced-scale run is never a verdict
# on the thesis). The figure places every thesis number at its distance from the thesis in units of its
# tolerance (inside the shaded band it replicates), its untrained null control as a grey cross on the same
# line, the verdict as colour; on the right, the qualitative claims' verdicts.

# %%
display(Markdown(sc.headline_markdown(card)))
display(Image(scorecard_figure.png(card, f"Replication scorecard, scale {scale}")))

# %% [markdown]
# ## What was run
#
# One row per study: the training runs it made (each run's `train_meta.json`), the devices and versions they ran
# with, the git commit of the code, and the training time (sum over runs; runs may have run side by side).

# %%
rows = []
for study in studies:
    metas = [json.load(open(p)) for p in sorted(glob.glob(str(res / study / "**/train_meta.json"), recursive=True))]
    envs = [m["environment"] for m in metas]
    rows.append({
        "study": title(study),
        "training runs": len(metas),
        "devices": ", ".join(sorted({f"{e['device']} ({e.get('device_name', '?')})" for e in envs})),
        "torch": ", ".join(sorted({e["torch"] for e in envs})),
        "python": ", ".join(sorted({e["python"] for e in envs})),
        "git commit": ", ".join(sorted({e["git_commit"][:12] + ("-dirty" if e["git_commit"].endswith("-dirty") else "")
                                        for e in envs})),
        "training time (min, summed)": round(sum(m["train_seconds"] for m in metas) / 60, 2),
        "samples/s (median run)": round(pd.Series([m["samples_per_s"] for m in metas if m.get("samples_per_s")]).median()),
    })
display(Markdown(f"**Scale:** `{scale}` (`smoke`: every output in minutes; `cpu`: about 2 hours on 2 cores; "
                 f"`full`: the thesis settings). **Device setting:** `{cfg.get('device')}`."))
pd.DataFrame(rows).set_index("study")

# %% [markdown]
# ### Data sources and wall time
#
# MNIST comes from a local folder (config `data.mnist_dir` or env `MNIST_DIR`) or torchvision's downloader, and
# is SHA-256-verified either way; dSprites from the official file or the procedural generator of the same grid;
# Study C4 from the published DALL-E weights or the pipeline's own substitute. The wall time per study is shown
# when `benchmarks/bench_pipeline.py` measured it for this scale (`results/<scale>/walltime.csv`).

# %%
sources = []
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
                     f"{scale}` to make one)."))

# %% [markdown]
# ## Replication scorecard
#
# Verdicts: **replicates** (|replicated − thesis| ≤ tolerance, or a claim check that passed), **differs**, **not
# comparable** (the reason says why: a run at reduced scale, a thesis number whose unit is unknown, …). Tolerances
# are in `workflow/config/config.yaml` (`scorecard.tolerances`); each study's claim thresholds in its own config.
# Numbers: replicated value = mean over seeds where there are seeds (± sample standard deviation).
# *Explanation*: the hypotheses the forensics stage tested for a row ("why the numbers differ") and
# their verdicts (*explains*, *partly*, *does not explain*); empty where none was tested.

# %%
display(Markdown(sc.summary_markdown(card)))
forensics = res / "forensics.md"
if forensics.is_file():
    n = len(pd.read_csv(res / "forensics.csv"))
    display(HTML(f'<p><b>Why the numbers differ:</b> {n} hypotheses tested, one row each in '
                 f'<a href="forensics.md">forensics.md</a> (<code>{forensics}</code>); each study report has a '
                 '"Why it differs" section with its figure.</p>'))

# %% [markdown]
# ### Thesis numbers

# %%
display(Markdown(sc.rows_markdown(card[~sc.is_claim(card)])))

# %% [markdown]
# ### Qualitative claims (evidence from each study's claim checks)

# %%
claims = card[sc.is_claim(card)]
display(Markdown("\n".join(f"- *{r.study}* — **{r.verdict}** — {r.claim}. *Evidence:* {r.replicated_value}"
                            + (f" *({r.reason})*" if isinstance(r.reason, str) and r.reason else "")
                            + (f" *Why it differs:* {r.explanation}" if isinstance(r.explanation, str) else "")
                            for r in claims.itertuples())))

# %% [markdown]
# ## The study reports

# %%
links = []
for study in studies:
    html = res / study / "report.html"
    links.append(f'<li><a href="{study}/report.html">{title(study)}</a> '
                 f'(<code>{html}</code>, notebook <code>{study}/report.ipynb</code>)</li>')
HTML("<ul>" + "".join(links) + "</ul>")
