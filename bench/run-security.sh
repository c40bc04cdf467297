#!/usr/bin/env bash
# make bench plug-in (issue 12): what authentication and TLS cost, as ratios
# against the open, plain-HTTP figures measured here in the same run — POST →
# 202 (one record per request) and a cached GET page, wrk closed loop:
#   open      auth.mode = "none", plain HTTP (the baseline, measured before
#             and after the others; the ratios use the mean of both runs)
#   API key   auth.mode = "required", Authorization: Bearer slk_… (one HMAC
#             per request, no cache)            goal ≥ 0.9 × open
#   JWT       the same server, Authorization: Bearer <HS256 JWT>
#   TLS       auth off, TLS 1.3 on the listener (wrk keeps its connections,
#             so this is the record layer, not handshakes)   goal ≥ 0.8 × open
# Prints ROW|figure|sluice|ceiling|ratio|goal lines on stdout (collected by
# bench/run.sh), progress on stderr. Every step is bounded in time.
source "$(dirname "$0")/lib.sh"
bench_init
DUR=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
PEPPER=bench-pepper-0123456789abcdef

log() { echo "$*" >&2; }
emit() { echo "ROW|$1|$2|$3|$4|$5"; }

# seed BASE [HEADER VALUE]: 10 rows committed, so that the GET page is a real one.
seed() {
  local base=$1 body="[" i
  local args=(-s -o /dev/null -H 'Content-Type: application/json' -H 'Prefer: wait=10')
  [ $# -ge 3 ] && args+=(-H "$2: $3")
  for i in $(seq 10); do body+="{\"name\":\"Seed\",\"email\":\"s$i@bench.test\"},"; done
  curl -k "${args[@]}" -d "${body%,}]" "$base/v1/users"
}

# measure NAME BASE [HEADER VALUE]: sets NAME_post and NAME_get (req/s).
measure() {
  local name=$1 base=$2 hdr=() post get
  shift 2
  [ $# -ge 2 ] && hdr=(-H "$1: $2")
  write_post_lua "$WORK/post-$name.lua" 1 "$@"
  log "-- $name: POST → 202 and GET /v1/users?limit=10 (wrk, $CONNS connections, ${DUR}s each)"
  post=$(wrk_rate "$base/v1/users" -t2 -c"$CONNS" -d"${DUR}s" -s "$WORK/post-$name.lua")
  get=$(wrk_rate "$base/v1/users?limit=10" -t2 -c"$CONNS" -d"${DUR}s" "${hdr[@]}")
  printf -v "${name}_post" '%s' "$post"
  printf -v "${name}_get" '%s' "$get"
  log "   POST $post/s, GET $get/s"
}

# Credentials: an API key (sluice keys create), an HS256 secret and a JWT of it.
KEYS=$WORK/keys.json
key=$(SLUICE_AUTH_PEPPER=$PEPPER "$SLUICE" keys create --keys-file "$KEYS" \
        --scopes publish:users,read:users --name bench | tail -1)
head -c 48 /dev/urandom | base64 -w0 >"$WORK/jwt-secret"
jwt=$(python3 - "$WORK/jwt-secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
secret = open(sys.argv[1], "rb").read()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "bench", "iss": "bench", "aud": "sluice", "exp": int(time.time()) + 3600,
                       "scope": "publish:users read:users"}).encode())
sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null

start_sluice open
seed "http://127.0.0.1:$open_PORT"
measure open1 "http://127.0.0.1:$open_PORT"
stop_server "$open_PID"

start_sluice authd SLUICE_AUTH_MODE=required SLUICE_AUTH_KEYS_FILE="$KEYS" SLUICE_AUTH_PEPPER=$PEPPER \
    SLUICE_AUTH_JWT_PEM_FILE="$WORK/jwt-secret" SLUICE_AUTH_JWT_ISSUER=bench SLUICE_AUTH_JWT_AUDIENCE=sluice
seed "http://127.0.0.1:$authd_PORT" Authorization "Bearer $key"
measure key "http://127.0.0.1:$authd_PORT" Authorization "Bearer $key"
measure jwt "http://127.0.0.1:$authd_PORT" Authorization "Bearer $jwt"
stop_server "$authd_PID"

start_sluice tls SLUICE_HTTP_TLS_CERT_FILE="$WORK/tls.crt" SLUICE_HTTP_TLS_KEY_FILE="$WORK/tls.key"
seed "https://127.0.0.1:$tls_PORT"
measure tls "https://127.0.0.1:$tls_PORT"
stop_server "$tls_PID"

start_sluice open2
seed "http://127.0.0.1:$open2_PORT"
measure open2 "http://127.0.0.1:$open2_PORT"
stop_server "$open2_PID"

mean() { python3 -c "import sys; print(f'{(float(sys.argv[1]) + float(sys.argv[2])) / 2:.2f}')" "$1" "$2"; }
open_post=$(mean "$open1_post" "$open2_post")
open_get=$(mean "$open1_get" "$open2_get")
log "   open baseline: POST $open1_post then $open2_post/s; GET $open1_get then $open2_get/s"
emit "POST → 202 with an API key req/s" "$key_post" "$open_post (open)" "$(ratio "$key_post" "$open_post")" "≥ 90 %"
emit "GET page cached with an API key req/s" "$key_get" "$open_get (open)" "$(ratio "$key_get" "$open_get")" "≥ 90 %"
emit "POST → 202 with a JWT (HS256) req/s" "$jwt_post" "$open_post (open)" "$(ratio "$jwt_post" "$open_post")" "(for comparison)"
emit "GET page cached with a JWT (HS256) req/s" "$jwt_get" "$open_get (open)" "$(ratio "$jwt_get" "$open_get")" "(for comparison)"
emit "POST → 202 over TLS 1.3 req/s" "$tls_post" "$open_post (plain)" "$(ratio "$tls_post" "$open_post")" "≥ 80 %"
emit "GET page cached over TLS 1.3 req/s" "$tls_get" "$open_get (plain)" "$(ratio "$tls_get" "$open_get")" "≥ 80 %"
