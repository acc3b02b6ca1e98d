package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

// These tests drive checkRotation with a fake clock and a client that plays the API server's part for
// ExternalSecrets, for what the envtest suite cannot do: a cluster without External Secrets Operator's
// CRDs, and the passing of time.

// esServer answers Get and Patch of ExternalSecrets: err for every call when set, else from obj (nil:
// NotFound). It records the GroupVersions asked for and the patches.
type esServer struct {
	err      error
	obj      *unstructured.Unstructured
	versions []string
	patches  []string
}

func (e *esServer) newClient(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := civ1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "external-secrets.io", Resource: "externalsecrets"}, "ecr")
	return fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(_ context.Context, _ client.WithWatch, _ client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
			u := obj.(*unstructured.Unstructured)
			e.versions = append(e.versions, u.GetAPIVersion())
			switch {
			case e.err != nil:
				return e.err
			case e.obj == nil:
				return notFound
			}
			e.obj.DeepCopyInto(u)
			return nil
		},
		Patch: func(_ context.Context, _ client.WithWatch, obj client.Object, patch client.Patch, _ ...client.PatchOption) error {
			e.versions = append(e.versions, obj.(*unstructured.Unstructured).GetAPIVersion())
			switch {
			case e.err != nil:
				return e.err
			case e.obj == nil:
				return notFound
			}
			data, _ := patch.Data(obj)
			e.patches = append(e.patches, string(data))
			return nil
		},
	}).Build()
}

func rotationPipeline(withES bool) *civ1alpha1.SecurePipeline {
	p := &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web", Generation: 1},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: "web"},
			Registries: []civ1alpha1.Registry{{
				Name: "ecr", Server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Environment: "ci",
				CredentialsSecretRef: civ1alpha1.SecretReference{Name: "ecr-creds"},
				RotateEvery:          &metav1.Duration{Duration: time.Hour},
			}},
		},
	}
	if withES {
		p.Spec.Registries[0].ExternalSecretRef = &civ1alpha1.ExternalSecretReference{Name: "ecr"}
	}
	return p
}

type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func TestRotationWithoutExternalSecretsCRDs(t *testing.T) {
	g := NewWithT(t)
	clock := &testClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	noMatch := &apimeta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "external-secrets.io", Kind: "ExternalSecret"}}
	for name, err := range map[string]error{
		"no REST mapping":                noMatch,
		"NotFound for the resource type": apierrors.NewNotFound(schema.GroupResource{Group: "external-secrets.io", Resource: "externalsecrets"}, ""),
	} {
		t.Run(name, func(t *testing.T) {
			es := &esServer{err: err}
			rec := record.NewFakeRecorder(10)
			r := &SecurePipelineReconciler{Client: es.newClient(t), Now: clock.Now, Recorder: rec}
			p := rotationPipeline(true)
			last := metav1.NewTime(clock.now.Add(-2 * time.Hour))
			st := &civ1alpha1.RegistryStatus{Name: "ecr", LastRotationTime: &last}
			rot := r.checkRotation(context.Background(), &pipelineState{p: p}, 0, st)
			g.Expect(rot.state).To(Equal(rotationUnavailable))
			g.Expect(rot.msg).To(Equal("registry ecr: the credential was last rotated at 2026-11-27T10:00:00Z, more than rotateEvery (1h0m0s) ago, and External Secrets Operator's CRDs (externalsecrets.external-secrets.io) are not installed, so the operator cannot ask for a new one: install External Secrets Operator, or rotate the credential by hand"))
			g.Expect(st.RotationRequestedTime).To(BeNil())
			if err == noMatch {
				g.Expect(es.versions).To(Equal([]string{"external-secrets.io/v1", "external-secrets.io/v1beta1"}), "both served versions are tried")
			}

			r.setRotationCondition(p, []rotation{rot})
			c := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.CredentialsRotatedCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(civ1alpha1.ExternalSecretsUnavailableReason))
			g.Expect(rec.Events).To(Receive(HavePrefix("Warning ExternalSecretsUnavailable registry ecr: ")))
			// The same state again records no second event.
			r.setRotationCondition(p, []rotation{rot})
			g.Expect(rec.Events).NotTo(Receive())
		})
	}
}

