//nolint:goconst // test tables repeat identities, paths and field names on purpose
package controller

import (
	"context"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

// These tests drive the release verification concern with a fake clock, for what the envtest suite
// cannot do: the passing of an interval. The registry and the Sigstore are real (in-memory, loopback).

type releaseFixture struct {
	t        testing.TB
	host     string
	requests atomic.Int64
	ss       *sigstoretest.Sigstore
	r        *SecurePipelineReconciler
	rec      *record.FakeRecorder
	clock    *testClock
}

func newReleaseFixture(t testing.TB) *releaseFixture {
	t.Helper()
	f := &releaseFixture{t: t, clock: &testClock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}, rec: record.NewFakeRecorder(50)}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.host = strings.TrimPrefix(srv.URL, "http://")
	var err error
	if f.ss, err = sigstoretest.New(); err != nil {
		t.Fatal(err)
	}
	rootJSON, err := f.ss.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	_ = civ1alpha1.AddToScheme(scheme)
	_ = corev1.AddToScheme(scheme)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "sigstore-root"},
		Data:       map[string]string{trustedRootKey: string(rootJSON)},
	}).Build()
	f.r = &SecurePipelineReconciler{Client: c, APIReader: c, Now: f.clock.Now, Recorder: f.rec}
	return f
}

func (f *releaseFixture) repo() string { return f.host + "/acme/payments-api" }

func (f *releaseFixture) pushSigned(tag string, ref string) string {
	f.t.Helper()
	h, err := sigstoretest.PushRandomImage(f.repo() + ":" + tag)
	if err != nil {
		f.t.Fatal(err)
	}
	id := sigstoretest.GitHubWorkflow("acme/payments-api", ".github/workflows/release.yml", ref)
	for _, pt := range []string{release.CosignSignPredicateType, "https://spdx.dev/Document"} {
		b, err := f.ss.Sign(id, sigstoretest.Statement(h.String(), pt, nil))
		if err != nil {
			f.t.Fatal(err)
		}
		if err := sigstoretest.Attach(f.repo(), h, b, pt); err != nil {
			f.t.Fatal(err)
		}
	}
	return h.String()
}

func (f *releaseFixture) pipeline() *civ1alpha1.SecurePipeline {
	return &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "payments", UID: "uid-1", Generation: 1},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository: civ1alpha1.RepositoryReference{Owner: "acme", Name: "payments-api"},
			ReleaseVerification: &civ1alpha1.ReleaseVerification{
				Images:         []civ1alpha1.ReleaseImage{{Repository: f.repo(), Tags: civ1alpha1.ReleaseTagSelector{Pattern: "v*", Newest: 5}}},
				Signer:         civ1alpha1.ReleaseSigner{Workflow: ".github/workflows/release.yml", RefPattern: "refs/tags/v*"},
				SBOM:           civ1alpha1.AttestationRequired,
				TrustedRootRef: &civ1alpha1.ConfigMapReference{Name: "sigstore-root"},
				Interval:       &metav1.Duration{Duration: time.Hour},
			},
		},
	}
}

func (f *releaseFixture) run(p *civ1alpha1.SecurePipeline) *pipelineState {
	f.t.Helper()
	s := &pipelineState{p: p}
	if err := f.r.reconcileReleaseVerification(context.Background(), s); err != nil {
		f.t.Fatalf("the concern returned an error, which would stop the other concerns: %v", err)
	}
	return s
}

func releasesCondition(p *civ1alpha1.SecurePipeline) metav1.Condition {
	c := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReleasesVerifiedCondition)
	if c == nil {
		return metav1.Condition{}
	}
	return *c
}

