"""Rule mnist: locate and verify the four MNIST files, cache them as one tensor file."""
from vaerep import scriptio
from vaerep.data import mnist


def main(smk):
    folder, how = mnist.locate(smk.config["data"]["mnist_dir"], smk.params.download_root)
    print(f"MNIST: {folder} ({how}); SHA-256 verified")
    arrays = mnist.load_arrays(folder)
    mnist.save_tensors(smk.output[0], arrays, {"source": str(folder), "how": how,
                                                "sha256": mnist.MNIST_FILES})


scriptio.run(main, snakemake)  # noqa: F821
