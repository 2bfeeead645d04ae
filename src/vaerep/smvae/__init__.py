"""Study A: Scale Mixtures VAE on c-MNIST: data access, evaluation, figures and claim checks."""


def select_variants(section: dict, which: str) -> dict:
    """The variants of Study A's config section named by ``which``: 'table' (the Table 4.1 variants), 'all',
    or comma-separated names."""
    names = which.split(",")
    return {k: v for k, v in section["variants"].items()
            if which == "all" or (which == "table" and v["table"]) or k in names}
