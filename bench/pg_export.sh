#!/usr/bin/env bash
# `sluice export` against PostgreSQL's own COPY (issue 14), alone (make bench
# measures the same in bench/run-postgres.sh, with the same helper from
# bench/lib.sh): a fresh PostgreSQL 15 cluster (temp dir, 127.0.0.1, fsync
# on), the users table migrated by `sluice migrate`, ROWS rows, then for CSV and
# NDJSON the export to /dev/null against psql running the export's own
# COPY (SELECT …) TO STDOUT statement to /dev/null; best of 3 each.
#
# usage: bench/pg_export.sh [ROWS=200000] [BUILD_DIR=build]
rows=${1:-200000}
BUILD_DIR=$(cd "${2:-build}" && pwd)
source "$(dirname "$0")/lib.sh"
bench_init

start_postgres pg
psql_at "$pg_URL/postgres" "CREATE DATABASE export"
for format in csv ndjson; do
  pg_export_vs_copy "$pg_URL/export" "$rows" "$format"
  echo "$format: $EXPORT_ROWS rows; sluice export $EXPORT_ROWS_S rows/s, psql COPY TO $COPY_ROWS_S rows/s," \
       "ratio $(ratio "$EXPORT_ROWS_S" "$COPY_ROWS_S") (goal >= 80 %)"
done
