#!/usr/bin/env bash
# make bench plug-in: Sluice on PostgreSQL against pgbench and nginx, on one
# fresh PostgreSQL 15 cluster (initdb as user postgres, 127.0.0.1, fsync on):
#   A. pgbench running the very SQL Sluice runs for GET /v1/users?limit=10
#      (captured from the server's log) on the same rows, same concurrency,
#      vs Sluice's uncached GET (cache off);
#   cached GET (cache on) vs nginx serving the same bytes, and the hit ratio;
#   B. pgbench 500-row multi-VALUES INSERT … ON CONFLICT DO NOTHING vs Sluice's
#      sink (store::write, sluice_pg_sink_bench);
#   C. psql running `sluice export`'s own COPY (SELECT …) TO STDOUT to
#      /dev/null vs `sluice export --out /dev/null`, CSV and NDJSON;
#   end-to-end ingest: POST (batches of 100) → embedded queue → subscriber →
#      PostgreSQL rows, committed rows/s vs B.
# Prints ROW|figure|sluice|ceiling|ratio|goal lines on stdout (collected by
# bench/run.sh), progress on stderr. Every step is bounded in time.
source "$(dirname "$0")/lib.sh"
bench_init
DUR=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
SEED_ROWS=${BENCH_PG_ROWS:-20000}        # rows in the users table for the GETs
SINK_ROWS=${BENCH_PG_SINK_ROWS:-200000}  # rows for pgbench's and the sink's insert
EXPORT_ROWS_N=${BENCH_PG_EXPORT_ROWS:-200000}  # rows `sluice export` and COPY TO read
# Issue 14's read: two filters and order on an indexed field (email), one
# page of the (email, id) index range; every seeded row is "Bench User N",
# "u<run id>-N-I@bench.test", so the page is full and one statement serves
# it. Not gte.u5: the run id is 8 random hex digits, so in 5 runs of 16
# (first digit 0-4) no row matched, and pgbench ran an empty-page query
# (one such run: 9,174 vs 61,499 req/s, 15 %).
FILTERED="/v1/users?name=like.Bench*&email=gte.u&order=email.asc&limit=10"
INGEST_BATCH=100

log() { echo "$*" >&2; }
emit() { echo "ROW|$1|$2|$3|$4|$5"; }
count_users() { psql_at "$1" "SELECT count(*) FROM users"; }
# wait_rows URL N SECONDS: until the users table holds N rows (or time is up).
wait_rows() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(count_users "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  log "only $(count_users "$1") of $2 rows after $3 s"
  return 1
}
cache_counter() {  # BASE_URL hit|miss
  curl -s "$1/metrics" | awk -v r="$2" '$1 ~ /^sluice_cache_requests_total\{/ && $1 ~ "result=\"" r "\"" {n += $2} END {print n + 0}'
}

log "-- PostgreSQL 15 cluster (fsync on)"
start_postgres pg
for db in reads sink ingest export; do psql_at "$pg_URL/postgres" "CREATE DATABASE $db"; done

# ---------------------------------------------------------------- GET uncached
start_sluice pgnc SLUICE_STORE_URL="$pg_URL/reads" SLUICE_CACHE_ENABLED=false
base=http://127.0.0.1:$pgnc_PORT
log "-- seeding $SEED_ROWS rows through POST (batches of 100)"
timeout 120 "$SLUICE" bench --url "$base" --requests $((SEED_ROWS / 100)) --connections 4 --mix post=1 \
    --batch 100 --freshness-every 0 --json >"$WORK/seed.json" || true
wait_rows "$pg_URL/reads" "$SEED_ROWS" 60 || true
psql_at "$pg_URL/reads" "VACUUM ANALYZE users"

# The exact statement Sluice prepares for the page: logged once by the server.
psql_at "$pg_URL/postgres" "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
curl -s "$base/v1/users?limit=10" >"$WORK/page-uncached.json"
curl -s "$base$FILTERED" >"$WORK/page-filtered.json"
psql_at "$pg_URL/postgres" "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
sql=$(grep -a 'execute [^:]*: SELECT id, .* FROM users ORDER BY id ASC LIMIT \$1' "$WORK/pg/postgres.log" |
      tail -1 | sed 's/.*execute [^:]*: //') || true
if [ -z "$sql" ]; then
  log "Sluice's GET statement not found in the server log; using the documented one"
  ts() { echo "to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"; }
  sql="SELECT id, '{\"id\":' || id || ',\"name\":' || coalesce(to_json(name)::text, 'null') || ',\"email\":' || coalesce(to_json(email)::text, 'null') || ',\"message_id\":\"' || message_id || '\",\"received_at\":\"' || $(ts received_at) || '\",\"stored_at\":\"' || $(ts stored_at) || '\"}' FROM users ORDER BY id ASC LIMIT \$1"
