#!/usr/bin/env bash
# The scale-out drill (issue 16; `make scale-drill`, ctest -L fault), on
# 127.0.0.1 only: a 3-node NATS cluster (streams at num_replicas 3),
# PostgreSQL primary + streaming replica (pg_basebackup -R; GET pages from
# the replica through store.read_url), 2 `sluice api` behind haproxy,
# 2 `sluice worker`. Under steady load it kill -9s one NATS node, then one
# api, then one worker, then restarts them, and checks the ledger: every 202'd
# record is exactly one row (0 lost, 0 doubled), 5xx only while a node is down
# and always with Retry-After, and no read-your-writes probe (POST wait → 201
# → GET with Sluice-Min-Version) is served a page without its row.
# usage: scale_drill.sh BUILD_DIR   (PHASE_SECONDS, default 8)
set -euo pipefail
build=$(cd "${1:?usage: scale_drill.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
sluice=$build/sluice
phase_s=${PHASE_SECONDS:-8}
pgbin=/usr/lib/postgresql/15/bin
for t in "$sluice" "$pgbin/initdb" /usr/sbin/nats-server /usr/sbin/haproxy /usr/bin/python3; do
  [ -x "$t" ] || { echo "scale-drill: missing $t (make test-deps)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/sluice-scale-drill.XXXXXX)
chmod 755 "$work"
declare -A pid=()
log() { echo "scale-drill: $*"; }
stop_all() {
  local n
  for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}" 2>/dev/null || true; done
  for n in "${!pid[@]}"; do
    for _ in $(seq 1 100); do kill -0 "${pid[$n]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid[$n]}" 2>/dev/null || true
  done
  [ -n "${KEEP_DRILL_DIR:-}" ] || rm -rf "$work"
}
trap stop_all EXIT
trap 'echo "scale-drill: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # URL, name: bounded wait for 200
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "scale-drill: $2 did not become ready ($1)" >&2; tail -n 30 "$work/$2.log" >&2 || true; exit 1
}

# ---- NATS: 3 nodes, one cluster, JetStream on each -------------------------
declare -a nats_port nats_cport
for i in 1 2 3; do nats_port[$i]=$(free_port); nats_cport[$i]=$(free_port); done
routes="nats://127.0.0.1:${nats_cport[1]},nats://127.0.0.1:${nats_cport[2]},nats://127.0.0.1:${nats_cport[3]}"
start_nats() {
  local i=$1
  mkdir -p "$work/nats$i"
  /usr/sbin/nats-server -js -a 127.0.0.1 -p "${nats_port[$i]}" -sd "$work/nats$i" -n "n$i" \
    --cluster_name sluice-drill --cluster "nats://127.0.0.1:${nats_cport[$i]}" --routes "$routes" \
    >"$work/nats$i.log" 2>&1 &
  pid[nats$i]=$!
}
for i in 1 2 3; do start_nats $i; done
# Every Sluice process gets the three nodes as its seed list (broker.url,
# comma-separated): libnats connects to one at random and fails over to the
# others when it dies.
broker_url="nats://127.0.0.1:${nats_port[1]},nats://127.0.0.1:${nats_port[2]},nats://127.0.0.1:${nats_port[3]}"

# ---- PostgreSQL primary + streaming replica --------------------------------
pg_port=$(free_port); rep_port=$(free_port)
mkdir -p "$work/sock" "$work/pg" "$work/replica"; chown postgres "$work/sock" "$work/pg" "$work/replica"
chmod 700 "$work/pg" "$work/replica"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -A trust -U sluice -E UTF8 --locale=C.UTF-8 -N >"$work/initdb.log" 2>&1
start_pg() {  # name dir port
  runuser -u postgres -- "$pgbin/postgres" -D "$2" -k "$work/sock" -c listen_addresses=127.0.0.1 -p "$3" \
    -c fsync=on -c max_connections=200 -c hot_standby=on >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 1 300); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$3" && return 0; sleep 0.1; done
  echo "scale-drill: $1 did not start" >&2; tail "$work/$1.log" >&2; exit 1
}
chown postgres "$work"
start_pg pg "$work/pg" "$pg_port"
psql_p() { psql -X -qAt -h 127.0.0.1 -p "$1" -U sluice "${@:2}"; }
psql_p "$pg_port" -d postgres -c 'CREATE DATABASE sluice' >/dev/null
runuser -u postgres -- "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U sluice -D "$work/replica" -R -X stream >"$work/basebackup.log" 2>&1
start_pg replica "$work/replica" "$rep_port"
[ "$(psql_p "$rep_port" -d sluice -c 'SELECT pg_is_in_recovery()')" = t ] || { echo "scale-drill: replica not in recovery" >&2; exit 1; }
log "NATS cluster on ${nats_port[*]}, PostgreSQL primary :$pg_port, replica :$rep_port (streaming)"

# ---- Sluice: migrate, 2 api, 2 worker --------------------------------------
export SLUICE_STORE_URL="postgres://sluice@127.0.0.1:$pg_port/sluice"
export SLUICE_BROKER_URL=$broker_url SLUICE_BROKER_REPLICAS=3 SLUICE_BROKER_NAMESPACE=drill
export SLUICE_BROKER_VISIBILITY_TIMEOUT_MS=3000 SLUICE_STORE_MIGRATE_ON_START=false
export SLUICE_LOG_ACCESS_LOG=false SLUICE_HTTP_THREADS=1 SLUICE_STORE_CONNECT_TIMEOUT_MS=2000
cfg=$root/config/sluice.toml
migrated=
for _ in $(seq 1 20); do  # the cluster needs its JetStream meta leader first
  "$sluice" migrate --config "$cfg" >"$work/migrate.log" 2>&1 && { migrated=1; break; }
  sleep 0.5
