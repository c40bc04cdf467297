#!/usr/bin/env bash
# make faults (issue 15): runs the fault drills of tests/faults/ in their full
# version (SLUICE_FAULTS_FULL=1) — or only those whose name matches FAULTS —
# and writes bench/results/faults.md: one row per drill and backend with the
# ledger checker's columns, the fault window and the recovery time.
# Usage: scripts/faults.sh BUILD_DIR [FAULTS regex]
# SLUICE_FAULTS_FULL=0 runs the short versions (those of make test) instead.
set -uo pipefail
full=${SLUICE_FAULTS_FULL:-1}
build=${1:-build}
filter=${2:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$build" && pwd)
out=$root/bench/results/faults.md
rows=$build/faults-rows.md
ledgers=$build/faults-ledgers
rm -f "$rows"
rm -rf "$ledgers" && mkdir -p "$ledgers" "$(dirname "$out")"
start=$(date +%s)
args=(-R "^drill_.*${filter}" --output-on-failure --timeout 1200 -j 1)
(cd "$build" && SLUICE_FAULTS_FULL=$full SLUICE_FAULTS_RESULTS="$rows" SLUICE_FAULTS_LEDGERS="$ledgers" \
  ctest "${args[@]}") | tee "$build/faults.log"
status=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - start ))
# Every row names the run that measured it (last column). A run with FAULTS
# set replaces only the rows of the drills it ran (same drill and backend,
# "×N" aside) and keeps the others from the table as it was.
commit=$(git -C "$root" rev-parse --short HEAD)
# Measured with uncommitted changes to the code or the drills: say so.
git -C "$root" diff --quiet HEAD -- src tests scripts CMakeLists.txt || commit="$commit+changes"
run="$commit $(date -u +%Y-%m-%dT%H:%MZ)$([ "$full" = 1 ] || echo ' short')"
new=$build/faults-new-rows.md
: > "$new"
[ -f "$rows" ] && sed -E "s/\$/ $run |/" "$rows" > "$new"
kept=$build/faults-kept-rows.md
: > "$kept"
if [ -n "$filter" ] && [ -f "$out" ]; then
  # Rows of the old table (those written before the run column existed get
  # the run named in that table's header) whose drill and backend did not run now.
  legacy=$(sed -nE 's/^Commit ([0-9a-f]+), ([0-9T:-]+Z),.*/\1 \2/p' "$out" | head -1)
  grep -q '^\*\*short versions\*\*' "$out" && legacy="$legacy short"
  awk -F'|' -v legacy="$legacy" '
    function key(line,   f) { split(line, f, "|"); d = f[2]; gsub(/ ×[0-9]+/, "", d);
                             gsub(/^ +| +$/, "", d); b = f[3]; gsub(/^ +| +$/, "", b); return d "|" b }
    FILENAME == ARGV[1] { seen[key($0)] = 1; next }
    /^\| drill \|/ || /^\|---/ || !/^\| / { next }
    seen[key($0)] { next }
    { if (NF == 16) { sub(/ *$/, ""); print $0 " " legacy " |" } else print }
  ' "$new" "$out" > "$kept"
fi
{
  echo "# Fault drills (make faults)"
  echo
  echo "Last run: commit $commit, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores;"
  echo "run time $((elapsed / 60)) min $((elapsed % 60)) s${filter:+, FAULTS=$filter}; ctest exit $status;"
  if [ "$full" = 1 ]; then echo "full versions."; else echo "**short versions** (make test's sizes: ×2 kills, no 60 s outage; drills marked make-faults-only skipped)."; fi
  if [ -s "$kept" ]; then
    echo "It replaced the rows of the drills it ran; the others are kept from earlier runs (column \"run\": commit, time, short = make test's sizes)."
  fi
  echo "Columns: requests sent; accepted records (202/201); lost (202'd, no row, no dead letter);"
  echo "doubled (two rows, or row + dead letter); phantom (a row for a refused request);"
  echo "indeterminate records (timeout, broken connection, outcome unknown: 0 or 1 row, never 2);"
  echo "dead-lettered accepted records; 5xx answers without Retry-After / all 5xx; the longest"
  echo "time with no successful POST; the fault window; the recovery time (to the first success"
  echo "after the fault, unless the row says otherwise); the verdict: the drill's own test result,"
  echo "pass only when every check it makes held (the ledger's and its goal, e.g. drill 8's P99);"
  echo "the run that measured the row."
  echo "Ledgers: $(basename "$build")/faults-ledgers/."
  echo
  echo "| drill | queue/store | requests | accepted | lost | doubled | phantom | indeterminate | dead letters | 5xx no Retry-After / 5xx | longest gap | fault window | recovery | verdict | run |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  cat "$kept" "$new" | sort -t'|' -k2,2V -s
  echo
  echo "Not run or failed in the last run (ctest; \"Skipped\" = make faults only): $(grep -E '^\s+[0-9]+ - ' "$build/faults.log" | sed -E 's/^\s+[0-9]+ - //' | tr '\n' ' ')"
} > "$out"
echo "faults: wrote $out"
exit "$status"
