package controller

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// Rotation policy (spec.registries[].rotateEvery). A credential's age is the time since its value last
// changed (status.registries[].lastRotationTime, set at the first push and whenever the fingerprint
// changes). When it is older than rotateEvery:
//   - with externalSecretRef, the operator asks External Secrets Operator for a fresh credential by
//     annotating the ExternalSecret with force-sync=<unix time> (ESO's documented manual refresh), records
//     status rotationRequestedTime, and reports CredentialsRotated=False/RotationPending until the
//     Secret changes; the Secret watch then pushes the new value at once and the rotation is done. If ESO
//     refreshes the ExternalSecret but the credential stays the same (the source does not rotate it), it
//     reports RotationOverdue and asks again one rotateEvery later; if ESO does not act within
//     rotationReRequest, it asks again.
//   - without externalSecretRef, the operator cannot mint a credential: CredentialsRotated=False/
//     RotationOverdue and a Warning event; it keeps pushing the current value.
//   - without ESO's CRDs in the cluster: CredentialsRotated=False/ExternalSecretsUnavailable.
//
// CredentialsRotated is not one of the concerns Ready is computed from: rotation is maintenance of a
// credential that works, so an overdue or pending rotation leaves Ready (and Reconciling) alone; the
// condition and the Warning event say it. With registries but none with rotateEvery, and with no
// registries, CredentialsRotated is True.
//
// ESO's Go API module (v0.16.2) does not compile against this project's controller-runtime (its API
// package calls the old builder.NewWebhookManagedBy signature), so ExternalSecrets are handled as
// unstructured objects: only metadata.annotations is written, and status.refreshTime and the Ready
// condition are read.

const (
	// ForceSyncAnnotation is External Secrets Operator's annotation that makes it refresh an ExternalSecret
	// whenever its value changes.
	ForceSyncAnnotation = "force-sync"
	// rotationCheck is how often a pending rotation is looked at (the Secret watch usually comes first).
	rotationCheck = 30 * time.Second
	// rotationReRequest is how long ESO has to refresh an ExternalSecret before the operator asks again.
	rotationReRequest = 5 * time.Minute
)

// externalSecretGVKs are the ExternalSecret versions tried in order: v1 is served and stored by ESO v0.16
// and later; v1beta1 is what older releases serve.
var externalSecretGVKs = []schema.GroupVersionKind{
	{Group: "external-secrets.io", Version: "v1", Kind: "ExternalSecret"},
	{Group: "external-secrets.io", Version: "v1beta1", Kind: "ExternalSecret"},
}

type rotationState int

const (
	rotationNone rotationState = iota // no rotateEvery
	rotationFresh
	rotationPending
	rotationOverdue
	rotationUnavailable
)

type rotation struct {
	registry string
	state    rotationState
	msg      string
}

