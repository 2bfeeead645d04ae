"""Writes notebooks/vqvae_manipulation.ipynb (the Study C report template executed by papermill). Edit here, rerun."""
import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = []
params = code('scale = "smoke"\nresults_dir = "results/smoke/vqvae"\nfigures_dir = "figures/smoke/vqvae"\nsettings_json = "{}"')
params.metadata["tags"] = ["parameters"]
cells.append(params)
cells.append(md("""# Study C — VQ-VAE on MNIST and manipulations of its quantised latent grid

Replication of *Varijacijski autoenkoder s kvantiziranom latentnom reprezentacijom* (D. Babić, FER Zagreb 2023;
extraction: `shared/spec/seed_002.md`). The thesis reports **no numbers**, only figures and qualitative
statements; here every statement is turned into a measurement. Every number below is read from the files the
workflow wrote.

**Scope of this report:** C2 (MNIST VQ-VAE) and C3 (latent manipulations, Figs 5.5–5.12). C1 (2-D VAEs,
Figs 5.1–5.4) and C4 (pretrained DALL-E dVAE or its offline substitute, Figs 5.13–5.19) are not yet run by
the workflow, so the claims about the pretrained dVAE (robust to rotation, region transplant) are
**not checked** here."""))
cells.append(code("""import json
from pathlib import Path
import pandas as pd
from IPython.display import Image, Markdown, display

res, figs = Path(results_dir), Path(figures_dir)
settings = json.loads(settings_json)
meta = json.load(open(res / "runs/mnist_vqvae/train_meta.json"))
env = meta["environment"]
s = meta["settings"]
display(Markdown(f"**Scale:** `{scale}` — {meta['n_train']:,} MNIST training images (train split only), "
                 f"{s['epochs']} epochs, batch {s['batch_size']}, Adam lr {s['lr']}; model {meta['model_spec']}. "
                 f"Training took {meta['train_seconds'] / 60:.2f} min at {meta['samples_per_s']:.0f} samples/s on "
                 f"`{env['device']}` (torch {env['torch']}, commit `{env['git_commit'][:12]}`)."))
pd.read_csv(res / "runs/mnist_vqvae/history.csv").round(4)"""))
# --- C1 section (2-D VAEs M1-M4): insert its cells here ---
cells.append(md("""## C2 — reconstruction quality and codebook use (test set)

MSE per pixel on images in [0, 1] (reconstructions clamped into [0, 1]); PSNR = 10 log10(1/MSE) per image,
averaged; usage = fraction of the K codes used at least once over all test grid cells; perplexity =
exp(entropy of the code frequencies) (K = all codes equally used, 1 = collapse)."""))
cells.append(code("""metrics = json.load(open(res / "mnist_vqvae_metrics.json"))
pd.Series(metrics).to_frame("value")"""))
cells.append(md("""## C3 — does the latent grid respect each operation? (beyond the thesis)

For shift, rotation and flips: `mse_vs_pixel_op` = MSE(decode(op(z_q)), op(x)) with the same operation done on
the image (a shift of s cells = s × 4 pixels, cyclic). `ratio` = that divided by the plain reconstruction MSE;
the grid *respects* the operation when the ratio is at most `respect_ratio`. `mse_pixel_op_vs_x` shows how far
the operation moves the image itself (a respected op must beat it clearly). Splices are compared with the pixel
splice of the two originals; inversion with 1 − x."""))
cells.append(code("""display(Markdown(open(res / "manipulations.md").read()))"""))
cells.append(md("## The thesis's claims, checked"))
cells.append(code("""claims = pd.read_csv(res / "claims.csv")
display(Markdown("\\n".join(f"- **{r.verdict}** — {r.claim}. *Evidence:* {r.evidence}" for r in claims.itertuples())))"""))
# --- C4 section (pretrained dVAE / substitute): insert its cells here ---
cells.append(md("## Figures"))
cells.append(code("""captions = {
    "figC2": "C2: original test digit | its 7x7 code map (codebook index per cell, colour = index) | reconstruction.",
    "fig5.5": "Shift of the code grid along y (cyclic).", "fig5.6": "Shift of the code grid along x (cyclic).",
    "fig5.7": "Rotation of the code grid by 90 degrees.", "fig5.8": "Flip of the code grid along x (left-right).",
    "fig5.9": "Flip of the code grid along y (top-bottom).",
    "fig5.10": "Splice: left half of code a + right half of code b.", "fig5.11": "Splice: top half of code a + bottom half of code b.",
    "fig5.12": "Value inversion -z_q decoded without re-quantising (the code map shows the nearest codes of -z_q, for display only).",
}
for png in sorted(figs.glob("*.png"), key=lambda p: (len(p.name.split("_")[0]), p.name)):
    key = png.name.split("_")[0]
    display(Markdown(f"**{png.name}** — {captions.get(key, '')}"))
    display(Image(filename=str(png)))"""))
cells.append(md("""## Decisions taken where the thesis is silent

- **Architecture:** the Keras VQ-VAE example (seed_002 §1.2): Conv(32,3,s2)–Conv(64,3,s2)–Conv(16,1) → 7×7×16,
  mirrored ConvTranspose decoder with a linear output, K = 64, D = 16, β = 0.25, straight-through gradient,
  no EMA. Loss = MSE(x, x̂) + ‖sg[z_e] − e‖² + β‖z_e − sg[e]‖² (thesis eq. 3.32), each a mean.
- **Data:** pixels in [0, 1] (thesis §4.2), training on the MNIST train split only, test split for every number.
- **Codebook collapse:** the codebook is initialised by k-means on the first batch's encoder outputs, and codes
  unused for `restart_every` steps restart at random encoder outputs (count in the metrics table).
- **Manipulations** act on the quantised grid z_q: cyclic shifts by `shift_cells` cells, `torch.rot90`
  (counter-clockwise), flips, splices at W//2 (3 of 7 columns/rows from image a), inversion −z_q decoded
  without re-quantising."""))
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, "notebooks/vqvae_manipulation.ipynb")
