#!/usr/bin/env bash
# Builds the real External Secrets Operator controller from the Go module proxy, for the e2e suite.
#
# Why: the e2e suite runs ESO's own controller (not a fake) out of cluster against the test control plane,
# to show that rotateEvery makes the operator trigger ESO and that ESO's regenerated credential reaches
# GitHub. ESO publishes container images and Helm charts, neither of which our machines can fetch, but its
# module is on the Go module proxy, so we build its main package in a throwaway module and cache the binary
# under bin/external-secrets/<version>/ (git-ignored).
#
# ESO's main package is the module root (main.go calls cmd/controller's cobra root, whose default command is
# the core controller; the webhook and cert-controller are subcommands we never run). A consumer module does
# not inherit ESO's replace directives, so they are copied from ESO's own go.mod (read at build time, so the
# list never drifts from the version built): today that is
#   github.com/Masterminds/sprig/v3 => github.com/external-secrets/sprig/v3 v3.3.0
set -euo pipefail

ESO_VERSION="${ESO_VERSION:-v0.16.2}"
ESO_MODULE="github.com/external-secrets/external-secrets"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${ESO_BIN_DIR:-${root}/bin/external-secrets/${ESO_VERSION}}"
bin="${out}/external-secrets"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0

log() { printf '[external-secrets] %s\n' "$*" >&2; }

if [[ -x "${bin}" ]]; then
  log "External Secrets Operator ${ESO_VERSION} already built: ${bin}"
  exit 0
fi

# A fresh clone (CI's, or a second work tree) has an empty bin/: reuse this machine's earlier build, as
# hack/build-control-plane.sh does, instead of spending 10+ minutes rebuilding the same binary.
cache="${SECURE_PIPELINE_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/secure-pipeline}/external-secrets/${ESO_VERSION}"
if [[ -x "${cache}/external-secrets" ]]; then
  mkdir -p "${out}"
  cp "${cache}/external-secrets" "${bin}"
  log "copied External Secrets Operator ${ESO_VERSION} from this machine's cache ${cache}"
  exit 0
fi

mkdir -p "${out}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cd "${work}"

start=$(date +%s)
log "building External Secrets Operator ${ESO_VERSION} from the Go module proxy (10 minutes or more on a cold Go cache with 2 cores; cached afterwards)"
go mod init eso.local/build >/dev/null 2>&1
go mod edit -require="${ESO_MODULE}@${ESO_VERSION}"

modfile="$(go mod download -json "${ESO_MODULE}@${ESO_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
if [[ -z "${modfile}" || ! -f "${modfile}" ]]; then
  log "could not download ${ESO_MODULE}@${ESO_VERSION} from the Go module proxy (GOPROXY=$(go env GOPROXY))"
  exit 1
fi
# Mirror ESO's replace directives, single-line form ("replace a => b v") and block form ("a => b v").
# Local-path replacements (=> ./...) cannot be mirrored and would make the build fail loudly, as it should.
while read -r from to; do
  [[ -n "${from}" ]] || continue
  log "mirroring ESO's replace ${from} => ${to}"
  go mod edit -replace="${from}=${to}"
done < <(awk '
  /^replace[ \t]*\($/ { inblock = 1; next }
  inblock && /^\)/ { inblock = 0; next }
  /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); line = $0 }
  inblock { line = $0 }
  line != "" {
    sub(/\/\/.*/, "", line)
    n = split(line, f, /[ \t]+/); j = 0
    for (i = 1; i <= n; i++) if (f[i] != "") g[++j] = f[i]
    # from [fromver] => to [tover]
    for (i = 1; i <= j; i++) if (g[i] == "=>") arrow = i
    from = g[1]; if (arrow == 3) from = g[1] "@" g[2]
    to = g[arrow + 1]; if (j > arrow + 1) to = to "@" g[arrow + 2]
    print from, to
    line = ""; arrow = 0
  }' "${modfile}")

cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/external-secrets/external-secrets"
GO
go mod tidy >/dev/null 2>&1 || go mod tidy
go build -trimpath -ldflags "-s -w" -o "${bin}.tmp" "${ESO_MODULE}"
mv "${bin}.tmp" "${bin}"
"${bin}" --help >/dev/null
mkdir -p "${cache}" && cp "${bin}" "${cache}/" || true
log "done in $(( $(date +%s) - start ))s: ${bin}"