fi
log "   statement: ${sql:0:90}…"
# pgbench reads ":name" as a variable even inside a string literal, so the
# literals holding ':MI:SS' are written as E'…\x3aMI\x3aSS…' (the same constant).
python3 - "$sql" >"$WORK/get.sql" <<'PY'
import re, sys
def lit(m):
    t = m.group(0)
    if not re.search(r":[A-Za-z_]", t):
        return t
    return "E" + t.replace("\\", "\\\\").replace(":", "\\x3a")
sql = re.sub(r"(?<![A-Za-z])'(?:[^']|'')*'", lit, sys.argv[1])
print("\\set lim 10")
print(sql.replace("$1", ":lim") + ";")
PY

log "-- ceiling A: pgbench, that statement, -M prepared, $CONNS clients, -j 2, ${DUR}s"
out=$(timeout $((DUR + 60)) "$PGBIN/pgbench" -n -M prepared -c "$CONNS" -j 2 -T "$DUR" -f "$WORK/get.sql" \
      "$pg_URL/reads" 2>&1) || { log "$out"; }
pgbench_get=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
[ -n "$pgbench_get" ] && pgbench_get=$(printf '%.2f' "$pgbench_get")
log "-- Sluice GET /v1/users?limit=10, cache off (wrk, $CONNS connections, ${DUR}s)"
get_nc=$(wrk_rate "$base/v1/users?limit=10" -t2 -c"$CONNS" -d"${DUR}s")
emit "GET page uncached from PostgreSQL req/s" "$get_nc" "${pgbench_get:-?} (pgbench, same SQL)" \
     "$(ratio "$get_nc" "${pgbench_get:-0}")" "≥ 60 %"

# The filtered, ordered GET against pgbench running its statement, captured
# from the same log: the statement and its bound parameters (the DETAIL
# line after it), which pgbench binds as -D variables under -M prepared.
python3 - "$WORK/pg/postgres.log" "$WORK/filtered.sql" "$WORK/filtered.args" <<'PY' || log "the filtered GET's statement was not found in the server log"
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
at = max(i for i, l in enumerate(lines) if re.search(r"execute [^:]*: SELECT id, .* FROM users WHERE .* ORDER BY email", l))
sql = re.sub(r".*execute [^:]*: ", "", lines[at])
detail = next(l for l in lines[at + 1:at + 3] if "parameters:" in l)
params = dict(re.findall(r"\$(\d+) = '((?:[^']|'')*)'", detail))
def lit(m):
    t = m.group(0)
    return "E" + t.replace("\\", "\\\\").replace(":", "\\x3a") if re.search(r":[A-Za-z_]", t) else t
sql = re.sub(r"(?<![A-Za-z])'(?:[^']|'')*'", lit, sql)
sql = re.sub(r"\$(\d+)", lambda m: ":p" + m.group(1), sql)
open(sys.argv[2], "w").write(sql + ";\n")
open(sys.argv[3], "w").write("".join(f"-Dp{n}={v.replace(chr(39) * 2, chr(39))}\n" for n, v in params.items()))
PY
pgbench_filtered=""
if [ -s "$WORK/filtered.sql" ]; then
  log "   statement: $(head -c 90 "$WORK/filtered.sql")… ($(tr '\n' ' ' <"$WORK/filtered.args"))"
  mapfile -t fargs <"$WORK/filtered.args"
  log "-- pgbench, that statement and parameters, -M prepared, $CONNS clients, -j 2, ${DUR}s"
  out=$(timeout $((DUR + 60)) "$PGBIN/pgbench" -n -M prepared -c "$CONNS" -j 2 -T "$DUR" "${fargs[@]}" \
        -f "$WORK/filtered.sql" "$pg_URL/reads" 2>&1) || { log "$out"; }
  pgbench_filtered=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
  [ -n "$pgbench_filtered" ] && pgbench_filtered=$(printf '%.2f' "$pgbench_filtered")
fi
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/page-filtered.json" 2>/dev/null)" = 10 ] ||
  { log "warning: the filtered page does not hold 10 rows: no ratio"; pgbench_filtered=""; }
log "-- Sluice GET $FILTERED, cache off (wrk, $CONNS connections, ${DUR}s)"
get_f=$(wrk_rate "$base$FILTERED" -t2 -c"$CONNS" -d"${DUR}s")
emit "GET 2 filters + order=email, uncached (PostgreSQL) req/s" "$get_f" \
     "${pgbench_filtered:-?} (pgbench, same SQL)" "$(ratio "$get_f" "${pgbench_filtered:-0}")" "≥ 60 %"
stop_server "$pgnc_PID"

