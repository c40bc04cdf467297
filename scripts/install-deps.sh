#!/usr/bin/env bash
# Installs the Debian packages Sluice needs: `install-deps.sh build` what
# building and running needs (make run), `install-deps.sh test` (the default)
# also the servers and tools the tests and the benchmark start on loopback;
# `install-deps.sh fuzz` what `make fuzz` needs on top of the build set (clang
# and its libFuzzer/sanitizer runtimes).
# Idempotent: installs only what is missing, and is silent when nothing is.
set -euo pipefail
set_name=${1:-test}

build_packages=(
  # toolchain
  g++ cmake make pkg-config git ca-certificates clang-tidy
  # libraries (Boost 1.81 replaces Debian's default 1.74 -dev packages)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  prometheus-cpp-dev libgtest-dev libssl-dev
  # real backends: client libraries
  libpq-dev libnats-dev libhiredis-dev librabbitmq-dev
)
test_packages=(
  # servers the tests start on loopback (never as system services)
  postgresql-15 postgresql-client-15 nats-server redis-server rabbitmq-server
  prometheus prometheus-alertmanager
  # tools the tests, the quick start and the benchmark use
  curl sqlite3 nginx-light wrk procps openssl
)

fuzz_packages=(clang-14 libclang-rt-14-dev)

case "$set_name" in
  build) packages=("${build_packages[@]}") ;;
  fuzz) packages=("${build_packages[@]}" "${fuzz_packages[@]}") ;;
  test) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: install-deps.sh [build|test|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
