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
# make bench measures the same thing in bench/run-postgres.sh (the same
# helpers from bench/lib.sh).
#
# usage: bench/pg_sink.sh [ROWS=200000] [BUILD_DIR=build]
rows=${1:-200000}
BUILD_DIR=$(cd "${2:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
bench_init

start_postgres pg
psql_at "$pg_URL/postgres" "CREATE DATABASE bench"
pg_insert_ceiling_and_sink "$pg_URL/bench" "$rows" 500

echo "rows: pgbench=$PG_INSERT_ROWS sink=$PG_SINK_ROWS (batches of 500, one client each, fsync on)"
echo "pgbench 500-row multi-VALUES insert (ceiling): $PG_INSERT_ROWS_S rows/s"
echo "sluice sink (store::write, postgres):          $PG_SINK_ROWS_S rows/s"
python3 -c "r = $PG_SINK_ROWS_S / $PG_INSERT_ROWS_S; print(f'ratio: {r:.1%} (goal >= 70%): ' + ('PASS' if r >= 0.7 else 'BELOW GOAL'))"