// checkRotation evaluates spec.registries[i]'s rotation policy against its status entry (nil: nothing
// pushed yet), asking External Secrets Operator for a new credential when one is due.
func (r *SecurePipelineReconciler) checkRotation(ctx context.Context, s *pipelineState, i int, st *civ1alpha1.RegistryStatus) rotation {
	p := s.p
	reg := &p.Spec.Registries[i]
	out := rotation{registry: reg.Name}
	if reg.RotateEvery == nil || reg.RotateEvery.Duration <= 0 {
		return out
	}
	every := reg.RotateEvery.Duration
	if st == nil || st.LastRotationTime == nil {
		// Nothing pushed yet: the credential's age starts at its first push.
		out.state, out.msg = rotationFresh, fmt.Sprintf("registry %s: nothing pushed yet", reg.Name)
		return out
	}
	now := r.Now()
	last := st.LastRotationTime.Time
	due := last.Add(every)
	if now.Before(due) {
		s.wantRequeue(due.Sub(now) + time.Second)
		out.state = rotationFresh
		out.msg = fmt.Sprintf("registry %s: next rotation due at %s", reg.Name, due.UTC().Format(time.RFC3339))
		return out
	}
	age := fmt.Sprintf("registry %s: the credential was last rotated at %s, more than rotateEvery (%s) ago",
		reg.Name, last.UTC().Format(time.RFC3339), every)

	if reg.ExternalSecretRef == nil {
		out.state = rotationOverdue
		out.msg = fmt.Sprintf("%s, and without spec.registries[%d].externalSecretRef the operator cannot ask for a new one: put a new credential in Secret %s/%s (it is pushed at once)",
			age, i, p.Namespace, reg.CredentialsSecretRef.Name)
		return out
	}
	esKey := types.NamespacedName{Namespace: p.Namespace, Name: reg.ExternalSecretRef.Name}
	requested := st.RotationRequestedTime
	if requested != nil && !requested.Time.Before(last) {
		es, err := r.getExternalSecret(ctx, esKey)
		switch {
		case err != nil:
			if o, ok := r.externalSecretsProblem(err, esKey, i, age); ok {
				return o
			}
			// The API server did not answer: look again soon.
		case refreshedSince(es, requested.Time):
			// ESO refreshed after the request, yet the credential is the one already pushed.
			if now.Sub(requested.Time) < every {
				s.wantRequeue(requested.Add(every).Sub(now) + time.Second)
				out.state = rotationOverdue
				out.msg = fmt.Sprintf("%s; External Secrets Operator refreshed ExternalSecret %s after the operator asked at %s, but the credential did not change: its source does not rotate it (use a generator such as ECRAuthorizationToken, or rotate it at the source); the operator asks again at %s",
					age, esKey, requested.UTC().Format(time.RFC3339), requested.Add(every).UTC().Format(time.RFC3339))
				return out
			}
			requested = nil
		}
		if requested != nil && now.Sub(requested.Time) < rotationReRequest {
			s.wantRequeue(rotationCheck)
			out.state = rotationPending
			out.msg = fmt.Sprintf("%s; asked External Secrets Operator at %s to refresh ExternalSecret %s (annotation %s), waiting for Secret %s/%s to change%s",
				age, requested.UTC().Format(time.RFC3339), esKey, ForceSyncAnnotation, p.Namespace, reg.CredentialsSecretRef.Name, externalSecretReadiness(es))
			return out
		}
	}

	stamp := strconv.FormatInt(now.Unix(), 10)
	if err := r.forceSync(ctx, esKey, stamp); err != nil {
		if o, ok := r.externalSecretsProblem(err, esKey, i, age); ok {
			return o
		}
		s.wantRequeue(rotationCheck)
		out.state = rotationPending
		out.msg = fmt.Sprintf("%s; asking External Secrets Operator to refresh ExternalSecret %s failed, retrying: %v", age, esKey, err)
		return out
	}
	t := metav1.NewTime(now)
	st.RotationRequestedTime = &t
	r.event(p, corev1.EventTypeNormal, "RotationRequested", "RequestRotation",
		"%s: asked External Secrets Operator for a new one (annotated ExternalSecret %s with %s=%s)", age, esKey, ForceSyncAnnotation, stamp)
	s.wantRequeue(rotationCheck)
	out.state = rotationPending
	out.msg = fmt.Sprintf("%s; asked External Secrets Operator at %s to refresh ExternalSecret %s (annotation %s), waiting for Secret %s/%s to change",
		age, t.UTC().Format(time.RFC3339), esKey, ForceSyncAnnotation, p.Namespace, reg.CredentialsSecretRef.Name)
	return out
}

// externalSecretsProblem turns errors that a human must fix into a rotation state: ESO's CRDs missing
// (ExternalSecretsUnavailable) or the ExternalSecret missing (RotationOverdue).
func (r *SecurePipelineReconciler) externalSecretsProblem(err error, es types.NamespacedName, i int, age string) (rotation, bool) {
	out := rotation{}
	switch {
	case isExternalSecretsMissing(err, es.Name):
		out.state = rotationUnavailable
		out.msg = fmt.Sprintf("%s, and External Secrets Operator's CRDs (externalsecrets.external-secrets.io) are not installed, so the operator cannot ask for a new one: install External Secrets Operator, or rotate the credential by hand", age)
	case apierrors.IsNotFound(err):
		out.state = rotationOverdue
		out.msg = fmt.Sprintf("%s, and ExternalSecret %s (spec.registries[%d].externalSecretRef) does not exist, so the operator cannot ask for a new one", age, es, i)
	case apierrors.IsForbidden(err):
		out.state = rotationOverdue
		out.msg = fmt.Sprintf("%s, and the operator may not read or annotate ExternalSecret %s (RBAC: get and patch on externalsecrets.external-secrets.io)", age, es)
	default:
		return out, false
	}
	return out, true
}

