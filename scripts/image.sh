#!/usr/bin/env bash
# `make image`: builds the Sluice container image with podman, nothing pulled
# from a container registry (the base is made locally by base-image.sh; the
# build's apt-get uses the Debian mirror apt uses). --network host keeps the
# build's traffic on the machine's own network. A CCACHE_DIR in the
# environment is mounted into the build and reused.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/deploy/containers.conf}
image=${IMAGE:-sluice:latest}
bash "$root/scripts/base-image.sh"
# docker format: the OCI image format has no HEALTHCHECK.
args=(--pull=never --network host --layers --format docker -t "$image" -f "$root/Dockerfile"
      --build-arg "JOBS=${JOBS:-1}"
      --build-arg "REVISION=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)")
if [ -n "${CCACHE_DIR:-}" ] && [ -d "$CCACHE_DIR" ]; then args+=(-v "$CCACHE_DIR:/ccache"); fi
echo "image: building $image"
podman build "${args[@]}" "$root"
podman image inspect "$image" --format 'image: {{.Id}} {{.Size}} bytes, user {{.Config.User}}'
