# VERSION is the operator's release version: the image tag, the OLM bundle's CSV version and its name.
VERSION ?= 0.1.0
# IMAGE_TAG_BASE is the registry and repository of the manager image; the bundle image is IMAGE_TAG_BASE-bundle.
IMAGE_TAG_BASE ?= ghcr.io/secure-pipeline/operator
# Image URL to use all building/pushing image targets. The committed config/manager/kustomization.yaml
# and bundle/ use this default; `make build-installer` and `make bundle` write other values into them.
IMG ?= $(IMAGE_TAG_BASE):v$(VERSION)
# YEAR defines the year value used for substituting the YEAR placeholder in the boilerplate header.
YEAR ?= $(shell date +%Y)

# GO_BUILD_TAGS are the build tags of the binaries we ship. grpcnotrace keeps grpc (a dependency of sigstore-go's
# Rekor v2 client, never used to serve) from importing golang.org/x/net/trace, whose init registers HTML
# handlers on http.DefaultServeMux. Their text/template execution calls reflect's Method by a name known only
# at run time, and then the linker must keep every exported method of every type in the binary: a quarter of
# the manager's code, and of its resident memory. `make check-linker-pruning` (part of verify) keeps it so.
GO_BUILD_TAGS ?= grpcnotrace

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set)
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker which is
# scaffolded by default. However, you might want to replace it to use other
# tools. (i.e. podman)
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate WebhookConfiguration, ClusterRole and CustomResourceDefinition objects.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate code containing DeepCopy, DeepCopyInto, and DeepCopyObject method implementations.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt",year=$(YEAR) paths="./..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

##@ Test

# The test control plane (kube-apiserver, kubectl, etcd) is built from the Go module proxy by
# hack/build-control-plane.sh, because setup-envtest cannot download binaries on our machines.
KUBERNETES_VERSION ?= v1.37.2
KUBEBUILDER_ASSETS ?= $(LOCALBIN)/k8s/$(KUBERNETES_VERSION)
export KUBEBUILDER_ASSETS

.PHONY: control-plane
control-plane: ## Build kube-apiserver, kubectl and etcd into bin/k8s (cached; ~4 min the first time).
	@KUBERNETES_VERSION=$(KUBERNETES_VERSION) hack/build-control-plane.sh

GO_TEST_FLAGS ?= -count=1
.PHONY: test
test: control-plane ## Run unit, envtest (real kube-apiserver + etcd) and simulator tests.
	go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v /test/e2e) -coverprofile cover.out
	@# test/sigstore is a module of its own (sigstore-go's VirtualSigstore needs an older x/crypto).
	cd test/sigstore && go test $(GO_TEST_FLAGS) ./...

# External Secrets Operator's controller, built from the Go module proxy by hack/build-external-secrets.sh for
# the e2e suite (its images and charts cannot be fetched here).
.PHONY: external-secrets
external-secrets: ## Build External Secrets Operator v0.16.2's controller into bin/external-secrets (cached; ~10 min the first time).
	@hack/build-external-secrets.sh

# cosign v3.1.3's CLI, built from the Go module proxy by hack/build-cosign.sh for the interoperability check
# in test/e2e/release_test.go (its release binaries come from GitHub, which cannot be reached).
.PHONY: cosign
cosign: ## Build the cosign CLI v3.1.3 into bin/cosign-v3.1.3 (cached; ~5 min the first time).
	@hack/build-cosign.sh

.PHONY: test-e2e
test-e2e: control-plane external-secrets build cosign ## Run the end-to-end suite: real control plane, simulator process, manager binary, real External Secrets Operator.
	go test -count=1 -tags=e2e -timeout 15m ./test/e2e/ -v

.PHONY: bench
bench: control-plane ## Run the benchmarks (credential propagation, after an API-server outage too; simulator throughput; release verification per tag).
	go test -run '^$$' -bench . -benchtime 1x -timeout 30m ./test/bench/
	go test -run '^$$' -bench . -benchtime 1x ./internal/controller/outage/
	go test -run '^$$' -bench . -cpu 1 ./test/githubsim/
	go test -run '^$$' -bench BenchmarkReleaseVerification ./internal/controller/

