"""Rule vqvae_pretrained_source: which model C4 runs (verified DALL-E weights or the substitute), and why."""
import json
from pathlib import Path

from vaerep import scriptio
from vaerep.vqvae.pretrained import resolve_source


def main(smk):
    info = resolve_source(smk.params.cfg, smk.params.cache_dir)
    print(json.dumps(info, indent=2))
    Path(smk.output[0]).write_text(json.dumps(info, indent=2))


scriptio.run(main, snakemake)  # noqa: F821
