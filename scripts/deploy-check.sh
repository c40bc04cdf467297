#!/usr/bin/env bash
# `make deploy-check`: the container smoke test. Runs `sluice serve` from the
# image (host network, 127.0.0.1 only), checks /healthz, the HEALTHCHECK and
# the non-root user, POSTs a record (Prefer: wait → 201), GETs it back, then
# SIGTERMs the container (podman stop) and requires exit status 0 before the
# grace period ends. Prints one line per check; exit 1 on the first failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/deploy/containers.conf}
image=${IMAGE:-sluice:latest}
grace_ms=10000   # http.shutdown_grace_ms of the shipped config
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
name=sluice-deploy-check-$$
base=http://127.0.0.1:$port
fail() { echo "deploy-check: FAIL: $*" >&2; podman logs --tail 40 "$name" >&2 2>&1 || true; exit 1; }
cleanup() { podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

podman image exists "$image" || fail "no image $image (make image)"
# --health-interval disable: no systemd timer here; `podman healthcheck run` below runs it once.
podman run -d --name "$name" --network host --pull=never \
  --health-interval disable -e SLUICE_HTTP_LISTEN=127.0.0.1:$port -e SLUICE_LOG_ACCESS_LOG=false \
  "$image" serve >/dev/null
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
  [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || fail "container exited at start"
  sleep 0.1
done
curl -fsS -o /dev/null "$base/readyz" || fail "/readyz not 200"
echo "deploy-check: serving on $base (healthz, readyz 200)"
uid=$(podman exec "$name" id -u); [ "$uid" != 0 ] || fail "runs as root"
pid1=$(podman exec "$name" cat /proc/1/comm); [ "$pid1" = tini ] || fail "PID 1 is $pid1, not tini"
# The HEALTHCHECK's command, run in the container; and podman's own run of
# the HEALTHCHECK when the image carries it (docker format: make image).
podman exec "$name" /usr/local/bin/sluice-entrypoint healthcheck || fail "the healthcheck command failed"
hc=defined
if [ "$(podman image inspect -f '{{if .HealthCheck}}yes{{end}}' "$image")" = yes ]; then
  podman healthcheck run "$name" >/dev/null || fail "HEALTHCHECK failed"
  hc="healthy (podman healthcheck run)"
else
  hc="command passed; this image carries no HEALTHCHECK (built in OCI format, not by make image)"
fi
echo "deploy-check: user uid $uid, PID 1 $pid1, HEALTHCHECK $hc"

email="deploy-check-$$@example.com"
code=$(curl -sS -o /tmp/deploy-check-post.$$ -w '%{http_code}' "$base/v1/users" \
  -H 'Content-Type: application/json' -H 'Prefer: wait=10' \
  -d "{\"name\":\"Deploy Check\",\"email\":\"$email\"}")
[ "$code" = 201 ] || fail "POST answered $code: $(cat /tmp/deploy-check-post.$$)"
got=$(curl -fsS "$base/v1/users?email=eq.$email")
rm -f /tmp/deploy-check-post.$$
grep -q "\"email\":\"$email\"" <<<"$got" || fail "GET did not return the row: $got"
echo "deploy-check: POST 201 then GET returned the row"

start=$(date +%s%N)
# podman stop: SIGTERM, then SIGKILL (exit 137) once the grace period is over.
podman stop -t $((grace_ms / 1000)) "$name" >/dev/null
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
status=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] || fail "exit status $status after SIGTERM (137: killed at the end of the grace period)"
echo "deploy-check: SIGTERM -> exit 0 in ${elapsed_ms} ms (grace ${grace_ms} ms)"
echo "deploy-check: passed"
