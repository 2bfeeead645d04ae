#!/usr/bin/env bash
# Wheels for the lent GPU machine (no package index there; docs/gpu.md): snakemake at this environment's version and
# the dependencies its image lacks, for CPython 3.12 on x86-64 Linux, into .whl/ (ignored by git, carried by the run
# tool). Run here, from the repository root, where pip reaches the index.
set -euo pipefail
PY=${PYTHON:-python3}
VERSION=$("$PY" -c "import snakemake; print(snakemake.__version__)")
PLATFORMS=""
for n in 2_28 2_27 2_17 2014 1; do
  case $n in 2014 | 1) PLATFORMS="$PLATFORMS --platform manylinux${n}_x86_64" ;;
  *) PLATFORMS="$PLATFORMS --platform manylinux_${n}_x86_64" ;; esac
done
rm -rf .whl && mkdir -p .whl
# snakemake and its dependencies as wheels built for this Python (a few are published as sources only); the
# compiled ones are then fetched again for CPython 3.12
"$PY" -m pip wheel -q -w .whl "snakemake==$VERSION"
for whl in .whl/*.whl; do
  case $whl in *-none-any.whl) ;; *)
    name=$(basename "$whl" | cut -d- -f1)
    version=$(basename "$whl" | cut -d- -f2)
    rm -f "$whl"
    # shellcheck disable=SC2086
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp $PLATFORMS \
      -d .whl "$name==$version" ;;
  esac
done
# packages the GPU image has (workplace notes, KINDS.md): keep its own versions
for have in numpy pandas PyYAML pyyaml Jinja2 jinja2 MarkupSafe markupsafe requests urllib3 idna certifi \
  charset_normalizer psutil packaging attrs tabulate wrapt rich pygments markdown_it_py mdurl platformdirs \
  typing_extensions referencing jsonschema jsonschema_specifications rpds_py; do
  rm -f .whl/"$have"-*.whl
done
ls .whl | tee /dev/stderr | wc -l
du -sh .whl
