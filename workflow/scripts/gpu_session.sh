#!/usr/bin/env bash
# One GPU window (docs/gpu.md): the benchmark, then `full` (all of it, one study group of workflow/config/gpu.yaml, or
# the studies the record does not hold yet), the record exported into this tree, and at most 8 files copied into $OUT.
# A run stopped by the window's time limit still leaves its finished studies: they are exported into the record
# (merged), and `remaining` runs the rest in a later window.
#
#   bash workflow/scripts/gpu_session.sh [all|1|2|3|remaining]  # on the lent GPU machine, from the repository root
#   SCALE=smoke ALLOW_CPU=1 BENCH_ARGS="--steps 2 --batch-size 4" bash workflow/scripts/gpu_session.sh all  # CPU rehearsal
#
# Environment: SCALE (full), WINDOW_S (570: the whole script's time, inside the 600 s of one command), FINISH_S (60:
# kept from the window for what follows the run: the finished studies, the usage table, the export), BENCH_S (240:
# the benchmark's limit, 0 skips it; for a group or `remaining` 0 when .gpu/bench_gpu.json, the first window's
# benchmark, is carried: it chooses the speed-ups, so that cut-short runs resume with their settings), RUN_S (the run's limit; default all the window leaves), CORES (16), WORK (the
# run's working directory, /tmp/vaerep_run), OUT (./gpu_out), BENCH_ARGS, ALLOW_CPU (1: export a CPU run, rehearsals
# only), SPEEDUPS (auto: CUDA graphs for the studies whose benchmark shows they pay, vaerep.speedups; eager: none),
# SPEEDUPS_FROM (the benchmark JSON it reads, default the one just written to $OUT or the carried one), RESUME_FROM (the cut-short
# training runs a stopped window packed into $OUT/resume.tar.gz, default .gpu/resume.tar.gz: each resumes here).
# Where snakemake is missing, the wheels in .whl/ (workflow/scripts/gpu_wheels.sh) are installed first; MNIST is
# read from .gpu/mnist when present (MNIST_DIR wins).
set -uo pipefail
GROUP=${1:-all}
SCALE=${SCALE:-full}
WINDOW_S=${WINDOW_S:-570}
FINISH_S=${FINISH_S:-60}
if [ "$GROUP" != all ] && [ -f .gpu/bench_gpu.json ]; then  # a later window: the first window's benchmark decides
  BENCH_S=${BENCH_S:-0}
  SPEEDUPS_FROM=${SPEEDUPS_FROM:-.gpu/bench_gpu.json}
fi
BENCH_S=${BENCH_S:-240}
START=$(date +%s)
left() { echo $((WINDOW_S - FINISH_S - ($(date +%s) - START))); }
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
  timeout "$(($(left) < BENCH_S ? $(left) : BENCH_S))" "$PY" benchmarks/bench_gpu.py --scale "$SCALE" --out "$OUT/bench_gpu" ${BENCH_ARGS:-} \
    2>&1 | tail -n 60 >>"$OUT/session.log"
fi

# 2. The run: every study, or one group; the report notebooks are rendered afterwards on the CPU.
if [ "$GROUP" = all ]; then
  STUDIES=$("$PY" -c "import yaml; print(','.join(yaml.safe_load(open('workflow/config/config.yaml'))['studies']))")
  MERGE=""
elif [ "$GROUP" = remaining ]; then
  STUDIES=$("$PY" -m vaerep.gpu_window remaining --scale "$SCALE")
  MERGE="--merge"
  if [ -z "$STUDIES" ]; then
    echo "run: the record holds every study; nothing to run" | tee -a "$OUT/session.log"
    exit 0
  fi
else
  STUDIES=$("$PY" -c "import yaml; print(','.join(yaml.safe_load(open('workflow/config/gpu.yaml'))['groups'][$GROUP - 1]))")
  MERGE="--merge"
fi
REPORTS=$("$PY" -c "from vaerep.gpu_window import REPORT_RULES; print(' '.join(REPORT_RULES))")
SPEEDUP_WORDS=()
if [ "${SPEEDUPS:-auto}" = auto ]; then
  mapfile -t SPEEDUP_WORDS < <("$PY" -m vaerep.speedups "${SPEEDUPS_FROM:-$OUT/bench_gpu.json}" --studies "$STUDIES" \
    2>>"$OUT/session.log")