func TestRotationTimeline(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	es := &esServer{obj: &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{}}}}
	r := &SecurePipelineReconciler{Client: es.newClient(t), Now: clock.Now, Recorder: record.NewFakeRecorder(100)}
	p := rotationPipeline(true)
	pushed := metav1.NewTime(clock.now)
	st := &civ1alpha1.RegistryStatus{Name: "ecr", LastRotationTime: &pushed}
	check := func() (rotation, time.Duration) {
		s := &pipelineState{p: p}
		rot := r.checkRotation(ctx, s, 0, st)
		return rot, s.requeueAfter
	}

	// Young: fresh, and a requeue for when it is due.
	clock.now = clock.now.Add(30 * time.Minute)
	rot, after := check()
	g.Expect(rot.state).To(Equal(rotationFresh))
	g.Expect(rot.msg).To(Equal("registry ecr: next rotation due at 2026-11-27T13:00:00Z"))
	g.Expect(after).To(Equal(30*time.Minute + time.Second))
	g.Expect(es.patches).To(BeEmpty())

	// Due: ask ESO once, then wait.
	clock.now = clock.now.Add(31 * time.Minute)
	rot, after = check()
	g.Expect(rot.state).To(Equal(rotationPending))
	g.Expect(es.patches).To(Equal([]string{fmt.Sprintf(`{"metadata":{"annotations":{"force-sync":"%d"}}}`, clock.now.Unix())}))
	g.Expect(st.RotationRequestedTime.Time).To(Equal(clock.now))
	g.Expect(after).To(Equal(rotationCheck))
	clock.now = clock.now.Add(time.Minute)
	rot, _ = check()
	g.Expect(rot.state).To(Equal(rotationPending))
	g.Expect(es.patches).To(HaveLen(1), "asked again while waiting")

	// ESO is not Ready: the pending message says why.
	es.obj.Object["status"] = map[string]any{"conditions": []any{map[string]any{
		"type": "Ready", "status": "False", "reason": "SecretSyncedError", "message": "could not get secret data from provider"}}}
	rot, _ = check()
	g.Expect(rot.msg).To(HaveSuffix("(the ExternalSecret is not Ready: SecretSyncedError: could not get secret data from provider)"))

	// ESO did nothing for rotationReRequest: ask again.
	clock.now = clock.now.Add(rotationReRequest)
	rot, _ = check()
	g.Expect(rot.state).To(Equal(rotationPending))
	g.Expect(es.patches).To(HaveLen(2))
	requested := st.RotationRequestedTime.Time

	// ESO refreshed after the request, but the value did not change: overdue until one rotateEvery later.
	clock.now = clock.now.Add(time.Minute)
	es.obj.Object["status"] = map[string]any{"refreshTime": clock.now.Format(time.RFC3339)}
	rot, after = check()
	g.Expect(rot.state).To(Equal(rotationOverdue))
	g.Expect(rot.msg).To(ContainSubstring("but the credential did not change"))
	g.Expect(after).To(Equal(requested.Add(time.Hour).Sub(clock.now) + time.Second))
	clock.now = requested.Add(time.Hour)
	rot, _ = check()
	g.Expect(rot.state).To(Equal(rotationPending))
	g.Expect(es.patches).To(HaveLen(3), "asked again one rotateEvery after the fruitless request")

	// The new value arrived (the credentials concern sets lastRotationTime): fresh again.
	rotated := metav1.NewTime(clock.now.Add(time.Second))
	st.LastRotationTime = &rotated
	clock.now = rotated.Time
	rot, _ = check()
	g.Expect(rot.state).To(Equal(rotationFresh))

	// Without externalSecretRef: overdue, and nothing is patched.
	p = rotationPipeline(false)
	clock.now = clock.now.Add(2 * time.Hour)
	rot, _ = check()
	g.Expect(rot.state).To(Equal(rotationOverdue))
	g.Expect(rot.msg).To(ContainSubstring("without spec.registries[0].externalSecretRef the operator cannot ask for a new one"))
	g.Expect(es.patches).To(HaveLen(3))

	// The ExternalSecret does not exist: overdue.
	p = rotationPipeline(true)
	es.obj = nil
	st.RotationRequestedTime = nil
	rot, _ = check()
	g.Expect(rot.state).To(Equal(rotationOverdue))
	g.Expect(rot.msg).To(HaveSuffix("and ExternalSecret team-a/ecr (spec.registries[0].externalSecretRef) does not exist, so the operator cannot ask for a new one"))
}

func TestRotationCondition(t *testing.T) {
	g := NewWithT(t)
	r := &SecurePipelineReconciler{Recorder: record.NewFakeRecorder(10)}
	p := rotationPipeline(true)
	cond := func(rots ...rotation) metav1.Condition {
		r.setRotationCondition(p, rots)
		return *apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.CredentialsRotatedCondition)
	}
	g.Expect(cond(rotation{registry: "a"})).To(SatisfyAll(
		HaveField("Status", metav1.ConditionTrue), HaveField("Message", "no registry sets rotateEvery")))
	g.Expect(cond(rotation{state: rotationFresh, msg: "a: fresh"}, rotation{})).To(SatisfyAll(
		HaveField("Status", metav1.ConditionTrue), HaveField("Message", "every credential with rotateEvery is younger than it: a: fresh")))
	c := cond(rotation{state: rotationPending, msg: "a: pending"}, rotation{state: rotationOverdue, msg: "b: overdue"}, rotation{state: rotationFresh, msg: "c"})
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(civ1alpha1.RotationOverdueReason))
	g.Expect(c.Message).To(Equal("b: overdue; a: pending"))
	p.Spec.Registries = nil
	g.Expect(cond()).To(SatisfyAll(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", civ1alpha1.NoRegistriesReason)))
}
