"""Rule cmnist: MNIST at every contrast level, train and test, cached as one tensor file."""
from vaerep import scriptio
from vaerep.data import cmnist, mnist


def main(smk):
    arrays, meta = mnist.load_tensors(smk.input[0])
    tensors = {}
    for split in ("train", "test"):
        built = cmnist.build(arrays[f"{split}_images"], arrays[f"{split}_labels"], list(smk.params.contrasts))
        tensors.update({f"{split}_{k}": v for k, v in built.items()})
        print(f"c-MNIST {split}: {built['pixels'].shape[0]} images at contrasts {list(smk.params.contrasts)}")
    mnist.save_tensors(smk.output[0], tensors, {"contrasts": list(smk.params.contrasts), "mnist": meta})


scriptio.run(main, snakemake)  # noqa: F821
