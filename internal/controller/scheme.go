package controller

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// AddToScheme registers the kinds the manager reads and writes through its client: the project's API,
// core/v1 (Secrets, ConfigMaps, Namespaces, Events) and coordination/v1 (the ownership Leases).
// ExternalSecrets are read as unstructured objects. client-go's full scheme registers every built-in API
// group (about 60 group versions), half a megabyte of the manager's heap for kinds it never touches.
func AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, coordinationv1.AddToScheme, civ1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}
