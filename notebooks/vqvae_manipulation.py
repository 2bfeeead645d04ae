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
results_dir = "results/smoke/vqvae"
figures_dir = "figures/smoke/vqvae"
settings_json = ""  # the rule passes the settings it ran with; "" = workflow/config at `scale`
forensics_md = "results/smoke/forensics/vqvae.md"  # the forensics snippet of this study
forensics_figure = "figures/smoke/forensics/vqvae_why_it_differs.png"

# %% [markdown]
# # Study C — VAE variants with a 2-D latent, the VQ-VAE and manipulations of its quantised latent grid, a pretrained discrete VAE
#
# Replication of *Varijacijski autoenkoder s kvantiziranom latentnom reprezentacijom* (D. Babić, FER Zagreb 2023;
# extraction: `shared/spec/seed_002.md`). The thesis reports **no numbers**, only figures and qualitative
# statements; here every statement is turned into a measurement. Every number below is read from the files the
# workflow wrote.
#
# **Scope of this report:** C1 (2-D VAEs M1–M4, Figs 5.1–5.4), C2 (MNIST VQ-VAE) and C3 (latent manipulations,
# Figs 5.5–5.12). C4 (pretrained DALL-E dVAE, Figs 5.13–5.19) runs the DALL-E dVAE
# only when its SHA-256-verified weights are available; otherwise a **substitute** VQ-VAE that the pipeline trains
# on offline photos, in which case the thesis's claims about the pretrained dVAE are measured on the substitute
# but marked **not comparable**. The C4 section says which path ran and why.

# %%
import json
from pathlib import Path
import pandas as pd
from IPython.display import Markdown, display

from vaerep.reports import settings_at, show_scale_banner

res, figs = Path(results_dir), Path(figures_dir)
settings = json.loads(settings_json) if settings_json else settings_at(scale, "vqvae")
meta = json.load(open(res / "runs/mnist_vqvae/train_meta.json"))
env = meta["environment"]
s = meta["settings"]
show_scale_banner(scale)
display(Markdown(f"**Scale:** `{scale}` — {meta['n_train']:,} MNIST training images (train split only), "
                 f"{s['epochs']} epochs, batch {s['batch_size']}, Adam lr {s['lr']}; model {meta['model_spec']}. "
                 f"Training took {meta['train_seconds'] / 60:.2f} min at {meta['samples_per_s']:.0f} samples/s on "
                 f"`{env['device']}` (torch {env['torch']}, commit `{env['git_commit'][:12]}`)."))
pd.read_csv(res / "runs/mnist_vqvae/history.csv").round(4)

# %% [markdown]
# ## C1 — four MNIST VAEs with a 2-D latent (M1–M4) and the posterior-collapse run
#
# Thesis 4.3/5.1: M1/M2 = "FC" VAE (fully-connected layers at the encoder output and decoder input), M3/M4 = "conv"
# VAE (convolutional layers there), each with MSE (M1, M3) and BCE (M2, M4), ReLU + sigmoid, 2-D latent, Adam,
# 15 epochs, batch 128. The thesis leaves the layers, the MSE reduction and its "regularising" weight open
# (extraction §7.1); the decisions taken here:
#
# - **Data:** the MNIST *train* split only (the thesis allows train + test merged; here the test split stays held
#   out, because every number below is measured on it). Pixels x/255 in [0, 1], no binarisation.
# - **Trunk (both heads)** — the Keras VAE example: Conv(32, 3, s2)–ReLU–Conv(64, 3, s2)–ReLU → 7×7×64; decoder
#   ConvT(64, 3, s2)–ReLU–ConvT(32, 3, s2)–ReLU–ConvT(1, 3)–sigmoid. PyTorch default initialisation.
# - **FC head (M1, M2):** Flatten → Dense(16)–ReLU → Dense(2) μ, Dense(2) log σ²; decoder Dense(2 → 3136)–ReLU.
# - **Conv head (M3, M4):** Conv(64 → 4, 3, same) and the global mean over the 7×7 map → (μ, log σ²); decoder
#   ConvT(2 → 64, kernel 7) from the 1×1 latent to the 7×7 map–ReLU. No dense layer anywhere.
# - **Losses (per image):** BCE summed over the 784 pixels; the **re-weighted ("regularised") MSE = squared error
#   summed over the 784 pixels**, i.e. 784 × the per-pixel-mean MSE (M1, M3); the **collapse run** (a fifth model,
#   FC head, as the thesis's Fig 5.4 discussion suggests) uses the *un-weighted per-pixel-mean* MSE. KL(q‖N(0, I))
#   summed over the 2 latent dims is added unweighted in every model; one posterior sample per image.
# - **Loss curves** (Fig 5.4) are logged per epoch (the thesis plots iterations), on the training set and on the
#   held-out test images. **Decoded grid** (Fig 5.2): the grid size and extent in the settings below
#   (the thesis gives neither).
# - **Scales:** the `smoke` and `cpu` scales train far fewer samples than the thesis's 60,000 × 15 (values in the run
#   table below), so their 2-D latents are far from converged; their verdicts describe those runs, not the thesis's
#   15-epoch setting.