// isExternalSecretsMissing says whether err means that the API server does not serve ExternalSecrets at
// all: no REST mapping for the kind, or a NotFound that is not about the object itself.
func isExternalSecretsMissing(err error, name string) bool {
	if apimeta.IsNoMatchError(err) {
		return true
	}
	var st apierrors.APIStatus
	if apierrors.IsNotFound(err) && errors.As(err, &st) {
		d := st.Status().Details
		return d == nil || d.Name != name
	}
	return false
}

// forceSync sets External Secrets Operator's force-sync annotation on an ExternalSecret.
func (r *SecurePipelineReconciler) forceSync(ctx context.Context, key types.NamespacedName, value string) error {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, ForceSyncAnnotation, value)
	var err error
	for _, gvk := range externalSecretGVKs {
		es := &unstructured.Unstructured{}
		es.SetGroupVersionKind(gvk)
		es.SetNamespace(key.Namespace)
		es.SetName(key.Name)
		if err = r.Patch(ctx, es, client.RawPatch(types.MergePatchType, patch)); !apimeta.IsNoMatchError(err) {
			return err
		}
	}
	return err
}

func (r *SecurePipelineReconciler) getExternalSecret(ctx context.Context, key types.NamespacedName) (*unstructured.Unstructured, error) {
	var err error
	for _, gvk := range externalSecretGVKs {
		es := &unstructured.Unstructured{}
		es.SetGroupVersionKind(gvk)
		if err = r.Get(ctx, key, es); err == nil {
			return es, nil
		}
		if !apimeta.IsNoMatchError(err) {
			return nil, err
		}
	}
	return nil, err
}

// refreshedSince says whether ESO reports a refresh (status.refreshTime) at or after t.
func refreshedSince(es *unstructured.Unstructured, t time.Time) bool {
	if es == nil {
		return false
	}
	raw, _, _ := unstructured.NestedString(es.Object, "status", "refreshTime")
	rt, err := time.Parse(time.RFC3339, raw)
	return err == nil && !rt.Before(t.Truncate(time.Second))
}

// externalSecretReadiness quotes the ExternalSecret's Ready condition when it is not True (e.g. the
// provider refused ESO's request), so that a stuck rotation says why.
func externalSecretReadiness(es *unstructured.Unstructured) string {
	if es == nil {
		return ""
	}
	conds, _, _ := unstructured.NestedSlice(es.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Ready" || m["status"] == "True" {
			continue
		}
		return fmt.Sprintf(" (the ExternalSecret is not Ready: %v: %v)", m["reason"], m["message"])
	}
	return ""
}

// setRotationCondition sets CredentialsRotated from the registries' rotation states, and records a
// Warning event when it turns to RotationOverdue or ExternalSecretsUnavailable or its message changes.
func (r *SecurePipelineReconciler) setRotationCondition(p *civ1alpha1.SecurePipeline, rots []rotation) {
	var worst rotationState
	byState := map[rotationState][]string{}
	for _, rot := range rots {
		byState[rot.state] = append(byState[rot.state], rot.msg)
		if rot.state > worst {
			worst = rot.state
		}
	}
	status, reason, msg := metav1.ConditionTrue, civ1alpha1.SucceededReason, ""
	switch worst {
	case rotationNone:
		if len(p.Spec.Registries) == 0 {
			reason, msg = civ1alpha1.NoRegistriesReason, "no registries declared"
		} else {
			msg = "no registry sets rotateEvery"
		}
	case rotationFresh:
		msg = "every credential with rotateEvery is younger than it: " + strings.Join(byState[rotationFresh], "; ")
	default:
		status = metav1.ConditionFalse
		reason = map[rotationState]string{
			rotationPending:     civ1alpha1.RotationPendingReason,
			rotationOverdue:     civ1alpha1.RotationOverdueReason,
			rotationUnavailable: civ1alpha1.ExternalSecretsUnavailableReason,
		}[worst]
		var parts []string
		for st := rotationUnavailable; st >= rotationPending; st-- {
			parts = append(parts, byState[st]...)
		}
		msg = strings.Join(parts, "; ")
	}
	var prev metav1.Condition // a copy: setCondition updates the entry in place
	if c := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.CredentialsRotatedCondition); c != nil {
		prev = *c
	}
	setCondition(p, civ1alpha1.CredentialsRotatedCondition, status, reason, msg)
	if (worst == rotationOverdue || worst == rotationUnavailable) && (prev.Reason != reason || prev.Message != truncate(msg)) {
		r.event(p, corev1.EventTypeWarning, reason, "Rotate", "%s", msg)
	}
}
