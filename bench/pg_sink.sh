#!/usr/bin/env bash
# The PostgreSQL sink benchmark (not a test). On one freshly started
# PostgreSQL 15 cluster (temp dir, 127.0.0.1, fsync on, stopped at the end):
#   1. the ceiling: pgbench, one client, each transaction one 500-row
#      multi-VALUES INSERT … ON CONFLICT (message_id) DO NOTHING into a
#      users-shaped table;
#   2. Sluice's sink: store::write through make_postgres_store (what a
#      subscriber calls), batches of 500, the same number of rows, into an
#      identical table.
# Both tables are created by Sluice's own migration, so the schema (identity
# key, uuid unique, timestamps, CHECKs, (email, id) index) is the same.
# Prints rows/s for both and the ratio (goal: sink ≥ 70 % of the ceiling).
#
# usage: bench/pg_sink.sh [ROWS=200000] [BUILD_DIR=build]
set -euo pipefail

rows=${1:-200000}
build=${2:-build}
batch=500
pgbin=/usr/lib/postgresql/15/bin
sink=$build/sluice_pg_sink_bench
[ -x "$sink" ] || { echo "pg_sink: $sink not built (cmake --build $build --target sluice_pg_sink_bench)" >&2; exit 1; }

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dir=$(mktemp -d /tmp/sluice-pg-bench-XXXXXX)
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
cleanup() {
  # pg_ctl stops exactly this cluster, by the PID in its postmaster.pid.
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$dir/data" -A trust -U sluice -E UTF8 --locale=C.UTF-8 -N >"$dir/initdb.log"
as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
  -o "-k $dir -c listen_addresses=127.0.0.1 -p $port -c fsync=on" start >/dev/null
psql=(/usr/lib/postgresql/15/bin/psql -X -q -h 127.0.0.1 -p "$port" -U sluice)
"${psql[@]}" -d postgres -c "CREATE DATABASE bench"
url="postgresql://sluice@127.0.0.1:$port/bench"
"$sink" "$url" users_pgbench 0 $batch --migrate-only
"$sink" "$url" users_sink 0 $batch --migrate-only

# One transaction = one 500-row multi-VALUES insert, values the size of the sink's.
script="$dir/insert500.sql"
{
  echo "INSERT INTO users_pgbench (message_id, received_at, name, email) VALUES"
  for i in $(seq 1 $batch); do
    sep=$([ "$i" -lt $batch ] && echo "," || echo "")
    echo "(gen_random_uuid(), now(), 'user-1$(printf %05d "$i")', 'user-1$(printf %05d "$i")@example.com')$sep"
  done
  echo "ON CONFLICT (message_id) DO NOTHING;"
} >"$script"

tx=$(( (rows + batch - 1) / batch ))
"${psql[@]}" -d bench -c "CHECKPOINT"
pgbench_out=$(as_pg "$pgbin/pgbench" -n -c 1 -t "$tx" -f "$script" -h 127.0.0.1 -p "$port" -U sluice bench 2>&1)
tps=$(echo "$pgbench_out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
ceiling=$(python3 -c "print(round($tps * $batch))")

"${psql[@]}" -d bench -c "CHECKPOINT"
sink_out=$("$sink" "$url" users_sink $((tx * batch)) $batch)
sink_rate=$(echo "$sink_out" | sed -n 's/.*rows_per_s=\([0-9.]*\).*/\1/p')

pg_rows=$("${psql[@]}" -d bench -At -c "SELECT count(*) FROM users_pgbench")
sink_rows=$("${psql[@]}" -d bench -At -c "SELECT count(*) FROM users_sink")
echo "rows: pgbench=$pg_rows sink=$sink_rows (batches of $batch, one client each, fsync on)"
echo "pgbench 500-row multi-VALUES insert (ceiling): $ceiling rows/s"
echo "sluice sink (store::write, postgres):          $sink_rate rows/s"
python3 -c "r = $sink_rate / $ceiling; print(f'ratio: {r:.1%} (goal >= 70%): ' + ('PASS' if r >= 0.7 else 'BELOW GOAL'))"
