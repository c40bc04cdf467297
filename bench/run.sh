#!/usr/bin/env bash
# make bench: Sluice against this machine's own ceilings, measured in the same
# run on loopback; prints a table and writes bench/results/latest.md.
# Every step is bounded in time (the whole suite stays well under 15 minutes).
source "$(dirname "$0")/lib.sh"
bench_init
DUR=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
ROWS=()   # "figure|sluice|ceiling|ratio|goal"
row() { ROWS+=("$1|$2|$3|$4|$5"); echo "  $1: $2 vs $3 → $4 (goal $5)"; }

echo "== embedded default (SQLite queue and store)"
start_sluice emb
base=http://127.0.0.1:$emb_PORT
# Seed rows so that a GET page is a real page.
"$SLUICE" bench --url "$base" --requests 2000 --connections 8 --mix post=1 --batch 10 \
    --freshness-every 0 --json >"$WORK/seed.json" || true
sleep 1
curl -s "$base/v1/users?limit=10" >"$WORK/page.json"
page_bytes=$(stat -c %s "$WORK/page.json")

echo "-- GET /v1/users?limit=10 ($page_bytes bytes) vs nginx serving the same bytes (wrk, $CONNS connections, ${DUR}s)"
start_nginx "$WORK/page.json"
nginx_rps=$(wrk_rate "http://127.0.0.1:$NGINX_PORT/page.json" -t2 -c"$CONNS" -d"${DUR}s")
get_rps=$(wrk_rate "$base/v1/users?limit=10" -t2 -c"$CONNS" -d"${DUR}s")
row "GET page cached (embedded SQLite store) req/s" "$get_rps" "$nginx_rps (nginx)" "$(ratio "$get_rps" "$nginx_rps")" "≥ 60 %"

echo "-- POST → 202, durable, closed loop (wrk, $CONNS connections, ${DUR}s)"
write_post_lua "$WORK/post.lua" 1
post_rps=$(wrk_rate "$base/v1/users" -t2 -c"$CONNS" -d"${DUR}s" -s "$WORK/post.lua")
row "POST → 202 on the embedded queue req/s" "$post_rps" "20000 (goal)" "$(ratio "$post_rps" 20000)" "≥ 20,000/s"

echo "-- latency at half the maximum POST rate, mix post=20,get=80 (sluice bench, open loop)"
half=$(python3 -c "print(int(float('$post_rps')/2))")
"$SLUICE" bench --url "$base" --rate "$half" --duration "${DUR}s" --warmup 1s --connections 64 \
    --mix post=20,get=80 --freshness-every 20 --json --plot "$WORK/latency.svg" >"$WORK/half.json" || true
get_p99=$(json_get "$WORK/half.json" ops.get.latency.p99_ms)
post_p99=$(json_get "$WORK/half.json" ops.post.latency.p99_ms)
fresh_p99=$(json_get "$WORK/half.json" freshness.p99_ms)
row "GET P99 at $half/s (ms)" "$get_p99" "5" "" "≤ 5 ms"
row "POST P99 at $half/s (ms)" "$post_p99" "5" "" "≤ 5 ms"
row "freshness P99 202 → row readable (ms)" "$fresh_p99" "50" "" "≤ 50 ms"
mkdir -p "$BENCH_ROOT/bench/results"
cp "$WORK/latency.svg" "$BENCH_ROOT/bench/results/latest-latency.svg"

rss_kb=$(awk '/VmHWM/ {print $2}' /proc/"$emb_PID"/status)
row "peak resident memory (MB)" "$((rss_kb / 1024))" "100" "" "≤ 100 MB"

# Backends measured by their own scripts when present (PostgreSQL, brokers).
for extra in "$BENCH_ROOT"/bench/run-*.sh; do
  [ -x "$extra" ] || continue
  echo "== $(basename "$extra")"
  while IFS='|' read -r a b c d e; do row "$a" "$b" "$c" "$d" "$e"; done < <(timeout 300 "$extra" | grep '^ROW|' | cut -d'|' -f2-) || true
done

out="$BENCH_ROOT/bench/results/latest.md"
{
  echo "# make bench — $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores"
  echo
  echo "| figure | Sluice | ceiling / target | ratio | goal |"
  echo "|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "Latency plot: bench/results/latest-latency.svg"
} >"$out"
echo
cat "$out"
