package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// event records a Kubernetes Event on the pipeline and logs the same line, so that what the operator did
// on GitHub shows in `kubectl describe` and in the logs alike. Messages never hold secret values.
func (r *SecurePipelineReconciler) event(p *civ1alpha1.SecurePipeline, eventType, reason, action, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	log := ctrl.Log.WithName("securepipeline").WithValues("securepipeline", p.Namespace+"/"+p.Name, "reason", reason)
	if eventType == corev1.EventTypeWarning {
		log.Info("warning: "+msg, "action", action)
	} else {
		log.Info(msg, "action", action)
	}
	if r.Recorder != nil {
		r.Recorder.Event(p, eventType, reason, msg)
	}
}

// changed records an event for a change made on GitHub and marks the run as having written.
func (r *SecurePipelineReconciler) changed(s *pipelineState, reason, format string, args ...any) {
	s.changed = true
	r.event(s.p, corev1.EventTypeNormal, reason, "UpdateGitHub", format, args...)
}
