# Rules every study uses: MNIST (verified and cached) and the template that renders a report notebook.


rule mnist:
    """Locate MNIST (config data.mnist_dir, env MNIST_DIR, or torchvision's downloader), verify the
    SHA-256 of the four files, and cache them as one tensor file."""
    output:
        f"{DATA}/mnist.pt",
    log:
        f"{DATA}/logs/mnist.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        # Where the files come from is read from config in the script, not a param: the files are
        # checksummed, so moving the folder (or switching to MNIST_DIR) must not retrain everything.
        download_root=f"{DATA}/download",
    script:
        "../scripts/mnist.py"


rule render_notebook_template:
    # Not run on its own: study reports `use rule render_notebook_template as ...`.
    output:
        notebook="{path}.ipynb",
        html="{path}.html",
    log:
        "{path}.log",
    conda:
        "../envs/vaerep.yaml"
    params:
        parameters={},
    script:
        "../scripts/render_notebook.py"
