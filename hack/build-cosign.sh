#!/usr/bin/env bash
# Builds the cosign CLI from the Go module proxy for the e2e interoperability check (test/e2e/release_test.go).
#
# Why: cosign's release binaries are downloaded from GitHub, which this project's machines cannot reach; the Go
# module proxy can be reached. The build takes minutes (about 140 MB), so it is cached under bin/ (git-ignored) and
# in this machine's cache, which a fresh clone (CI's, or a second work tree) reuses.
set -euo pipefail

COSIGN_VERSION="${COSIGN_VERSION:-v3.1.3}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${root}/bin/cosign-${COSIGN_VERSION}"
cache="${SECURE_PIPELINE_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/secure-pipeline}/cosign-${COSIGN_VERSION}"

log() { printf '[cosign] %s\n' "$*" >&2; }

if [[ -x "${out}/cosign" ]]; then
  log "cosign ${COSIGN_VERSION} already built in ${out}"
  exit 0
fi
mkdir -p "${out}"
if [[ -x "${cache}/cosign" ]]; then
  cp "${cache}/cosign" "${out}/cosign"
  log "copied cosign from this machine's cache ${cache}"
  exit 0
fi

log "building cosign ${COSIGN_VERSION} from the Go module proxy (about 5 minutes on a cold cache)"
# A throwaway GOBIN so a half-written binary never looks like a finished one.
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
GOFLAGS="-mod=mod" CGO_ENABLED=0 GOBIN="${tmp}" go install -trimpath -ldflags "-s -w" \
  "github.com/sigstore/cosign/v3/cmd/cosign@${COSIGN_VERSION}"
mv "${tmp}/cosign" "${out}/cosign"
mkdir -p "${cache}" && cp "${out}/cosign" "${cache}/cosign" || true
log "done: ${out}/cosign"
