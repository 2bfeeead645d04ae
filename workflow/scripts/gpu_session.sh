#!/usr/bin/env bash
# One GPU window (docs/gpu.md): the benchmark, then `full` (all of it, or one study group of workflow/config/gpu.yaml),
# the record exported into this tree, and at most 8 files copied into $OUT.
#
#   bash workflow/scripts/gpu_session.sh [all|1|2|3]            # on the lent GPU machine, from the repository root
#   SCALE=smoke ALLOW_CPU=1 BENCH_ARGS="--steps 2 --batch-size 4" bash workflow/scripts/gpu_session.sh all  # CPU rehearsal
#
# Environment: SCALE (full), BENCH_S (240: the benchmark's time limit, 0 skips it), RUN_S (540: the run's limit),
# CORES (16), WORK (the run's working directory, /tmp/vaerep_run), OUT (./gpu_out), BENCH_ARGS, ALLOW_CPU (1: export
# a CPU run, rehearsals only), SPEEDUPS (auto: CUDA graphs for the studies whose benchmark shows they pay,
# vaerep.speedups; eager: none), SPEEDUPS_FROM (the benchmark JSON it reads, default the one just written to $OUT).
# Where snakemake is missing, the wheels in .whl/ (workflow/scripts/gpu_wheels.sh) are installed first; MNIST is
# read from .gpu/mnist when present (MNIST_DIR wins).
set -uo pipefail
GROUP=${1:-all}
SCALE=${SCALE:-full}
BENCH_S=${BENCH_S:-240}
RUN_S=${RUN_S:-540}
CORES=${CORES:-16}
WORK=${WORK:-/tmp/vaerep_run}
OUT=${OUT:-$PWD/gpu_out}
REPO=$PWD
PY=${PYTHON:-python3}
mkdir -p "$OUT" "$WORK"
if ! "$PY" -c "import snakemake" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$REPO/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
[ -z "${MNIST_DIR:-}" ] && [ -d .gpu/mnist ] && export MNIST_DIR=$REPO/.gpu/mnist
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/session.log"

# 1. The benchmark: each study's step, eager against each speed-up (at most BENCH_S seconds).
if [ "$BENCH_S" != 0 ]; then
  # shellcheck disable=SC2086
  timeout "$BENCH_S" "$PY" benchmarks/bench_gpu.py --scale "$SCALE" --out "$OUT/bench_gpu" ${BENCH_ARGS:-} \
    2>&1 | tail -n 60 >>"$OUT/session.log"
fi

# 2. The run: every study, or one group; the report notebooks are rendered afterwards on the CPU.
if [ "$GROUP" = all ]; then
  STUDIES=$("$PY" -c "import yaml; print(','.join(yaml.safe_load(open('workflow/config/config.yaml'))['studies']))")
  MERGE=""
else
  STUDIES=$("$PY" -c "import yaml; print(','.join(yaml.safe_load(open('workflow/config/gpu.yaml'))['groups'][$GROUP - 1]))")
  MERGE="--merge"
fi
REPORTS="index_report smvae_report dsprites_beta_report vqvae_report latent2d_report"
SPEEDUP_WORDS=()
if [ "${SPEEDUPS:-auto}" = auto ]; then
  mapfile -t SPEEDUP_WORDS < <("$PY" -m vaerep.speedups "${SPEEDUPS_FROM:-$OUT/bench_gpu.json}" --studies "$STUDIES" \
    2>>"$OUT/session.log")
fi
echo "run: scale=$SCALE studies=[$STUDIES] ${SPEEDUP_WORDS[*]+${SPEEDUP_WORDS[*]}} in $WORK" | tee -a "$OUT/session.log"
T0=$(date +%s)
# shellcheck disable=SC2086
timeout "$RUN_S" "$PY" -m snakemake -s "$REPO/Snakefile" --directory "$WORK" --cores "$CORES" --keep-going \
  --config scale="$SCALE" "studies=[$STUDIES]" allow_long_run=true ${SPEEDUP_WORDS[@]+"${SPEEDUP_WORDS[@]}"} --omit-from $REPORTS \
  >"$OUT/run.log" 2>&1
RC=$?
WALL=$(($(date +%s) - T0))
echo "run: exit $RC after $WALL s" | tee -a "$OUT/session.log"
# the usage table (rule `usage` waits for the reports, so it is written here)
(cd "$WORK" && "$PY" - "$SCALE" <<'PYEOF'
import sys
from vaerep import usage
scale = sys.argv[1]
frame = usage.jobs([f"results/{scale}", "data/logs"])
table = usage.per_rule(frame)
frame.to_csv(f"results/{scale}/usage_jobs.csv", index=False)
table.to_csv(f"results/{scale}/usage.csv", index=False)
open(f"results/{scale}/usage.md", "w").write(usage.to_markdown(table, f"Resource usage per rule (scale `{scale}`)"))
PYEOF
) >>"$OUT/session.log" 2>&1

# 3. The record: exported only from a finished run (a CPU run only when ALLOW_CPU=1).
if [ "$RC" = 0 ]; then
  # shellcheck disable=SC2046
  "$PY" -m vaerep.record export --run "$WORK" --to "$REPO" --scale "$SCALE" --wall-seconds "$WALL" $MERGE \
    $([ "${ALLOW_CPU:-0}" = 1 ] && echo --allow-cpu) 2>&1 | tee -a "$OUT/session.log"
  # the record's files only (its manifest), whatever else lies under results/ and figures/
  "$PY" -c "import json, sys; print('\n'.join([sys.argv[1], *json.load(open(sys.argv[1]))['manifest']]))" \
    "results/$SCALE/record.json" | tar czf "$OUT/record.tar.gz" -T -
  cp "results/$SCALE/scorecard.md" "$OUT/" 2>/dev/null
fi
cp "$WORK/results/$SCALE/usage.md" "$OUT/" 2>/dev/null
tail -c 200000 "$OUT/run.log" >"$OUT/run.tail.log" && mv "$OUT/run.tail.log" "$OUT/run.log"
ls -l "$OUT" | tee -a "$OUT/session.log"
exit "$RC"
