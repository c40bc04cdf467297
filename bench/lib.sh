# Shared helpers for the benchmark scripts: servers on 127.0.0.1, free ports,
# temp dirs, stopped by PID at exit. Source it; call bench_init first.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$BENCH_ROOT/build}
SLUICE=${SLUICE:-$BUILD_DIR/sluice}
PGBIN=/usr/lib/postgresql/15/bin
# What bench_cleanup stops, last started first: "PID[:SIGNAL[:SECONDS]]"
# (default TERM, 10 s, then KILL); a negative PID is a process group.
PIDS=()

bench_init() {
  WORK=$(mktemp -d /tmp/sluice-bench-XXXXXX)
  chmod 755 "$WORK"  # the postgres and rabbitmq users reach their dirs inside
  trap bench_cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
}

# stop_pid PID [SIGNAL] [SECONDS]: signal it, wait for it to go, then SIGKILL.
stop_pid() {
  local pid=$1 sig=${2:-TERM} secs=${3:-10} i
  kill -"$sig" -- "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 -- "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "pid $pid still there after ${secs}s of SIG$sig: SIGKILL" >&2
  kill -KILL -- "$pid" 2>/dev/null || true
}

# stop_server PID: stop one server started by a start_* helper (its own
# signal and grace) and forget it.
stop_server() {
  local i entry pid sig secs
  for i in "${!PIDS[@]}"; do
    entry=${PIDS[$i]}
    [ "${entry%%:*}" = "$1" ] || [ "${entry%%:*}" = "-$1" ] || continue
    IFS=: read -r pid sig secs <<<"$entry"
    stop_pid "$pid" "${sig:-TERM}" "${secs:-10}"
    unset "PIDS[$i]"
  done
  PIDS=("${PIDS[@]}")
}

bench_cleanup() {
  local i pid sig secs
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    [ -n "${PIDS[$i]:-}" ] || continue
    IFS=: read -r pid sig secs <<<"${PIDS[$i]}"
    stop_pid "$pid" "${sig:-TERM}" "${secs:-10}"
  done
  PIDS=()
  rm -rf "$WORK"
}

