#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kubectl, etcd) from the Go module proxy.
#
# Why: `setup-envtest use` downloads prebuilt binaries from the internet, which this project's machines
# (developers', CI's) cannot reach. The Go module proxy can be reached, so we build the same binaries from
# source in a throwaway module and cache them under bin/k8s/ (git-ignored). envtest and the e2e suite find
# them through KUBEBUILDER_ASSETS, which the Makefile sets.
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.37.2}"
STAGING_VERSION="${STAGING_VERSION:-v0.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${KUBEBUILDER_ASSETS:-${root}/bin/k8s/${KUBERNETES_VERSION}}"
mkdir -p "${out}"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0

log() { printf '[control-plane] %s\n' "$*" >&2; }

have() {
  [[ -x "${out}/kube-apiserver" && -x "${out}/kubectl" && -x "${out}/etcd" ]]
}

if have; then
  log "kube-apiserver, kubectl and etcd already built in ${out}"
  exit 0
fi

# A fresh clone (CI's, or a second work tree) has an empty bin/: reuse this machine's earlier build.
cache="${SECURE_PIPELINE_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/secure-pipeline}/k8s/${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}"
if [[ -x "${cache}/kube-apiserver" && -x "${cache}/kubectl" && -x "${cache}/etcd" ]]; then
  cp "${cache}/kube-apiserver" "${cache}/kubectl" "${cache}/etcd" "${out}/"
  log "copied kube-apiserver, kubectl and etcd from this machine's cache ${cache}"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

build_kubernetes() {
  log "building kube-apiserver and kubectl ${KUBERNETES_VERSION} from the Go module proxy (about 4 minutes on a cold cache)"
  local dir="${work}/kubernetes"
  mkdir -p "${dir}"
  cd "${dir}"
  go mod init controlplane.local/kubernetes >/dev/null 2>&1
  go mod edit -require="k8s.io/kubernetes@${KUBERNETES_VERSION}"
  # k8s.io/kubernetes replaces its staging modules with ./staging/...; a consumer must name the published
  # modules of the same release instead. Read the list from k8s.io/kubernetes's own go.mod so it never drifts.
  local modfile
  modfile="$(go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  local staging
  staging="$(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "${modfile}")"
  for m in ${staging}; do
    go mod edit -replace="${m}=${m}@${STAGING_VERSION}"
  done
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy >/dev/null 2>&1 || go mod tidy
  go build -trimpath -ldflags "-s -w" -o "${out}/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "-s -w" -o "${out}/kubectl" k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  log "building etcd ${ETCD_VERSION} from the Go module proxy (about 30 seconds)"
  local dir="${work}/etcd"
  mkdir -p "${dir}"
  cd "${dir}"
  go mod init controlplane.local/etcd >/dev/null 2>&1
  go mod edit -require="go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3/etcdmain"
GO
  cat > main.go <<'GO'
// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 for the test control plane.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go mod tidy >/dev/null 2>&1 || go mod tidy
  go build -trimpath -ldflags "-s -w" -o "${out}/etcd" .
}

[[ -x "${out}/etcd" ]] || build_etcd
[[ -x "${out}/kube-apiserver" && -x "${out}/kubectl" ]] || build_kubernetes
have
mkdir -p "${cache}" && cp "${out}/kube-apiserver" "${out}/kubectl" "${out}/etcd" "${cache}/" || true
log "done: ${out}"
