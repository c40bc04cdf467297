#!/bin/bash
# The image's entry point (under tini): `serve|api|worker|migrate [ARGS]` runs
# that sluice command with the image's config unless --config is given;
# `healthcheck` asks GET /healthz on the listen port (bash /dev/tcp: no curl
# in the image); anything else runs `sluice ARGS` as it is.
set -euo pipefail
config=${SLUICE_CONFIG:-/etc/sluice/sluice.toml}
case "${1:-serve}" in
  serve|api|worker|migrate)
    cmd=${1:-serve}; shift || true
    for a in "$@"; do [ "$a" = --config ] && exec /usr/local/bin/sluice "$cmd" "$@"; done
    exec /usr/local/bin/sluice "$cmd" --config "$config" "$@" ;;
  healthcheck)
    listen=${SLUICE_HTTP_OPS_LISTEN:-}
    [ -n "$listen" ] || listen=${SLUICE_HTTP_LISTEN:-127.0.0.1:8080}
    port=${listen##*:}
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r -t 3 status <&3
    [[ $status == *" 200 "* ]] ;;
  *) exec /usr/local/bin/sluice "$@" ;;
esac