# as_user USER CMD…: CMD as USER when we are root (initdb, postgres and
# rabbitmq refuse root). For a server in the background use
# `as_prefix USER; "${AS[@]}" CMD… &` instead: setpriv execs in place, so $!
# is the server's own PID (a function run with & would be a subshell).
as_prefix() {
  AS=()
  if [ "$(id -u)" -eq 0 ]; then AS=(setpriv --reuid="$1" --regid="$1" --clear-groups --); fi
}
as_user() {
  local user=$1; shift
  as_prefix "$user"
  "${AS[@]}" "$@"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {  # port [seconds]
  local i
  for i in $(seq $((${2:-20} * 20))); do
    (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# start_sluice NAME [ENV=VALUE…]: a `sluice serve` (or $SLUICE_MODE: api, worker)
# on a free port; sets NAME_PORT, NAME_PID.
start_sluice() {
  local name=$1; shift
  local port; port=$(free_port)
  # A worker has no API: it answers on that port as its ops listener.
  local ops=()
  [ "${SLUICE_MODE:-serve}" = worker ] && ops=(SLUICE_HTTP_LISTEN=127.0.0.1:0 SLUICE_HTTP_OPS_LISTEN=127.0.0.1:$port)
  mkdir -p "$WORK/$name"
  env SLUICE_HTTP_LISTEN=127.0.0.1:$port SLUICE_LOG_ACCESS_LOG=false SLUICE_LOG_LEVEL=warn \
      SLUICE_STORE_URL=sqlite://$WORK/$name/sluice.db SLUICE_BROKER_URL=sqlite://$WORK/$name/queue.db \
      "$@" "${ops[@]}" "$SLUICE" "${SLUICE_MODE:-serve}" --config "$BENCH_ROOT/config/sluice.toml" \
      >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port" || { tail -20 "$WORK/$name.log" >&2; return 1; }
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
}

# start_nginx FILE: nginx serving FILE as /page.json (2 workers, no logs); sets NGINX_PORT.
start_nginx() {
  local port; port=$(free_port)
  mkdir -p "$WORK/nginx/html"
  cp "$1" "$WORK/nginx/html/page.json"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
user root;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$port; root $WORK/nginx/html; }
}
CONF
  nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
  PIDS+=("$!")
  wait_port "$port"
  NGINX_PORT=$port
}

# wrk_rate URL [wrk args…]: successful (2xx/3xx) requests/s from a wrk run;
# errors and non-2xx answers do not count (and are reported on stderr).
wrk_rate() {
  local url=$1 out; shift
  out=$(wrk "$@" "$url")
  echo "$out" | awk '
    / requests in / {total = $1}
    /Non-2xx or 3xx responses:/ {bad = $NF}
    /Socket errors:/ {print "wrk: " $0 > "/dev/stderr"}
    /Requests\/sec/ {rps = $2}
    END {
      if (bad > 0) printf "wrk: %d of %d answers were not 2xx/3xx (not counted)\n", bad, total > "/dev/stderr"
      printf "%.2f\n", (total > 0 ? rps * (total - bad) / total : 0)
    }'
}

# json_get FILE PATH: a value from a JSON file (dotted path).
json_get() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{100*a/b:.0f} %' if b else 'n/a')" "$1" "$2"; }

# msgs_per_s: the "= N msgs/s" figure of a raw publish bench's output (stdin).
msgs_per_s() { sed -n 's/.*= \([0-9.]*\) msgs\/s.*/\1/p' | tail -1; }

# ---------------------------------------------------------------- PostgreSQL
# start_postgres NAME: a fresh PostgreSQL 15 cluster in $WORK/NAME (initdb as
# user postgres, trust auth, superuser "sluice"), on a free port on
# 127.0.0.1, fsync on; stopped at exit by SIGINT (fast shutdown).
# Sets NAME_PORT, NAME_PID and NAME_URL (postgresql://sluice@127.0.0.1:PORT,
# append /DB).
start_postgres() {
  local name=$1 dir=$WORK/$1 port pid i
  mkdir -p "$dir/sock"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi
  # -N: initdb need not fsync its files (the server itself runs with fsync on).
  as_user postgres "$PGBIN/initdb" -D "$dir/data" -A trust -U sluice -E UTF8 --locale=C.UTF-8 -N \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  port=$(free_port)
  as_prefix postgres
  "${AS[@]}" "$PGBIN/postgres" -D "$dir/data" -k "$dir/sock" -c listen_addresses=127.0.0.1 \
      -p "$port" -c fsync=on -c max_connections=200 >"$dir/postgres.log" 2>&1 &
  pid=$!
  PIDS+=("$pid:INT:30")
  for ((i = 0; i < 300; i++)); do
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
  done
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || { tail -20 "$dir/postgres.log" >&2; return 1; }
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_URL" '%s' "postgresql://sluice@127.0.0.1:$port"
}

# psql_at URL SQL…: run SQL, print unaligned tuples only.
psql_at() { local url=$1; shift; "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$url" -c "$@"; }

# pg_insert_ceiling_and_sink URL ROWS [BATCH=500]: on database URL (tables made
# by Sluice's own migration, so the schema is the same), first pgbench with one
# client, each transaction one BATCH-row multi-VALUES INSERT … ON CONFLICT
# (message_id) DO NOTHING into users_pgbench (the ceiling), then
# sluice_pg_sink_bench writing the same number of rows through store::write
# into users_sink. Sets PG_INSERT_ROWS_S, PG_SINK_ROWS_S, PG_INSERT_ROWS,
# PG_SINK_ROWS.
pg_insert_ceiling_and_sink() {
  local url=$1 rows=$2 batch=${3:-500} sink=$BUILD_DIR/sluice_pg_sink_bench tx i out tps script
  [ -x "$sink" ] || { echo "$sink not built (cmake --build $BUILD_DIR --target sluice_pg_sink_bench)" >&2; return 1; }
  "$sink" "$url" users_pgbench 0 "$batch" --migrate-only >/dev/null
  "$sink" "$url" users_sink 0 "$batch" --migrate-only >/dev/null
  # One transaction = one BATCH-row insert, values the size of the sink's.
  script=$WORK/insert$batch.sql
  {
    echo "INSERT INTO users_pgbench (message_id, received_at, name, email) VALUES"
    for ((i = 1; i <= batch; i++)); do
      printf "(gen_random_uuid(), now(), 'user-1%05d', 'user-1%05d@example.com')%s\n" "$i" "$i" \
          "$([ "$i" -lt "$batch" ] && echo ,)"
    done
    echo "ON CONFLICT (message_id) DO NOTHING;"
  } >"$script"
  tx=$(((rows + batch - 1) / batch))
  psql_at "$url" "CHECKPOINT"
  out=$(timeout 180 "$PGBIN/pgbench" -n -c 1 -t "$tx" -f "$script" "$url" 2>&1) || { echo "$out" >&2; return 1; }
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
  PG_INSERT_ROWS_S=$(python3 -c "print(round($tps * $batch))")
  psql_at "$url" "CHECKPOINT"
  out=$(timeout 180 "$sink" "$url" users_sink $((tx * batch)) "$batch") || { echo "$out" >&2; return 1; }
  PG_SINK_ROWS_S=$(echo "$out" | sed -n 's/.*rows_per_s=\([0-9.]*\).*/\1/p')
  PG_INSERT_ROWS=$(psql_at "$url" "SELECT count(*) FROM users_pgbench")
  PG_SINK_ROWS=$(psql_at "$url" "SELECT count(*) FROM users_sink")
}

# pg_export URL FORMAT: `sluice export` of every users row on database URL,
# its output to /dev/null (what pg_export_vs_copy times).
pg_export() {
  SLUICE_STORE_URL=$1 SLUICE_LOG_LEVEL=warn timeout 120 "$SLUICE" export \
      --config "$BENCH_ROOT/config/sluice.toml" --resource users \
      --since 2000-01-01T00:00:00Z --until 2100-01-01T00:00:00Z --format "$2" --out /dev/null
}

# pg_export_vs_copy URL ROWS FORMAT: on database URL, the users table is
# migrated (`sluice migrate`, idempotent) and ROWS rows are added by one
# INSERT … SELECT (if the table holds fewer); then pg_export, with the
# server logging statements, gives the exact COPY (SELECT …) TO STDOUT
# statement it sends; the ceiling is psql running that statement with its
# output to /dev/null (one client process reading the same COPY stream in
# both cases). Best of 3 wall-clock runs of each, alternated, process start
# and connection included for both. Sets EXPORT_ROWS_S, COPY_ROWS_S,
# EXPORT_ROWS (rows the export reported).
pg_export_vs_copy() {
  local url=$1 rows=$2 format=$3 have admin i t0 t1 best_e=999999999999 best_c=999999999999 sql out
  admin=${url%/*}/postgres
  SLUICE_STORE_URL=$url SLUICE_BROKER_URL=sqlite://$WORK/export-queue.db SLUICE_LOG_LEVEL=warn \
      "$SLUICE" migrate --config "$BENCH_ROOT/config/sluice.toml" >/dev/null || return 1
  have=$(psql_at "$url" "SELECT count(*) FROM users")
  if [ "$have" -lt "$rows" ]; then
    psql_at "$url" "INSERT INTO users (message_id, received_at, name, email)
      SELECT gen_random_uuid(), now() - g * interval '1 ms', 'Export User ' || g, 'e' || g || '@bench.test'
      FROM generate_series(1, $((rows - have))) g"
    psql_at "$url" "VACUUM ANALYZE users"
  fi
  psql_at "$admin" "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  out=$(pg_export "$url" "$format" 2>&1) || { echo "$out" >&2; return 1; }
  psql_at "$admin" "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
  EXPORT_ROWS=$(echo "$out" | sed -n 's/.*export: \([0-9]*\) rows.*/\1/p')
  sql=$(grep -a 'statement: COPY (SELECT' "$WORK/pg/postgres.log" | tail -1 | sed 's/.*statement: //')
  [ -n "$sql" ] || { echo "the export's COPY statement is not in the server log" >&2; return 1; }
  echo "$sql;" >"$WORK/export-$format.sql"
  for ((i = 0; i < 3; i++)); do
    t0=$(date +%s%N)
    pg_export "$url" "$format" 2>/dev/null
    t1=$(date +%s%N); [ $((t1 - t0)) -lt "$best_e" ] && best_e=$((t1 - t0))
    t0=$(date +%s%N)
    timeout 120 "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$url" -f "$WORK/export-$format.sql" >/dev/null
    t1=$(date +%s%N); [ $((t1 - t0)) -lt "$best_c" ] && best_c=$((t1 - t0))
  done
  EXPORT_ROWS_S=$(python3 -c "print(round(${EXPORT_ROWS:-0} / ($best_e / 1e9)))")
  COPY_ROWS_S=$(python3 -c "print(round(${EXPORT_ROWS:-0} / ($best_c / 1e9)))")
}

# ------------------------------------------------------------------- brokers
# start_redis NAME: redis-server with the AOF fsynced on every write
# (--appendonly yes --appendfsync always, as the tests run it) in $WORK/NAME.
# Sets NAME_PORT, NAME_PID, NAME_URL (redis://127.0.0.1:PORT).
start_redis() {
  local name=$1 dir=$WORK/$1 port pid i
  mkdir -p "$dir"
  port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes --appendfsync always \
      --save "" --daemonize no --logfile "" >"$dir/redis.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  # PONG, not -LOADING: ready.
  for ((i = 0; i < 300; i++)); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] || { tail -20 "$dir/redis.log" >&2; return 1; }
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_URL" '%s' "redis://127.0.0.1:$port"
}

# start_fauxqs NAME: the SNS/SQS emulator fauxqs (npm, installed by `make
# test-deps` under $BUILD_DIR/npm) on 127.0.0.1, ready when GET /health
# answers. Sets NAME_PORT, NAME_PID, NAME_ENDPOINT (http://127.0.0.1:PORT).
# It keeps everything in memory.
start_fauxqs() {
  local name=$1 dir=$WORK/$1 port pid i
  mkdir -p "$dir"
  port=$(free_port)
  FAUXQS_PORT=$port FAUXQS_HOST=127.0.0.1 FAUXQS_LOGGER=false \
      node "$BUILD_DIR/npm/node_modules/fauxqs/dist/cli.js" >"$dir/fauxqs.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for ((i = 0; i < 300; i++)); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 || { tail -20 "$dir/fauxqs.log" >&2; return 1; }
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_ENDPOINT" '%s' "http://127.0.0.1:$port"
}

# start_nats NAME: nats-server with JetStream (file store in $WORK/NAME).
# Sets NAME_PORT, NAME_PID, NAME_URL (nats://127.0.0.1:PORT).
start_nats() {
  local name=$1 dir=$WORK/$1 port pid
  mkdir -p "$dir"
  port=$(free_port)
  nats-server -js -a 127.0.0.1 -p "$port" -sd "$dir/jetstream" >"$dir/nats.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_port "$port" || { tail -20 "$dir/nats.log" >&2; return 1; }
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_URL" '%s' "nats://127.0.0.1:$port"
}

# start_rabbitmq NAME: a RabbitMQ node as user rabbitmq, as the tests start it
# (tests/support/rabbitmq_server.cpp): mnesia, logs and HOME in $WORK/NAME,
# free loopback ports, its own epmd on a free port (so no daemon outlives us),
# the node in its own process group (stopped as a group: beam.smp and its
# helpers). Sets NAME_PORT, NAME_PID (the group), NAME_URL
# (amqp://guest:guest@127.0.0.1:PORT/%2f).
start_rabbitmq() {
  local name=$1 dir=$WORK/$1 port dist epmd_port pid
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  port=$(free_port); dist=$(free_port); epmd_port=$(free_port)
  echo "[]." >"$dir/enabled_plugins"
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users.guest = true\nlog.console = true\nlog.file = false\n' \
      "$port" >"$dir/rabbitmq.conf"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown -R rabbitmq: "$dir"; fi
  as_prefix rabbitmq
  HOME=$dir/home "${AS[@]}" /usr/bin/epmd -port "$epmd_port" -address 127.0.0.1 >"$dir/epmd.log" 2>&1 &
  PIDS+=("$!")
  wait_port "$epmd_port" 10 || { cat "$dir/epmd.log" >&2; return 1; }
  # setsid: a new process group (we are not a group leader, so setsid execs
  # in place and $! is the group's id).
  (cd "$dir" && exec setsid "${AS[@]}" env HOME="$dir/home" \
      RABBITMQ_NODENAME="sluice$port@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist" \
      ERL_EPMD_PORT="$epmd_port" ERL_EPMD_ADDRESS=127.0.0.1 \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-start_epmd false" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
      /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/rabbitmq.log" 2>&1) &
  pid=$!
  PIDS+=("-$pid:TERM:30")
  # The AMQP listener opens last in the boot sequence: open port = ready.
  wait_port "$port" 90 || { tail -30 "$dir/rabbitmq.log" >&2; return 1; }
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_URL" '%s' "amqp://guest:guest@127.0.0.1:$port/%2f"
}

# write_post_lua FILE RECORDS [HEADER VALUE]: a wrk script POSTing unique
# users to /v1/users, one object per request (RECORDS = 1) or an array of
# RECORDS objects; with HEADER and VALUE (e.g. Authorization "Bearer …"),
# every request carries that header too.
write_post_lua() {
  local extra=""
  [ $# -ge 4 ] && extra="[\"$3\"] = \"$4\","
  cat >"$1" <<LUA
local n = 0
local records = $2
request = function()
  n = n + 1
  local items = {}
  for i = 1, records do
    items[i] = '{"name":"Bench","email":"w' .. n .. '-' .. i .. '-' .. math.random(1, 1e9) .. '@bench.test"}'
  end
  local body = records == 1 and items[1] or ('[' .. table.concat(items, ',') .. ']')
  return wrk.format("POST", "/v1/users", {$extra ["Content-Type"] = "application/json"}, body)
end
LUA
}