done
[ -n "$migrated" ] || { echo "scale-drill: sluice migrate failed" >&2; cat "$work/migrate.log" >&2; exit 1; }
declare -A port ops
start_sluice() {  # name role
  local n=$1 role=$2
  [ -n "${port[$n]:-}" ] || { port[$n]=$(free_port); ops[$n]=$(free_port); }
  SLUICE_HTTP_LISTEN=127.0.0.1:${port[$n]} SLUICE_HTTP_OPS_LISTEN=127.0.0.1:${ops[$n]} \
  SLUICE_STORE_READ_URL="postgres://sluice@127.0.0.1:$rep_port/sluice" \
    "$sluice" "$role" --config "$cfg" >>"$work/$n.log" 2>&1 &
  pid[$n]=$!
}
for n in api1 api2; do start_sluice $n api; done
for n in worker1 worker2; do start_sluice $n worker; done
for n in api1 api2 worker1 worker2; do wait_http "http://127.0.0.1:${ops[$n]}/readyz" $n; done

# ---- haproxy ----------------------------------------------------------------
lb_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 2000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  # A request that could not reach an api (refused, reset before an answer)
  # goes to the other one: safe, every POST carries an Idempotency-Key.
  retry-on conn-failure empty-response response-timeout
  # haproxy's own 502/503/504 say when to come back, as Sluice's do.
  http-error status 502 content-type application/problem+json string '{"status":502,"title":"no api answered"}' hdr Retry-After 1
  http-error status 503 content-type application/problem+json string '{"status":503,"title":"no api available"}' hdr Retry-After 1
  http-error status 504 content-type application/problem+json string '{"status":504,"title":"the api did not answer in time"}' hdr Retry-After 1
frontend sluice
  bind 127.0.0.1:$lb_port
  default_backend api
backend api
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  server api1 127.0.0.1:${port[api1]} check port ${ops[api1]} inter 300 fall 2 rise 2
  server api2 127.0.0.1:${port[api2]} check port ${ops[api2]} inter 300 fall 2 rise 2
CFG
/usr/sbin/haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pid[haproxy]=$!
wait_http "http://127.0.0.1:$lb_port/readyz" haproxy
log "2 api (:${port[api1]} :${port[api2]}) behind haproxy :$lb_port, 2 workers; phases of ${phase_s} s"

# ---- the load, the faults, the ledger ---------------------------------------
# The load generator writes one line per phase boundary it is told of through
# $work/phase (the phase name); the report and the verdict come from it.
echo steady >"$work/phase"
/usr/bin/python3 "$here/scale_drill_load.py" --url "http://127.0.0.1:$lb_port" --phase-file "$work/phase" \
  --ledger "$work/ledger.json" --stop-file "$work/stop" >"$work/load.log" 2>&1 &
pid[load]=$!
next_phase() { echo "$1" >"$work/phase"; log "phase $1"; }
sleep "$phase_s"
next_phase nats-node-down; kill -KILL "${pid[nats1]}"; unset 'pid[nats1]'; sleep "$phase_s"
next_phase api-down; kill -KILL "${pid[api1]}"; unset 'pid[api1]'; sleep "$phase_s"
next_phase worker-down; kill -KILL "${pid[worker1]}"; unset 'pid[worker1]'; sleep "$phase_s"
next_phase restarting
start_nats 1; start_sluice api1 api; start_sluice worker1 worker
wait_http "http://127.0.0.1:${ops[api1]}/readyz" api1; wait_http "http://127.0.0.1:${ops[worker1]}/readyz" worker1
next_phase recovered; sleep "$phase_s"
touch "$work/stop"
for _ in $(seq 1 600); do kill -0 "${pid[load]}" 2>/dev/null || break; sleep 0.1; done
unset 'pid[load]'
[ -s "$work/ledger.json" ] || { echo "scale-drill: the load generator failed" >&2; cat "$work/load.log" >&2; exit 1; }

# Drain: every accepted record must become a row (bounded wait).
accepted=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["accepted"]))' "$work/ledger.json")
for _ in $(seq 1 600); do
  rows=$(psql_p "$pg_port" -d sluice -c "SELECT count(*) FROM users WHERE email LIKE 'drill-%'")
  [ "$rows" -ge "$accepted" ] && break
  sleep 0.1
done
psql_p "$pg_port" -d sluice -c "SELECT email, count(*) FROM users WHERE email LIKE 'drill-%' GROUP BY email" >"$work/rows.txt"
replica_scans=$(psql_p "$rep_port" -d sluice -c "SELECT coalesce(sum(coalesce(idx_scan,0)+coalesce(seq_scan,0)),0) FROM pg_stat_user_tables WHERE relname='users'")
lag=$(psql_p "$pg_port" -d sluice -c "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)),0) FROM pg_stat_replication")
/usr/bin/python3 "$here/scale_drill_load.py" --report "$work/ledger.json" --rows "$work/rows.txt" \
  --replica-scans "$replica_scans" --replica-lag-bytes "$lag" --phase-seconds "$phase_s"