# ------------------------------------------------------------------ GET cached
start_sluice pgc SLUICE_STORE_URL="$pg_URL/reads"
base=http://127.0.0.1:$pgc_PORT
curl -s "$base/v1/users?limit=10" >"$WORK/page.json"
cmp -s "$WORK/page.json" "$WORK/page-uncached.json" || log "warning: cached and uncached pages differ"
log "-- cached GET ($(stat -c %s "$WORK/page.json") bytes) vs nginx serving the same bytes (wrk, $CONNS connections, ${DUR}s)"
start_nginx "$WORK/page.json"
nginx_rps=$(wrk_rate "http://127.0.0.1:$NGINX_PORT/page.json" -t2 -c"$CONNS" -d"${DUR}s")
hit0=$(cache_counter "$base" hit); miss0=$(cache_counter "$base" miss)
get_c=$(wrk_rate "$base/v1/users?limit=10" -t2 -c"$CONNS" -d"${DUR}s")
hit1=$(cache_counter "$base" hit); miss1=$(cache_counter "$base" miss)
emit "GET page cached (PostgreSQL store) req/s" "$get_c" "$nginx_rps (nginx)" "$(ratio "$get_c" "$nginx_rps")" "≥ 60 %"
hits=$((hit1 - hit0)); lookups=$((hit1 - hit0 + miss1 - miss0))
emit "read cache hit ratio during that run" "$(ratio "$hits" "$lookups")" "$hits of $lookups lookups" "" "(reported)"
stop_server "$pgc_PID"
# Where the time goes: with max_staleness_ms = 0 every hit still reads the
# table's version from PostgreSQL; allowing 100 ms of staleness removes that.
start_sluice pgs SLUICE_STORE_URL="$pg_URL/reads" SLUICE_CACHE_MAX_STALENESS_MS=100
log "-- cached GET with cache.max_staleness_ms = 100 (version read at most every 100 ms)"
get_s=$(wrk_rate "http://127.0.0.1:$pgs_PORT/v1/users?limit=10" -t2 -c"$CONNS" -d"${DUR}s")
emit "GET page cached, max_staleness_ms=100 req/s" "$get_s" "$nginx_rps (nginx)" "$(ratio "$get_s" "$nginx_rps")" "(for comparison)"
stop_server "$pgs_PID"

# ------------------------------------------------------- batched insert vs sink
log "-- ceiling B: pgbench 500-row multi-VALUES insert vs Sluice's sink, $SINK_ROWS rows each, one client"
pg_insert_ceiling_and_sink "$pg_URL/sink" "$SINK_ROWS" 500
emit "PostgreSQL sink (store::write, 500-row batches) rows/s" "$PG_SINK_ROWS_S" \
     "$PG_INSERT_ROWS_S (pgbench 500-row INSERT)" "$(ratio "$PG_SINK_ROWS_S" "$PG_INSERT_ROWS_S")" "≥ 70 %"

# ------------------------------------------------------- export vs COPY TO
for format in csv ndjson; do
  log "-- ceiling C: psql COPY (SELECT …) TO STDOUT vs sluice export --format $format, $EXPORT_ROWS_N rows, best of 3"
  pg_export_vs_copy "$pg_URL/export" "$EXPORT_ROWS_N" "$format"
  emit "sluice export --format $format (PostgreSQL) rows/s" "$EXPORT_ROWS_S" \
       "$COPY_ROWS_S (psql COPY TO, same SQL)" "$(ratio "$EXPORT_ROWS_S" "$COPY_ROWS_S")" "≥ 80 %"
done

# ---------------------------------------------------------- end-to-end ingest
start_sluice ing SLUICE_STORE_URL="$pg_URL/ingest"
base=http://127.0.0.1:$ing_PORT
psql_at "$pg_URL/ingest" "CHECKPOINT"
log "-- end-to-end ingest: POST (batches of $INGEST_BATCH, closed loop, 8 connections, ${DUR}s) → queue → PostgreSQL"
start_count=$(count_users "$pg_URL/ingest")
t0=$(date +%s.%N)
timeout $((DUR + 30)) "$SLUICE" bench --url "$base" --duration "${DUR}s" --connections 8 --mix post=1 \
    --batch "$INGEST_BATCH" --freshness-every 0 --json >"$WORK/ingest.json" || true
t_load=$(date +%s.%N)
expected=$(($(json_get "$WORK/ingest.json" accepted) * INGEST_BATCH))
# Until every accepted row is committed (bounded: 90 s, or 10 s without progress).
last=-1; t_last=$t0; still=0
for ((i = 0; i < 900; i++)); do
  n=$(count_users "$pg_URL/ingest")
  if [ "$n" != "$last" ]; then last=$n; t_last=$(date +%s.%N); still=0; else still=$((still + 1)); fi
  [ "$n" -ge $((start_count + expected)) ] && break
  [ "$still" -ge 100 ] && { log "ingest stalled at $n of $expected rows"; break; }
  sleep 0.1
done
read -r ingest_rate accept_rate drain_s < <(python3 -c "
t0, tl, te = $t0, $t_load, $t_last
rows = $last - $start_count
print(f'{rows / (te - t0):.0f} {$expected / (tl - t0):.0f} {te - tl:.1f}')")
log "   accepted $expected rows in $(python3 -c "print(f'{$t_load - $t0:.1f}')") s ($accept_rate rows/s); last committed ${drain_s} s after the load ended"
emit "end-to-end ingest into PostgreSQL rows/s (202 → committed)" "$ingest_rate" \
     "$PG_INSERT_ROWS_S (pgbench 500-row INSERT)" "$(ratio "$ingest_rate" "$PG_INSERT_ROWS_S")" "≥ 50 %"
