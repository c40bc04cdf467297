#!/usr/bin/env bash
# Installs the Debian packages Sluice needs: `install-deps.sh build` what
# building and running needs (make run), `install-deps.sh test` (the default)
# also the servers and tools the tests and the benchmark start on loopback;
# `install-deps.sh fuzz` what `make fuzz` needs on top of the build set (clang
# and its libFuzzer/sanitizer runtimes); `install-deps.sh deploy` what
# `make image`, `make deploy-check` and `make up` need (podman with runc,
# debootstrap for the locally made base image, podman-compose).
# Idempotent: installs only what is missing, and is silent when nothing is.
set -euo pipefail
set_name=${1:-test}

build_packages=(
  # toolchain
  g++ cmake make pkg-config git ca-certificates clang-tidy
  # libraries (Boost 1.81 replaces Debian's default 1.74 -dev packages)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  prometheus-cpp-dev libgtest-dev libssl-dev zlib1g-dev
  # real backends: client libraries
  libpq-dev libnats-dev libhiredis-dev librabbitmq-dev
)
test_packages=(
  # servers the tests start on loopback (never as system services)
  postgresql-15 postgresql-client-15 nats-server redis-server rabbitmq-server
  prometheus prometheus-alertmanager
  # tools the tests, the quick start and the benchmark use
  curl sqlite3 nginx-light libnginx-mod-stream wrk procps openssl
  # the console's browser tests (label ui): headless Chromium driven by playwright-core
  chromium
  # the scale-out drill's load balancer (tests/deploy/scale_drill.sh)
  haproxy
  # fault drills (make faults, tests/faults/): syscall fault injection, slow
  # clients, clock offsets on one process
  strace slowhttptest faketime
)

fuzz_packages=(clang-14 libclang-rt-14-dev)
# crun fails on this kind of machine's hybrid cgroups: runc (deploy/containers.conf).
deploy_packages=(podman runc debootstrap podman-compose curl python3)

case "$set_name" in
  build) packages=("${build_packages[@]}") ;;
  fuzz) packages=("${build_packages[@]}" "${fuzz_packages[@]}") ;;
  test) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  deploy) packages=("${deploy_packages[@]}") ;;
  *) echo "usage: install-deps.sh [build|test|fuzz|deploy]" >&2; exit 2 ;;
esac

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The npm tools the tests use (tests/tools/package.json: exact versions, the lock
# committed), installed into the build directory (SLUICE_NPM_DIR, default
# build/npm) and reinstalled only when the lock file changes. Node.js itself
# comes with the machine; Debian's `nodejs` + `npm` are installed if it does not.
install_npm_tools() {
  local root dest
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  dest=${SLUICE_NPM_DIR:-$root/build/npm}
  if ! command -v npm >/dev/null 2>&1; then
    packages=(nodejs npm)
    install_packages
  fi
  if [ -d "$dest/node_modules" ] && cmp -s "$root/tests/tools/package-lock.json" "$dest/package-lock.json"; then
    return 0
  fi
  echo "install-deps: installing the npm test tools into $dest"
  mkdir -p "$dest"
  cp "$root/tests/tools/package.json" "$root/tests/tools/package-lock.json" "$dest/"
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1) \
    || { cat "$dest/npm.log" >&2; rm -f "$dest/package-lock.json"; exit 1; }
}

install_packages
if [ "$set_name" = test ]; then install_npm_tools; fi
