"""Study A: Scale Mixtures VAE on c-MNIST: data access, evaluation, figures and claim checks."""


def select_variants(section: dict, which: str) -> dict:
    """The variants of Study A's config section named by ``which``: 'table' (the Table 4.1 variants), 'all',
    or comma-separated names."""
    names = which.split(",")
    return {k: v for k, v in section["variants"].items()
            if which == "all" or (which == "table" and v["table"]) or k in names}


SPEC_KEYS = ("mix", "c_dist", "alpha", "kl", "output_clamp")


def model_spec(variant: dict) -> dict:
    """The model's part of a variant's config entry (the keys ``vaerep.models.smvae.build_smvae`` reads): what a run
    records as its spec and what the time plan builds."""
    return {k: variant[k] for k in SPEC_KEYS if k in variant}
