#!/usr/bin/env bash
# Service benchmarks (issue 3): Switchback and moto side by side in one run on this machine, then
# Switchback and a bare axum endpoint under wrk. Loopback only; every run is bounded in time.
#
#   bench/service.sh                      # everything: 10 s runs, medians of 3 (about 15 minutes)
#   REPEATS=1 DURATION=5 bench/service.sh # a quick look
#   SKIP_MOTO=1 SKIP_BOTO=1 bench/service.sh  # wrk only (Switchback vs the bare endpoint)
#
# 1. builds `switchback` and the `bare` example in release;
# 2. starts `switchback serve` on a free port with a temporary data directory, and moto with
#    ../shared/bench/start-moto.sh (its virtualenv is target/bench/venv-moto, created once);
# 3. runs ../shared/bench/throughput.py (boto3) against both for the modes standard,
#    express-async and express-sync at 1 and 8 threads, alternating the servers; moto has no
#    StartSyncExecution: one short probe records its error;
# 4. drives Switchback with wrk (bench/start_sync.lua, bench/start_execution.lua) and the bare
#    endpoint (bench/bare.lua) with 1 and 8 connections;
# 5. records the servers' memory idle (before any load) and at peak (VmHWM), and prints the
#    summary (bench/summarise.py). Results: $OUT (target/bench/service-<time>/ by default).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-"1 8"}
MODES=${MODES:-"standard express-async express-sync"}
SKIP_MOTO=${SKIP_MOTO:-0}
SKIP_BOTO=${SKIP_BOTO:-0}
SKIP_WRK=${SKIP_WRK:-0}
# Bounded: at most 30 s per run and 5 repeats.
[ "$DURATION" -gt 30 ] && DURATION=30
[ "$REPEATS" -gt 5 ] && REPEATS=5
OUT=${OUT:-$ROOT/target/bench/service-$(date +%Y%m%dT%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VENV=${VENV:-$ROOT/target/bench/venv-moto}
DATA=$(mktemp -d "${TMPDIR:-/tmp}/switchback-bench.XXXXXX")

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_http() { # url
  for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "nothing answers on $1" >&2; return 1
}
sfn() { # port target body
  curl -sf -X POST "http://127.0.0.1:$1/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: AWSStepFunctions.$2" -d "$3"
}

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$DATA"
}
trap cleanup EXIT

echo "== build (release)"
# Two commands: with `--example`, cargo builds only the example, not the binaries.
cargo build --release --quiet -p switchback
cargo build --release --quiet -p api --example bare
# SWITCHBACK_BIN runs another build (an older one, to compare) instead of the one just built.
BIN=${SWITCHBACK_BIN:-$ROOT/target/release/switchback}
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (+ uncommitted changes)')"
  echo "server binary: $BIN"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version)"
  echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "duration: ${DURATION}s, repeats: $REPEATS"
} > "$OUT/machine.txt"

SB_PORT=$(free_port)
RUST_LOG=${SWITCHBACK_LOG:-} "$BIN" serve --bind "127.0.0.1:$SB_PORT" --data-dir "$DATA" \
  > "$OUT/switchback.log" 2>&1 &
SB_PID=$!
PIDS+=("$SB_PID")
wait_http "http://127.0.0.1:$SB_PORT/health"
sleep 1
echo "switchback_idle_rss_kb $(rss_kb "$SB_PID")" >> "$OUT/memory.txt"
echo "switchback pid $SB_PID on 127.0.0.1:$SB_PORT (data $DATA)"

if [ "$SKIP_MOTO" != 1 ] && [ "$SKIP_BOTO" != 1 ]; then
  MOTO_PORT=$(free_port)
  (cd "$OUT" && PORT=$MOTO_PORT VENV=$VENV "$SHARED/start-moto.sh")
  MOTO_PID=$(cat "$OUT/moto.pid")
  PIDS+=("$MOTO_PID")
  sleep 1
  echo "moto_idle_rss_kb $(rss_kb "$MOTO_PID")" >> "$OUT/memory.txt"
  echo "moto_version $("$VENV/bin/python" -c 'import moto; print(moto.__version__)')" >> "$OUT/memory.txt"
fi
PY=$VENV/bin/python
[ -x "$PY" ] || PY=python3

if [ "$SKIP_BOTO" != 1 ]; then
  echo "== boto3 client (throughput.py), ${DURATION}s runs"
  for rep in $(seq 1 "$REPEATS"); do
    for mode in $MODES; do
      for threads in $THREADS; do
        servers="switchback"
        [ "$SKIP_MOTO" != 1 ] && [ "$mode" != express-sync ] && servers="switchback moto"
        for server in $servers; do
          if [ "$server" = switchback ]; then port=$SB_PORT; pid=$SB_PID; else port=$MOTO_PORT; pid=$MOTO_PID; fi
          out="$OUT/boto-$server-$mode-t$threads-r$rep.json"
          "$PY" "$SHARED/throughput.py" --endpoint "http://127.0.0.1:$port" --mode "$mode" \
            --threads "$threads" --duration "$DURATION" --server-pid "$pid" --verify 5 --out "$out" \
            > /dev/null
          python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], r['mode'], r['threads'], r['calls_per_s'], 'calls/s p50', r['latency_ms']['p50'], 'p99', r['latency_ms']['p99'], 'errors', r['errors'])" "$out" "$server"
        done
      done
    done
  done
  if [ "$SKIP_MOTO" != 1 ]; then
    # moto has no StartSyncExecution: record what it answers.
    "$PY" "$SHARED/throughput.py" --endpoint "http://127.0.0.1:$MOTO_PORT" --mode express-sync \
      --threads 1 --duration 1 --warmup 0 --max-calls 5 --out "$OUT/boto-moto-express-sync-probe.json" > /dev/null || true
  fi
