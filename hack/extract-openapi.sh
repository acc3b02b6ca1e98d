#!/usr/bin/env bash
# extract-openapi.sh refreshes test/githubsim/testdata/github-openapi-subset.json
# from GitHub's official OpenAPI description, as published on npm by Octokit
# (@octokit/openapi), keeping only the operations the simulator serves
# (test/githubsim/testdata/served-operations.txt) and what they reference.
# Needs npm, tar and node; run from anywhere.
set -euo pipefail

VERSION="${OCTOKIT_OPENAPI_VERSION:-23.0.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TESTDATA="$ROOT/test/githubsim/testdata"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "@octokit/openapi@${VERSION}" >/dev/null)
tar -xzf "$tmp"/octokit-openapi-*.tgz -C "$tmp"

spec="$tmp/package/generated/api.github.com.json"
[[ -f "$spec" ]] || { echo "extract-openapi: $spec not in the package; has its layout changed?" >&2; exit 1; }

node "$ROOT/hack/extract-openapi.mjs" "$spec" "$TESTDATA/served-operations.txt" \
  "$TESTDATA/github-openapi-subset.json" "@octokit/openapi@${VERSION} generated/api.github.com.json"
cp "$tmp/package/LICENSE" "$TESTDATA/LICENSE-octokit-openapi"
