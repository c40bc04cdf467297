#!/usr/bin/env bash
# `redocly lint` (its recommended rules) on the document `sluice openapi`
# prints for a configuration: exit 0 only when it reports no error.
#   lint.sh SLUICE_BINARY CONFIG NPM_DIR
set -euo pipefail
bin=$1 config=$2 npm=$3
redocly=$npm/node_modules/.bin/redocly
[ -x "$redocly" ] || { echo "FAIL: $redocly missing: run make test-deps"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" openapi --config "$config" >"$out/openapi.json"
# Offline: no telemetry, no update check.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
"$redocly" lint --format=stylish "$out/openapi.json"
