/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package audit statically checks GitHub Actions workflows for supply-chain
// weaknesses: credentials left on disk by checkout, actions not pinned to a
// commit, over-broad GITHUB_TOKEN permissions, container images published
// without a signature or SBOM, keyless signing without an OIDC token,
// untrusted code checked out or artifacts unpacked by privileged triggers,
// secrets used outside protected environments and script injection through
// ${{ }} expressions.
//
// It reads a repository, not only its workflow files: AuditRepository takes
// the repository root as an fs.FS (os.Root for the CLI, the default
// branch's git tree for the operator) and follows, within it and within
// bounds (repo.go), what the steps run: local actions, reusable workflows,
// Makefiles, scripts, goreleaser and ko configurations. The result includes
// a publishing inventory (inventory.go) from which SP005/SP006 are computed.
// Findings can be acknowledged inline or through Options.Ignore; suppressed
// findings are kept and listed apart (suppress.go).
//
// The package is deliberately free of Kubernetes imports so that the same
// engine backs the securepipeline CLI (cmd/securepipeline) and the
// operator's reconciler. Workflows are parsed with actionlint's parser,
// which keeps line/column positions for every value; findings point at the
// exact place a reviewer has to change.
//
// Entry points are AuditRepository, AuditFile and AuditFiles; Rules lists
// the catalogue and WriteText, WriteJSON, WriteSARIF and WriteInventory
// render results. The rule semantics and their judgment calls are
// documented in docs/rules.md.
package audit
