#!/usr/bin/env bash
# Runs ctest in a sanitizer build (make sanitize, make tsan) and fails on any
# sanitizer report, also one that did not fail its test.
#   scripts/sanitize.sh BUILD_DIR asan|tsan CTEST_ARGS...
# Every report goes to BUILD_DIR/sanitizer-logs/<kind>.<pid> (log_path): the
# test binaries' and those of the sluice processes the integration tests
# start, whose stderr nobody reads. Suppressions (scripts/sanitizers/*.supp)
# name third-party libraries only, each with the reason.
set -uo pipefail
build=$1 kind=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
supp=$root/scripts/sanitizers
logs=$(cd "$build" && pwd)/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"

case $kind in
  asan)
    # LeakSanitizer runs at each process's exit (a process killed by a
    # signal it does not handle reports nothing).
    export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:suppressions=$supp/ubsan.supp"
    ;;
  tsan)
    export TSAN_OPTIONS="log_path=$logs/tsan:suppressions=$supp/tsan.supp:second_deadlock_stack=1"
    ;;
  *) echo "usage: sanitize.sh BUILD_DIR asan|tsan CTEST_ARGS..." >&2; exit 2 ;;
esac

# A build dir configured without the sanitizer passes every test and writes
# no report: refuse it (see sanitize_configure in the Makefile).
want=$([ "$kind" = asan ] && echo address,undefined || echo thread)
if ! grep -qx "SLUICE_SANITIZE:STRING=$want" "$build/CMakeCache.txt"; then
  echo "sanitize ($kind): $build is not configured with SLUICE_SANITIZE=$want" \
       "($(grep '^SLUICE_SANITIZE:' "$build/CMakeCache.txt" || echo 'no cache'))" >&2
  exit 1
fi

start=$(date +%s)
(cd "$build" && ctest --output-on-failure --timeout 1200 -j 2 "$@" 2>&1) | tee "$build/ctest.log" \
  | grep -E '^[0-9]+% tests passed|tests failed|^\s+[0-9]+ - |\*\*\*(Failed|Timeout|Exception)'
ctest_rc=${PIPESTATUS[0]}
echo "sanitize ($kind): ctest exit $ctest_rc in $(( $(date +%s) - start )) s (log: $build/ctest.log)"

mapfile -t reports < <(find "$logs" -type f -size +0c | sort)
if [ ${#reports[@]} -gt 0 ]; then
  echo "sanitize ($kind): ${#reports[@]} report file(s) in $logs:"
  for r in "${reports[@]}"; do
    echo "  $r"
    grep -E 'ERROR: |WARNING: |SUMMARY: |runtime error' "$r" | head -3 | sed 's/^/    /'
  done
  exit 1
fi
[ "$ctest_rc" -eq 0 ] || exit 1
echo "sanitize ($kind): no report"