// A release tag moved to an unsigned digest is detected at the next check, within one interval, and
// announced by an event; between checks nothing is sent to the registry, and unchanged tags cost one HEAD.
func TestReleaseTagMovedToUnsignedDigest(t *testing.T) {
	g := NewWithT(t)
	f := newReleaseFixture(t)
	d1 := f.pushSigned("v1.0.0", "refs/tags/v1.0.0")
	d2 := f.pushSigned("v1.1.0", "refs/tags/v1.1.0")
	p := f.pipeline()

	s := f.run(p)
	c := releasesCondition(p)
	g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
	g.Expect(c.Reason).To(Equal(civ1alpha1.ReleaseVerifiedReason))
	g.Expect(p.Status.Releases).To(HaveLen(2))
	g.Expect(p.Status.Releases[0].Tag).To(Equal("v1.1.0"), "newest first")
	g.Expect(p.Status.Releases[0].Digest).To(Equal(d2))
	g.Expect(p.Status.Releases[1].Digest).To(Equal(d1))
	g.Expect(p.Status.Releases[0].SBOMFormat).To(Equal("SPDX"))
	g.Expect(p.Status.Releases[0].Signer.SAN).To(Equal("https://github.com/acme/payments-api/.github/workflows/release.yml@refs/tags/v1.1.0"))
	g.Expect(p.Status.Releases[0].Signer.WorkflowSHA).NotTo(BeEmpty())
	g.Expect(s.requeueAfter).To(Equal(time.Hour))
	firstVerified := p.Status.Releases[0].VerifiedTime

	// Someone pushes an unsigned image over v1.1.0.
	unsigned, err := sigstoretest.PushRandomImage(f.repo() + ":v1.1.0")
	g.Expect(err).NotTo(HaveOccurred())

	// Within the interval the operator does not look.
	f.clock.now = f.clock.now.Add(30 * time.Minute)
	before := f.requests.Load()
	s = f.run(p)
	g.Expect(f.requests.Load()).To(Equal(before), "no registry request within the interval")
	g.Expect(s.requeueAfter).To(Equal(30 * time.Minute))
	g.Expect(releasesCondition(p).Status).To(Equal(metav1.ConditionTrue))

	// One interval after the last check, it does.
	f.clock.now = f.clock.now.Add(30 * time.Minute)
	before = f.requests.Load()
	f.run(p)
	c = releasesCondition(p)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(civ1alpha1.UnsignedReason))
	g.Expect(c.Message).To(ContainSubstring("1 of 2 release(s) not verified; first: " + f.repo() + ":v1.1.0"))
	g.Expect(p.Status.Releases[0].Digest).To(Equal(unsigned.String()))
	g.Expect(p.Status.Releases[0].Verified).To(BeFalse())
	g.Expect(p.Status.Releases[1].Verified).To(BeTrue())
	g.Expect(p.Status.Releases[1].VerifiedTime).To(Equal(firstVerified), "an unchanged digest keeps its verification time")
	g.Expect(<-f.rec.Events).To(HavePrefix("Warning ReleaseUnverified " + f.repo() + ":v1.1.0 (" + unsigned.String() + ") is not verified: Unsigned"))
	// Cost: the tag list, a HEAD per tag, and the new digest's referrers and legacy-tag probes; v1.0.0's
	// verification came from the cache.
	cost := f.requests.Load() - before
	g.Expect(cost).To(BeNumerically("<=", 7), "registry requests for a check with one changed tag")

	// The next check finds nothing new: no event, one HEAD per tag plus the list.
	f.clock.now = f.clock.now.Add(time.Hour)
	before = f.requests.Load()
	f.run(p)
	g.Expect(f.requests.Load() - before).To(BeNumerically("<=", 4))
	g.Expect(f.rec.Events).To(BeEmpty(), "an unchanged unverified tag is announced once")
}

// A missing trusted root and an unreachable registry are this concern's own failures.
func TestReleaseVerificationFailuresStayLocal(t *testing.T) {
	g := NewWithT(t)
	f := newReleaseFixture(t)
	p := f.pipeline()
	p.Spec.ReleaseVerification.TrustedRootRef.Name = "missing"
	f.run(p)
	c := releasesCondition(p)
	g.Expect(c.Reason).To(Equal(civ1alpha1.TrustedRootInvalidReason))
	g.Expect(c.Message).To(ContainSubstring("the trusted root ConfigMap team-a/missing (spec.releaseVerification.trustedRootRef) does not exist"))

	p = f.pipeline()
	p.UID = "uid-2"
	p.Spec.ReleaseVerification.Images[0].Repository = "127.0.0.1:1/acme/gone"
	f.run(p)
	c = releasesCondition(p)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(civ1alpha1.RegistryUnavailableReason), c.Message)

	p = f.pipeline()
	p.UID = "uid-3"
	p.Spec.ReleaseVerification.Images[0].PullSecretRef = &civ1alpha1.SecretReference{Name: "no-such-secret"}
	f.run(p)
	c = releasesCondition(p)
	g.Expect(c.Reason).To(Equal(civ1alpha1.RegistryAccessDeniedReason), c.Message)
	g.Expect(c.Message).To(ContainSubstring("the pull Secret team-a/no-such-secret"))
}