.PHONY: bench-scale
bench-scale: control-plane build ## Fleet scale benchmark (not in CI): 1,000 repositories, one identity (SCALE_IDENTITY=token|app), the manager binary as its own process, GitHub's clock scaled 10x (SCALE_REPOS, SCALE_FACTOR, SCALE_LATENCY, SCALE_STEADY).
	go test -tags benchscale -run '^$$' -bench BenchmarkFleetScale -benchtime 1x -timeout 4h ./test/bench/ -v

FUZZTIME ?= 30s
.PHONY: fuzz
fuzz: ## Fuzz the workflow audit engine, the docker config parser and release identity matching (FUZZTIME=30s each).
	go test -run '^$$' -fuzz=FuzzAuditFile -fuzztime=$(FUZZTIME) ./internal/audit/
	go test -run '^$$' -fuzz=FuzzRunScript -fuzztime=$(FUZZTIME) ./internal/audit/
	go test -run '^$$' -fuzz=FuzzFollowRepository -fuzztime=$(FUZZTIME) ./internal/audit/
	go test -run '^$$' -fuzz=FuzzDockerConfigJSON -fuzztime=$(FUZZTIME) ./internal/registry/
	go test -run '^$$' -fuzz=FuzzPolicyMatch -fuzztime=$(FUZZTIME) ./internal/release/
	go test -run '^$$' -fuzz=FuzzSelectTags -fuzztime=$(FUZZTIME) ./internal/release/

.PHONY: openapi-extract
openapi-extract: ## Refresh test/githubsim/testdata/github-openapi-subset.json from @octokit/openapi (needs npm).
	hack/extract-openapi.sh

.PHONY: githubsim
githubsim: ## Run the GitHub API simulator on 127.0.0.1:8090 with the example seed.
	go run ./test/githubsim/cmd/githubsim --seed test/githubsim/testdata/example-seed.yaml

.PHONY: audit-workflows
audit-workflows: ## Audit GitHub workflows under the current directory with the securepipeline CLI.
	go run ./cmd/securepipeline audit .

.PHONY: tidy
tidy: ## Run go mod tidy.
	@# -e: tidy also resolves the imports of dependencies' own tests, and sigstore-go's tests reach
	@# golang.org/x/crypto/openpgp (through rekor), which x/crypto v0.59.0 no longer has. Nothing this module
	@# builds imports it (go build and go vet catch a missing package of ours); the fixed rekor needs Go 1.27.
	go mod tidy -e

.PHONY: verify
verify: manifests generate fmt tidy vet bundle check-linker-pruning ## Regenerate everything and fail if the tree is dirty (stale generated code).
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "make verify: the tree is dirty after regenerating; commit the generated files:"; \
		git status --porcelain; git --no-pager diff --stat; exit 1; \
	fi

.PHONY: check-linker-pruning
check-linker-pruning: ## Fail if the shipped binaries call reflect's Method by a dynamic name (the linker would keep every method).
	@hack/check-linker-pruning.sh "$(GO_BUILD_TAGS)" ./cmd ./cmd/securepipeline

.PHONY: lint
lint: golangci-lint ## Run golangci-lint linter
	"$(GOLANGCI_LINT)" run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint linter and perform fixes
	"$(GOLANGCI_LINT)" run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify golangci-lint linter configuration
	"$(GOLANGCI_LINT)" config verify

##@ Build

.PHONY: build
build: ## Build the manager, the audit CLI and the GitHub simulator into bin/ (the first two static, as the Dockerfile builds them).
	CGO_ENABLED=0 go build -tags "$(GO_BUILD_TAGS)" -o bin/manager ./cmd
	CGO_ENABLED=0 go build -tags "$(GO_BUILD_TAGS)" -o bin/securepipeline ./cmd/securepipeline
	go build -o bin/githubsim ./test/githubsim/cmd/githubsim

.PHONY: run
run: manifests generate fmt vet ## Run a controller from your host.
	go run ./cmd

