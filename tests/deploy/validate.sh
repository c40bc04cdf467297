#!/usr/bin/env bash
# The deployment artifacts' validators (ctest -L deploy), all offline:
#   validate.sh workflows|dockerfile|k8s|terraform NPM_DIR
# NPM_DIR is where `make test-deps` installed tests/tools/package.json.
set -euo pipefail
what=$1 npm=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$npm/node_modules/.bin
case "$what" in
  workflows)
    # GitHub's workflow schema (and expression checks) via @action-validator/cli.
    n=0
    for f in "$root"/.github/workflows/*.yml; do
      "$bin/action-validator" "$f" || { echo "FAIL $f"; exit 1; }
      n=$((n + 1))
    done
    [ "$n" -ge 3 ] || { echo "FAIL: expected ci.yml, release.yml, terraform.yml"; exit 1; }
    echo "workflows: $n valid" ;;
  dockerfile)
    # dockerfilelint's exit status is its number of issues; then the rules of
    # issue 16 that it does not know.
    "$bin/dockerfilelint" "$root/Dockerfile"
    df=$root/Dockerfile
    ! grep -qi '^# *syntax=' "$df" || { echo "FAIL: a # syntax= line pulls a frontend image"; exit 1; }
    for k in '^FROM .* AS build' '^FROM .* AS runtime' '^USER [^0r]' '^HEALTHCHECK .*healthcheck' '^EXPOSE ' \
             '^LABEL org.opencontainers.image' '^ENTRYPOINT \["/usr/bin/tini"'; do
      grep -Eq "$k" "$df" || { echo "FAIL: Dockerfile lacks $k"; exit 1; }
    done
    grep -q 'scripts/install-deps.sh build' "$df" || { echo "FAIL: the build stage must use scripts/install-deps.sh"; exit 1; }
    echo "dockerfile: lint clean, multi-stage, non-root, tini, HEALTHCHECK, EXPOSE, labels" ;;
  k8s)
    node "$root/tests/deploy/validate_k8s.js" "$npm/node_modules" "$root/deploy/k8s" ;;
  terraform)
    # Every .tf parses (@cdktf/hcl2json: HCL2 -> JSON); terraform fmt -check
    # when terraform is installed (it is on this kind of machine; providers
    # cannot be downloaded here, so `terraform validate` runs in terraform.yml).
    node "$root/tests/deploy/validate_terraform.js" "$npm/node_modules" "$root/deploy/terraform"
    if command -v terraform >/dev/null 2>&1; then
      terraform fmt -check -recursive -diff "$root/deploy/terraform" || { echo "FAIL: terraform fmt"; exit 1; }
      echo "terraform: fmt clean"
    else
      echo "terraform: not installed, fmt -check skipped (terraform.yml runs it)"
    fi ;;
  *) echo "usage: validate.sh workflows|dockerfile|k8s|terraform NPM_DIR" >&2; exit 2 ;;
esac
