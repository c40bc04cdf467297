#!/usr/bin/env bash
# Instructions per request (issue 17): `sluice serve` on the embedded default
# under callgrind, one io thread, driven by `sluice bench --requests N`.
# Instruction counts do not depend on how busy the machine is, so these are
# the figures to compare across commits on a shared machine.
#
# Each figure is (instructions while N requests ran and their rows were
# written) - (instructions of an idle interval as long), divided by N: the
# in-process subscriber's work for a POST is included, start-up and
# background polling are not. CG_KEEP=DIR keeps the profiles there
# (callgrind_annotate reads them). Prints "ROW|…" lines like the other run-*.sh,
# and a human summary on stderr. CG_REQUESTS sets N (default 2000).
source "$(dirname "$0")/lib.sh"
bench_init
N=${CG_REQUESTS:-2000}
WARM=300

command -v valgrind >/dev/null || { echo "valgrind not installed: no callgrind rows" >&2; exit 0; }

port=$(free_port)
mkdir -p "$WORK/cg"
env SLUICE_HTTP_LISTEN=127.0.0.1:$port SLUICE_HTTP_THREADS=1 SLUICE_LOG_ACCESS_LOG=false \
    SLUICE_LOG_LEVEL=warn SLUICE_STORE_URL=sqlite://$WORK/cg/sluice.db \
    SLUICE_BROKER_URL=sqlite://$WORK/cg/queue.db \
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg/out.%p" \
    "$SLUICE" serve --config "$BENCH_ROOT/config/sluice.toml" >"$WORK/cg.log" 2>&1 &
pid=$!
PIDS+=("$pid:TERM:60")
wait_port "$port" 120 || { tail -20 "$WORK/cg.log" >&2; exit 1; }
base=http://127.0.0.1:$port

rows() { sqlite3 "file:$WORK/cg/sluice.db?mode=ro" 'SELECT count(*) FROM users' 2>/dev/null || echo 0; }
# Waits (bounded: 120 s) until the store holds $1 rows.
wait_rows() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [ "$(rows)" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "callgrind bench: store holds $(rows) rows, expected $1" >&2
  return 1
}
# Total instructions since the last zeroing (dumps, reads the newest file's totals).
instructions() {
  callgrind_control -d "$pid" >/dev/null 2>&1
  local f; f=$(ls -t "$WORK"/cg/out."$pid"* | head -1)
  [ -z "${CG_KEEP:-}" ] || cp "$f" "$CG_KEEP/"
  awk '/^(summary|totals):/ {print $2; exit}' "$f"
}
load() {  # mix requests
  "$SLUICE" bench --url "$base" --requests "$2" --connections 8 --mix "$1" --batch 1 \
      --freshness-every 0 --get-query limit=10 --json >/dev/null 2>&1 || true
}
idle_for() {  # seconds → instructions of an idle interval that long
  callgrind_control -z "$pid" >/dev/null 2>&1
  sleep "$1"
  instructions
}

load post=1 "$WARM"
wait_rows "$WARM"
load get=1 "$WARM"

callgrind_control -z "$pid" >/dev/null 2>&1
t0=$(date +%s.%N)
load post=1 "$N"
wait_rows $((WARM + N))
post_ir=$(instructions)
t_post=$(python3 -c "print(max(0.0, $(date +%s.%N) - $t0))")
idle_post=$(idle_for "$t_post")

callgrind_control -z "$pid" >/dev/null 2>&1
t0=$(date +%s.%N)
load get=1 "$N"
get_ir=$(instructions)
t_get=$(python3 -c "print(max(0.0, $(date +%s.%N) - $t0))")
idle_get=$(idle_for "$t_get")

per() { python3 -c "print(round(max(0, $1 - $2) / $N))"; }
post_per=$(per "$post_ir" "$idle_post")
get_per=$(per "$get_ir" "$idle_get")
echo "callgrind: POST $post_ir Ir (idle $idle_post) / $N = $post_per; GET $get_ir Ir (idle $idle_get) / $N = $get_per" >&2
echo "ROW|instructions per POST → 202 incl. its row (callgrind, 1 io thread)|$post_per|80000 (goal)|$(python3 -c "print(f'{80000/$post_per:.2f}×')")|≤ 80,000"
echo "ROW|instructions per cached GET page (callgrind, 1 io thread)|$get_per|25000 (goal)|$(python3 -c "print(f'{25000/$get_per:.2f}×')")|≤ 25,000"