# %%
c1 = settings["vae2d"]
c1_res = res / "vae2d"
c1_table = pd.read_csv(c1_res / "table.csv")
runs = {}
for m in c1["models"]:
    mm = json.load(open(c1_res / "runs" / m / "train_meta.json"))
    runs[m] = {"label": c1["models"][m]["label"], "n_train": mm["n_train"], "epochs": mm["settings"]["epochs"],
               "batch": mm["settings"]["batch_size"], "lr": mm["settings"]["lr"],
               "train_min": mm["train_seconds"] / 60, "samples_per_s": mm["samples_per_s"],
               "device": mm["environment"]["device"]}
display(Markdown(f"**C1 at scale `{scale}`:** architecture {c1['architecture']}; {int(c1_table['n_train'].iloc[0]):,} "
                 f"training images, {int(c1_table['epochs'].iloc[0])} epochs (thesis: 15); figures {c1['figures']}; "
                 f"total training time {sum(r['train_min'] for r in runs.values()):.1f} min."))
pd.DataFrame(runs).T.round(2)

# %% [markdown]
# ### C1 — test-set table (the thesis reports no numbers)

# %%
display(Markdown(open(c1_res / "table.md").read()))
col = c1_table.set_index("model").loc["collapse"]
display(Markdown(f"**Collapse run (per-pixel-mean MSE):** test KL per dimension z1 = {col['test_kl_z1']:.2g}, "
                 f"z2 = {col['test_kl_z2']:.2g} nats; spread (std) of its test latent means "
                 f"{col['latent_std_z1']:.3g}, {col['latent_std_z2']:.3g}; k-NN accuracy of its latent "
                 f"{col['knn_accuracy']:.3f} (chance 0.1)."))

# %% [markdown]
# ### C1 — the thesis's claims, checked

# %%
c1_claims = pd.read_csv(c1_res / "claims.csv")
display(Markdown("\n".join(f"- **{r.verdict}** — {r.claim} ({r.source}; `{r.id}`). *Evidence:* {r.evidence}" for r in c1_claims.itertuples())))

# %% [markdown]
# ## C2 — reconstruction quality and codebook use (test set)
#
# MSE per pixel on images in [0, 1] (reconstructions clamped into [0, 1]); PSNR = 10 log10(1/MSE) per image,
# averaged; usage = fraction of the K codes used at least once over all test grid cells; perplexity =
# exp(entropy of the code frequencies) (K = all codes equally used, 1 = collapse).

# %%
metrics = json.load(open(res / "mnist_vqvae_metrics.json"))
pd.Series(metrics).to_frame("value")

# %% [markdown]
# ## C3 — does the latent grid respect each operation? (beyond the thesis)
#
# For shift, rotation and flips: `mse_vs_pixel_op` = MSE(decode(op(z_q)), op(x)) with the same operation done on
# the image (a shift of s cells = s × 4 pixels, cyclic). `ratio` = that divided by the plain reconstruction MSE;
# the grid *respects* the operation when the ratio is at most `respect_ratio`. `mse_pixel_op_vs_x` shows how far
# the operation moves the image itself (a respected op must beat it clearly). Splices are compared with the pixel
# splice of the two originals; inversion with 1 − x.

# %%
display(Markdown(open(res / "manipulations.md").read()))

# %% [markdown]
# ## The thesis's claims, checked

# %%
claims = pd.read_csv(res / "claims.csv")
display(Markdown("\n".join(f"- **{r.verdict}** — {r.claim} ({r.source}; `{r.id}`). *Evidence:* {r.evidence}" for r in claims.itertuples())))

# %% [markdown]
# ## C4 — the pretrained discrete VAE (DALL-E dVAE) or its offline substitute (Figs 5.13–5.19)
#
# The thesis (5.2.2) reconstructs a penguin and a Leaning-Tower-of-Pisa photo with the pretrained DALL-E dVAE
# (8192 tokens, 256×256 → 32×32), rotates (90°), inverts and shifts the token grid, and transplants the head of a
# polar bear into the penguin. Its photos are not available, so bundled scikit-image sample photos take their roles
# (below). The DALL-E weights are pickles: they are only loaded after their SHA-256 matches the configured value;
# when no verified copy is found (config folder, `$DALLE_DVAE_DIR`, download cache, published URLs) and
# `source: auto`, the same rules run on a **substitute (pipeline-trained VQ-VAE, not DALL-E)**: factor-8
# down-sampling like DALL-E (three stride-2 convolutions), trained here on random RGB crops of other bundled photos,
# the figure photos held out. Token-grid operations: `rot90` counter-clockwise, cyclic shifts by `shift_cells`,
# inversion = −z decoded without re-quantising (for DALL-E: the negated one-hot grid), transplant = a token box
# copied from one grid into another.

