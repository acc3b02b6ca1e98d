// Package testenv starts the project's test control plane: a real kube-apiserver and etcd, built from the
// Go module proxy by hack/build-control-plane.sh and found through KUBEBUILDER_ASSETS, with the project's
// CRDs installed. Tests use it instead of mocks of Kubernetes.
package testenv