fi
echo "run: scale=$SCALE studies=[$STUDIES] ${SPEEDUP_WORDS[*]+${SPEEDUP_WORDS[*]}} in $WORK" | tee -a "$OUT/session.log"
RESUME_FROM=${RESUME_FROM:-.gpu/resume.tar.gz}
if [ -f "$RESUME_FROM" ]; then
  "$PY" -m vaerep.gpu_window unpack --run "$WORK" --archive "$RESUME_FROM" 2>&1 | tee -a "$OUT/session.log"
fi
T0=$(date +%s)
LIMIT=$(left)
[ -n "${RUN_S:-}" ] && [ "$RUN_S" -lt "$LIMIT" ] && LIMIT=$RUN_S
[ "$LIMIT" -lt 1 ] && LIMIT=1  # `timeout 0` would mean no limit at all
# shellcheck disable=SC2086
timeout -k 10 "$LIMIT" "$PY" -m snakemake -s "$REPO/Snakefile" --directory "$WORK" --cores "$CORES" --keep-going \
  --rerun-incomplete --config scale="$SCALE" "studies=[$STUDIES]" allow_long_run=true ${SPEEDUP_WORDS[@]+"${SPEEDUP_WORDS[@]}"} --omit-from $REPORTS \
  >"$OUT/run.log" 2>&1
RC=$?
WALL=$(($(date +%s) - T0))
echo "run: exit $RC after $WALL s (limit $LIMIT s)" | tee -a "$OUT/session.log"
EXPORT_STUDIES=()
[ -n "$MERGE" ] && EXPORT_STUDIES=(--studies "$STUDIES")  # a group: its own studies, whatever else the folder holds
if [ "$RC" != 0 ]; then  # stopped or failed: which studies did it finish?
  "$PY" -m snakemake -s "$REPO/Snakefile" --directory "$WORK" --unlock --config scale="$SCALE" >/dev/null 2>&1
  FINISHED=$("$PY" -m vaerep.gpu_window finished --run "$WORK" --scale "$SCALE" --studies "$STUDIES" -- \
    ${SPEEDUP_WORDS[@]+"${SPEEDUP_WORDS[@]}"} 2>>"$OUT/session.log")
  echo "run: finished studies: [${FINISHED}]" | tee -a "$OUT/session.log"
  EXPORT_STUDIES=()
  [ -n "$FINISHED" ] && EXPORT_STUDIES=(--studies "$FINISHED")
  "$PY" -m vaerep.gpu_window pack --run "$WORK" --scale "$SCALE" --out "$OUT/resume.tar.gz" 2>&1 \
    | tee -a "$OUT/session.log"
fi
# the usage table (rule `usage` waits for the reports, so it is written here)
(cd "$WORK" && "$PY" -m vaerep.usage "$SCALE") >>"$OUT/session.log" 2>&1

# 3. The record: from a finished run, or the finished studies of a stopped one (a CPU run only when ALLOW_CPU=1).
if [ "$RC" = 0 ] || [ ${#EXPORT_STUDIES[@]} -gt 0 ]; then
  # shellcheck disable=SC2046
  "$PY" -m vaerep.record export --run "$WORK" --to "$REPO" --scale "$SCALE" --wall-seconds "$WALL" $MERGE \
    ${EXPORT_STUDIES[@]+"${EXPORT_STUDIES[@]}"} $([ "${ALLOW_CPU:-0}" = 1 ] && echo --allow-cpu) 2>&1 \
    | tee -a "$OUT/session.log"
  # the record's files only (its manifest), whatever else lies under results/ and figures/
  "$PY" -c "import json, sys; print('\n'.join([sys.argv[1], *json.load(open(sys.argv[1]))['manifest']]))" \
    "results/$SCALE/record.json" | tar czf "$OUT/record.tar.gz" -T -
  cp "results/$SCALE/scorecard.md" "$OUT/" 2>/dev/null
fi
cp "$WORK/results/$SCALE/usage.md" "$OUT/" 2>/dev/null
tail -c 200000 "$OUT/run.log" >"$OUT/run.tail.log" && mv "$OUT/run.tail.log" "$OUT/run.log"
ls -l "$OUT" | tee -a "$OUT/session.log"
exit "$RC"
