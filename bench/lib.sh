# Shared helpers for the benchmark scripts: servers on 127.0.0.1, free ports,
# temp dirs, stopped by PID at exit. Source it; call bench_init first.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLUICE=${SLUICE:-$BENCH_ROOT/build/sluice}
PIDS=()

bench_init() {
  WORK=$(mktemp -d /tmp/sluice-bench-XXXXXX)
  chmod 755 "$WORK"
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
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

# start_sluice NAME [ENV=VALUE…]: a `sluice serve` on a free port; sets NAME_PORT, NAME_PID.
start_sluice() {
  local name=$1; shift
  local port; port=$(free_port)
  mkdir -p "$WORK/$name"
  env SLUICE_HTTP_LISTEN=127.0.0.1:$port SLUICE_LOG_ACCESS_LOG=false SLUICE_LOG_LEVEL=warn \
      SLUICE_STORE_URL=sqlite://$WORK/$name/sluice.db SLUICE_BROKER_URL=sqlite://$WORK/$name/queue.db \
      "$@" "$SLUICE" serve --config "$BENCH_ROOT/config/sluice.toml" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port"
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

# wrk_rate URL [wrk args…]: requests/s from a wrk run.
wrk_rate() {
  local url=$1; shift
  wrk "$@" "$url" | awk '/Requests\/sec/ {print $2}'
}

# json_get FILE PATH: a value from a JSON file (dotted path).
json_get() {
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{100*a/b:.0f} %' if b else 'n/a')" "$1" "$2"; }