// Ready ignores ReleasesVerified unless affectsReady is set.
func TestReleasesAffectReadyOnlyWhenAsked(t *testing.T) {
	g := NewWithT(t)
	r := &SecurePipelineReconciler{Now: time.Now}
	p := (&releaseFixture{host: "registry.example"}).pipeline()
	for _, c := range r.concerns() {
		setCondition(p, c.condition, metav1.ConditionTrue, civ1alpha1.SucceededReason, "ok")
	}
	setCondition(p, civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionFalse, civ1alpha1.UnsignedReason, "v1.1.0 is unsigned")
	r.summarize(p, &runOutcome{})
	g.Expect(apimeta.IsStatusConditionTrue(p.Status.Conditions, civ1alpha1.ReadyCondition)).To(BeTrue())

	p.Spec.ReleaseVerification.AffectsReady = true
	r.summarize(p, &runOutcome{})
	ready := apimeta.FindStatusCondition(p.Status.Conditions, civ1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(civ1alpha1.UnsignedReason))
}

// The pull Secret's credential for the image's registry is used, and only that entry: another registry's
// entry in the same dockerconfigjson is not sent.
func TestReleasePullSecret(t *testing.T) {
	g := NewWithT(t)
	f := newReleaseFixture(t)
	f.pushSigned("v1.0.0", "refs/tags/v1.0.0")

	// The same registry behind basic auth, as another host (port) of 127.0.0.1.
	var seen []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		seen = append(seen, user)
		if !ok || user != "puller" || pass != "pull-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		proxy(w, r, f.host)
	}))
	t.Cleanup(front.Close)
	host := strings.TrimPrefix(front.URL, "http://")
	cfg := fmt.Sprintf(`{"auths":{%q:{"username":"puller","password":"pull-token"},"registry.other.example":{"username":"other","password":"other-token"}}}`, host)
	g.Expect(f.r.Client.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "pull"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(cfg)},
	})).To(Succeed())

	p := f.pipeline()
	p.Spec.ReleaseVerification.Images[0].Repository = host + "/acme/payments-api"
	p.Spec.ReleaseVerification.Images[0].PullSecretRef = &civ1alpha1.SecretReference{Name: "pull"}
	f.run(p)
	c := releasesCondition(p)
	g.Expect(c.Reason).To(Equal(civ1alpha1.ReleaseVerifiedReason), c.Message)
	g.Expect(seen).To(ContainElement("puller"))
	g.Expect(seen).NotTo(ContainElement("other"))

	// Without the Secret the registry refuses: RegistryAccessDenied.
	p = f.pipeline()
	p.UID = "uid-anonymous"
	p.Spec.ReleaseVerification.Images[0].Repository = host + "/acme/payments-api"
	f.run(p)
	g.Expect(releasesCondition(p).Reason).To(Equal(civ1alpha1.RegistryAccessDeniedReason))
}

// proxy forwards a request to the registry at host and copies the answer back.
func proxy(w http.ResponseWriter, r *http.Request, host string) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+host+r.URL.RequestURI(), r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Header.Del("Authorization")
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	maps.Copy(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// Replacing the trusted root re-verifies at once: a root that no longer trusts the test Sigstore turns the
// releases InvalidSignature without waiting for the interval.
func TestReleaseTrustedRootReplaced(t *testing.T) {
	g := NewWithT(t)
	f := newReleaseFixture(t)
	f.pushSigned("v1.0.0", "refs/tags/v1.0.0")
	p := f.pipeline()
	f.run(p)
	g.Expect(releasesCondition(p).Reason).To(Equal(civ1alpha1.ReleaseVerifiedReason))

	other, err := sigstoretest.New()
	g.Expect(err).NotTo(HaveOccurred())
	otherRoot, err := other.TrustedRootJSON()
	g.Expect(err).NotTo(HaveOccurred())
	cm := &corev1.ConfigMap{}
	g.Expect(f.r.Client.Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "sigstore-root"}, cm)).To(Succeed())
	cm.Data[trustedRootKey] = string(otherRoot)
	g.Expect(f.r.Client.Update(context.Background(), cm)).To(Succeed())

	f.clock.now = f.clock.now.Add(time.Minute) // well within the hour
	f.run(p)
	c := releasesCondition(p)
	g.Expect(c.Reason).To(Equal(civ1alpha1.InvalidSignatureReason), c.Message)
}
