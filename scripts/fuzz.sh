#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its seed corpus (make fuzz).
#   scripts/fuzz.sh BUILD_DIR SECONDS TARGET...
# New inputs go to BUILD_DIR/corpus/<target> (the repo's seeds stay as they
# are); a crash, leak, sanitizer report or timeout fails that target and its
# input is kept as BUILD_DIR/artifacts/<target>-crash-…. Exit 1 if any failed.
set -uo pipefail
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)

# Bytes per input: a little past what the server itself would take (header
# and query limits), so the limits' own checks are fuzzed too.
max_len() {
  case $1 in
    request_head) echo 12288 ;;
    record_json) echo 65536 ;;
    list_query) echo 8192 ;;
    config) echo 16384 ;;
    auth_header) echo 8192 ;;
    page_form) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

failed=()
for t in "$@"; do
  work="$build/corpus/$t"
  mkdir -p "$work" "$build/artifacts"
  echo "fuzz: $t for ${seconds}s"
  if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "$work" "$root/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "$build/fuzz-$t.log" | sed "s/^/  /"
  else
    echo "fuzz: $t FAILED (log: $build/fuzz-$t.log)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$build/fuzz-$t.log" | head -5 | sed "s/^/  /"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: no finding in ${*}"