# %%
c4 = res / "pretrained"
source = json.load(open(c4 / "source.json"))
p4 = settings["pretrained"]
lines = [f"**Model that ran: {source['label']}.** Why: {source['reason']}."]
if source["source"] == "substitute":
    m4 = json.load(open(c4 / "substitute/train_meta.json"))
    sub = p4["substitute"]
    lines.append(f"The substitute was trained on {m4['n_train']:,} random {sub['crop']}×{sub['crop']} crops of "
                 f"{', '.join(sub['train_photos'])} for {m4['settings']['epochs']} epochs (batch "
                 f"{m4['settings']['batch_size']}, Adam lr {m4['settings']['lr']}) in {m4['train_seconds'] / 60:.2f} min "
                 f"at {m4['samples_per_s']:.0f} samples/s on `{m4['environment']['device']}`; model {m4['model_spec']}. "
                 "**Every verdict about the thesis's DALL-E claims is therefore 'not comparable (substitute)'**; "
                 "whether each statement holds on the substitute is shown next to it.")
ph = p4["photos"]
lines.append(f"Photo roles: penguin → `{ph['a']}`, Pisa tower → `{ph['b']}`, polar bear (transplant source) → "
             f"`{ph['transplant_source']}`; {ph['size']}×{ph['size']} after resizing the shorter side and center-cropping.")
display(Markdown("\n\n".join(lines)))
if source["source"] == "substitute":
    display(pd.read_csv(c4 / "substitute/history.csv").round(4))

# %% [markdown]
# ### C4 numbers: reconstruction of the photos, codebook use, token-grid operations vs pixel operations
#
# PSNR per photo (images in [0, 1]). Usage / perplexity as in C2, over the photos' token grids and over fresh random
# crops of the training photos. The operations table is C3's on the three photos: `ratio` = MSE(decode(op z), op x) /
# reconstruction MSE; `corr_with_target` = mean correlation of the decoded result with the pixel-space operation of
# the photo (with the photo itself for inversion): 1 = faithful, 0 = unrecognisable, negative = inverted. The
# transplant is compared with pasting the same pixel region, relative to pasting the two reconstructions.

# %%
m4 = json.load(open(c4 / "metrics.json"))
display(pd.DataFrame(m4["photos"]).T.rename_axis("photo").round(4))
usage = {k: m4[k] for k in ("usage_photos", "usage_crops") if k in m4}
display(pd.DataFrame(usage).T.round(3))
display(Markdown(open(c4 / "manipulations.md").read()))
display(pd.Series(m4["transplant"]).to_frame("transplant"))

# %% [markdown]
# ### C4 claims (thesis 5.2.2), checked

# %%
claims4 = pd.read_csv(c4 / "claims.csv")
display(Markdown("\n".join(f"- **{r.verdict}** (holds on this model: {r.holds_on_this_model}) — {r.claim} ({r.source}; `{r.id}`). "
                            f"*Evidence:* {r.evidence}" for r in claims4.itertuples())))

# %% [markdown]
# ## Figures

# %% [markdown]
# Each caption is written once, in `workflow/report/captions.yaml` (also used by `snakemake --report`).

# %%
from vaerep.captions import show_figures

show_figures("vqvae", figs)

# %% [markdown]
# ## Why it differs
#
# One row per claim of C1–C4 that *differs*, classed by explicit rules (`scorecard.forensics` in
# `workflow/config/config.yaml`, each with its source): a **scale artefact** when the run is smaller than the thesis's
# and the failing quantity still moves toward its threshold fast enough to cross it within the thesis's training
# (trend over the kept epochs or checkpoints; epoch 0 is the untrained null control), a **threshold choice** when it
# misses a chosen threshold by less than the margin (the reason gives the threshold at which the verdict flips), else
# a **real difference**. Verdicts: *explains*, *partly*, *does not explain*. The table across studies is
# `results/<scale>/forensics.md`; the scorecard's `explanation` column points each affected row at it.

# %%
from IPython.display import HTML
from vaerep.captions import figure_html
from vaerep.reports import snippet_body

display(Markdown(snippet_body(open(forensics_md).read())))
display(HTML(figure_html("vqvae", forensics_figure, key="why_it_differs")))

# %% [markdown]
# ## Decisions taken where the thesis is silent
#
# - **Architecture:** the Keras VQ-VAE example (extraction §1.2): Conv(32,3,s2)–Conv(64,3,s2)–Conv(16,1) → 7×7×16,
#   mirrored ConvTranspose decoder with a linear output, K = 64, D = 16, β = 0.25, straight-through gradient,
#   no EMA. Loss = MSE(x, x̂) + ‖sg[z_e] − e‖² + β‖z_e − sg[e]‖² (thesis eq. 3.32), each a mean.
# - **Data:** pixels in [0, 1] (thesis §4.2), training on the MNIST train split only, test split for every number.
# - **Codebook collapse:** the codebook is initialised by k-means on the first batch's encoder outputs, and codes
#   unused for `restart_every` steps restart at random encoder outputs (count in the metrics table).
# - **Manipulations** act on the quantised grid z_q: cyclic shifts by `shift_cells` cells, `torch.rot90`
#   (counter-clockwise), flips, splices at W//2 (3 of 7 columns/rows from image a), inversion −z_q decoded
#   without re-quantising.
