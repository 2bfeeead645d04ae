"""The file names of Study C4's figures (5.13-5.19), without the plotting libraries: the workflow reads them
when it is parsed."""

# thesis figure number -> (operation, what it shows)
MANIP_FIGURES = {"5.15": ("rot90", "token grid rotated by 90 deg (counter-clockwise)"),
                 "5.16": ("invert", "value inversion -z decoded without re-quantising"),
                 "5.17": ("shift_x", "token grid shifted along x (cyclic)"),
                 "5.18": ("shift_y", "token grid shifted along y (cyclic)")}
FIGURE_NAMES = {"5.13": "photos", "5.14": "reconstructions", **{n: op for n, (op, _) in MANIP_FIGURES.items()},
                "5.19": "transplant"}


def figure_paths(fig_dir: str) -> dict:
    """thesis figure number -> PNG path."""
    return {num: f"{fig_dir}/fig{num}_{name}.png" for num, name in FIGURE_NAMES.items()}
