package controller

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// reconcileCredentials pushes registry credentials into environment secrets.
func (r *SecurePipelineReconciler) reconcileCredentials(_ context.Context, s *pipelineState) error {
	p := s.p
	if len(p.Spec.Registries) == 0 {
		setCondition(p, civ1alpha1.CredentialsReadyCondition, metav1.ConditionTrue, civ1alpha1.NoRegistriesReason, "no registries declared")
		return nil
	}
	setCondition(p, civ1alpha1.CredentialsReadyCondition, metav1.ConditionUnknown, civ1alpha1.ProgressingReason,
		"registry credentials are not synchronised yet")
	return nil
}
