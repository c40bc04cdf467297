#!/usr/bin/env bash
# make bench plug-in: horizontal scaling of the subscribers (issue 16). On one
# fresh PostgreSQL 15 cluster and one NATS JetStream server: `sluice api`
# accepts BENCH_WORKER_ROWS rows (POST, batches of 100) with no worker
# running, then 1 (and, on a fresh database and namespace, 2) `sluice worker`
# processes drain the backlog into PostgreSQL; the figure is committed rows/s
# from the first worker's start to the last row, and the ratio 2 : 1 says
# whether a second worker adds throughput or contention.
# Prints ROW|figure|sluice|ceiling|ratio|goal lines (bench/run.sh collects them).
source "$(dirname "$0")/lib.sh"
bench_init
ROWS_N=${BENCH_WORKER_ROWS:-60000}
log() { echo "$*" >&2; }
emit() { echo "ROW|$1|$2|$3|$4|$5"; }
count_users() { psql_at "$1" "SELECT count(*) FROM users" 2>/dev/null || echo 0; }

log "-- PostgreSQL 15 + NATS JetStream: 1 vs 2 worker processes"
start_postgres pg
start_nats nats
declare -A rate
for n in 1 2; do
  db=w$n
  psql_at "$pg_URL/postgres" "CREATE DATABASE $db"
  env_common=(SLUICE_STORE_URL="$pg_URL/$db" SLUICE_BROKER_URL="$nats_URL" SLUICE_BROKER_NAMESPACE="bench$n")
  SLUICE_MODE=api start_sluice "api$n" "${env_common[@]}"
  api_port_var="api${n}_PORT"
  timeout 180 "$SLUICE" bench --url "http://127.0.0.1:${!api_port_var}" --requests $((ROWS_N / 100)) \
      --connections 8 --mix post=1 --batch 100 --freshness-every 0 --json >"$WORK/load$n.json" || true
  accepted=$(($(json_get "$WORK/load$n.json" accepted) * 100))
  log "   $accepted rows accepted into the queue (no worker running)"
  t0=$(date +%s.%N)
  for ((w = 1; w <= n; w++)); do
    SLUICE_MODE=worker start_sluice "worker${n}_$w" "${env_common[@]}"
  done
  last=-1; still=0
  for ((i = 0; i < 1800; i++)); do  # ≤ 180 s, or 10 s without progress
    c=$(count_users "$pg_URL/$db")
    if [ "$c" != "$last" ]; then last=$c; t_last=$(date +%s.%N); still=0; else still=$((still + 1)); fi
    [ "$c" -ge "$accepted" ] && break
    [ "$still" -ge 100 ] && { log "   stalled at $c of $accepted rows"; break; }
    sleep 0.1
  done
  rate[$n]=$(python3 -c "print(f'{$last / ($t_last - $t0):.0f}')")
  log "   $n worker(s): $last rows in $(python3 -c "print(f'{$t_last - $t0:.1f}')") s = ${rate[$n]} rows/s"
  for ((w = 1; w <= n; w++)); do v="worker${n}_${w}_PID"; stop_server "${!v}"; done
  v="api${n}_PID"; stop_server "${!v}"
done
emit "e2e ingest, 1 worker process (NATS → PostgreSQL) rows/s" "${rate[1]}" "" "" ""
emit "e2e ingest, 2 worker processes rows/s (ratio to 1 worker)" "${rate[2]}" "${rate[1]} (1 worker)" \
     "$(ratio "${rate[2]}" "${rate[1]}")" "> 100 %"
echo "workers: 1 → ${rate[1]} rows/s, 2 → ${rate[2]} rows/s, ratio $(ratio "${rate[2]}" "${rate[1]}")" >&2