fi

if [ "$SKIP_WRK" != 1 ]; then
  echo "== wrk against switchback and the bare endpoint, ${DURATION}s runs"
  BARE_PORT=$(free_port)
  "$ROOT/target/release/examples/bare" "127.0.0.1:$BARE_PORT" > "$OUT/bare.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
  wait_http "http://127.0.0.1:$BARE_PORT/"
  sleep 0.5
  echo "bare_idle_rss_kb $(rss_kb "$BARE_PID")" >> "$OUT/memory.txt"
  definition='{\"StartAt\":\"Basic Choice\",\"States\":{\"Basic Choice\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.type\",\"StringEquals\":\"B\",\"Next\":\"Passed\"},{\"Variable\":\"$.type\",\"StringEquals\":\"C\",\"Next\":\"Passed\"},{\"Variable\":\"$.type\",\"StringEquals\":\"D\",\"Next\":\"Passed\"},{\"Variable\":\"$.type\",\"StringEquals\":\"A\",\"Next\":\"Failed\"}]},\"Passed\":{\"Type\":\"Succeed\"},\"Failed\":{\"Type\":\"Fail\"}},\"TimeoutSeconds\":30}'
  role=arn:aws:iam::123456789012:role/DummyStepFunctionsRole
  tag=$(date +%s)
  express_arn=$(sfn "$SB_PORT" CreateStateMachine "{\"name\":\"wrk-express-$tag\",\"type\":\"EXPRESS\",\"roleArn\":\"$role\",\"definition\":\"$definition\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stateMachineArn"])')
  standard_arn=$(sfn "$SB_PORT" CreateStateMachine "{\"name\":\"wrk-standard-$tag\",\"type\":\"STANDARD\",\"roleArn\":\"$role\",\"definition\":\"$definition\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stateMachineArn"])')
  # One call of each, checked, before the load.
  sfn "$SB_PORT" StartSyncExecution "{\"stateMachineArn\":\"$express_arn\",\"input\":\"{\\\"type\\\":\\\"B\\\"}\"}" | grep -q '"status":"SUCCEEDED"'
  sfn "$SB_PORT" StartExecution "{\"stateMachineArn\":\"$standard_arn\",\"input\":\"{\\\"type\\\":\\\"B\\\"}\"}" | grep -q executionArn
  export BENCH_DIR=$ROOT/bench
  for rep in $(seq 1 "$REPEATS"); do
    for conns in $THREADS; do
      wrk_threads=$(( conns < 2 ? conns : 2 ))
      for target in bare start_sync start_execution; do
        if [ "$target" = bare ]; then port=$BARE_PORT; pid=$BARE_PID; else port=$SB_PORT; pid=$SB_PID; fi
        arn=$express_arn
        [ "$target" = start_execution ] && arn=$standard_arn
        STATE_MACHINE_ARN=$arn RUN_ID="r$tag-$rep-$conns" python3 "$ROOT/bench/run_wrk.py" \
          --server-pid "$pid" --label "$target-c$conns" --out "$OUT/wrk-$target-c$conns-r$rep.json" -- \
          wrk -t"$wrk_threads" -c"$conns" -d"${DURATION}s" --timeout 5s -s "$ROOT/bench/$target.lua" \
          "http://127.0.0.1:$port/"
      done
    done
  done
  # The executions wrk started are in the store and succeeded.
  sfn "$SB_PORT" ListExecutions "{\"stateMachineArn\":\"$standard_arn\",\"statusFilter\":\"RUNNING\",\"maxResults\":5}" \
    > "$OUT/standard-still-running.json"
  echo "bare_peak_rss_kb $(awk '/^VmHWM/ {print $2}' "/proc/$BARE_PID/status")" >> "$OUT/memory.txt"
fi

sleep 1
echo "switchback_after_rss_kb $(rss_kb "$SB_PID")" >> "$OUT/memory.txt"
echo "switchback_peak_rss_kb $(awk '/^VmHWM/ {print $2}' "/proc/$SB_PID/status")" >> "$OUT/memory.txt"
if [ -n "${MOTO_PID:-}" ]; then
  echo "moto_after_rss_kb $(rss_kb "$MOTO_PID")" >> "$OUT/memory.txt"
  echo "moto_peak_rss_kb $(awk '/^VmHWM/ {print $2}' "/proc/$MOTO_PID/status")" >> "$OUT/memory.txt"
fi
echo "switchback_db_bytes $(du -sb "$DATA" | cut -f1)" >> "$OUT/memory.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
python3 "$ROOT/bench/summarise.py" "$OUT" | tee "$OUT/summary.md"
