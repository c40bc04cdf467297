#!/usr/bin/env bash
# Makes the `debian:bookworm-slim` base image locally, so that `make image`
# pulls nothing from a container registry: debootstrap (minbase) from the Debian
# mirror apt already uses, then `podman import`. Skipped when the image exists.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/deploy/containers.conf}
image=${BASE_IMAGE:-debian:bookworm-slim}
if podman image exists "$image"; then exit 0; fi

# The first Debian (not -security, not a third-party) URI in apt's sources.
shopt -s nullglob
mirror=$( { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } \
  | grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | tr -d ' ' | sed -n 1p || true)
[ -n "$mirror" ] || { echo "base-image: no Debian mirror found in apt's sources" >&2; exit 1; }

work=$(mktemp -d /var/tmp/sluice-rootfs.XXXXXX)
# debootstrap mounts proc/sys inside the root while it runs: unmount anything
# left there before removing it, and never cross into another file system.
cleanup() {
  findmnt -rn -o TARGET | grep -F "$work/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
echo "base-image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# apt in the image uses the same mirror as the machine.
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$work/rootfs/etc/apt/sources.list"
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
tar -C "$work/rootfs" --one-file-system -c . | podman import \
  --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$image" >/dev/null
echo "base-image: $image imported"