.PHONY: demo
demo: control-plane build ## Show the operator at work locally (control plane, GitHub simulator, manager, sample pipeline); Ctrl-C stops it, DEMO_EXIT=1 exits when done.
	go run ./hack/demo

# If you wish to build the manager image targeting other platforms you can use the --platform flag.
# (i.e. docker build --platform linux/arm64). However, you must enable docker buildKit for it.
# More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# Override BASE_IMAGE to build from another registry, e.g.
# make docker-build IMG=<img> BASE_IMAGE=docker.io/library/golang:1.26
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

# PLATFORMS defines the target platforms for the manager image be built to provide support to multiple
# architectures. (i.e. make docker-buildx IMG=myregistry/mypoperator:0.0.1). To use this option you need to:
# - be able to use docker buildx. More info: https://docs.docker.com/build/buildx/
# - have enabled BuildKit. More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# - be able to push the image to your registry (i.e. if you do not set a valid value via IMG=<myregistry/image:<tag>> then the export will fail)
# To adequately provide solutions that are compatible with multiple platforms, you should consider using this option.
PLATFORMS ?= linux/arm64,linux/amd64,linux/s390x,linux/ppc64le
.PHONY: docker-buildx
docker-buildx: ## Build and push docker image for the manager for cross-platform support
	# copy existing Dockerfile and insert --platform=${BUILDPLATFORM} into Dockerfile.cross, and preserve the original Dockerfile
	sed -e '1 s/\(^FROM\)/FROM --platform=\$$\{BUILDPLATFORM\}/; t' -e ' 1,// s//FROM --platform=\$$\{BUILDPLATFORM\}/' Dockerfile > Dockerfile.cross
	- $(CONTAINER_TOOL) buildx create --name secure-pipeline-operator-builder
	$(CONTAINER_TOOL) buildx use secure-pipeline-operator-builder
	- $(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) --tag ${IMG} -f Dockerfile.cross .
	- $(CONTAINER_TOOL) buildx rm secure-pipeline-operator-builder
	rm Dockerfile.cross

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate a consolidated YAML with CRDs and deployment (dist/install.yaml).
	mkdir -p dist
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default > dist/install.yaml

# OLM bundle (registry+v1). CHANNELS is a comma-separated list; BUNDLE_CREATED_AT is the CSV's createdAt
# annotation, fixed so that regenerating an unchanged bundle changes nothing (set it when you cut a release).
CHANNELS ?= alpha
DEFAULT_CHANNEL ?= alpha
BUNDLE_CREATED_AT ?= 2026-11-27T00:00:00Z

.PHONY: bundle
bundle: manifests kustomize ## Generate the OLM bundle (bundle/, bundle.Dockerfile) from config/ with hack/bundlegen.
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	go run ./hack/bundlegen --version $(VERSION) --channels $(CHANNELS) --default-channel $(DEFAULT_CHANNEL) \
		--created-at $(BUNDLE_CREATED_AT) --output-dir .

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" apply -f -; else echo "No CRDs to install; skipping."; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -; else echo "No CRDs to delete; skipping."; fi

.PHONY: deploy
deploy: manifests kustomize ## Deploy controller to the K8s cluster specified in ~/.kube/config.
	cd config/manager && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" apply -f -

.PHONY: undeploy
undeploy: kustomize ## Undeploy controller from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool Binaries
KUBECTL ?= $(KUBEBUILDER_ASSETS)/kubectl
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT = $(LOCALBIN)/golangci-lint

## Tool Versions
KUSTOMIZE_VERSION ?= v5.8.1
CONTROLLER_TOOLS_VERSION ?= v0.23.0

GOLANGCI_LINT_VERSION ?= v2.15.0
.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Download golangci-lint locally if necessary.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))
	@test -f .custom-gcl.yml && { \
		echo "Building custom golangci-lint with plugins..." && \
		$(GOLANGCI_LINT) custom --destination $(LOCALBIN) --name golangci-lint-custom && \
		mv -f $(LOCALBIN)/golangci-lint-custom $(GOLANGCI_LINT); \
	} || true

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef

define gomodver
$(shell go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' $(1) 2>/dev/null)
endef
