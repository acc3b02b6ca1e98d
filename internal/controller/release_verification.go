package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
	"github.com/secure-pipeline/operator/internal/registry"
	"github.com/secure-pipeline/operator/internal/release"
)

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get

const (
	// trustedRootKey is the ConfigMap key of spec.releaseVerification.trustedRootRef.
	trustedRootKey = "trusted_root.json"
	// maxReleaseStatus bounds status.releases (20 images x 20 tags could be 400).
	maxReleaseStatus = 100
	// maxReleaseMessage bounds each status.releases[].message.
	maxReleaseMessage = 1024
	// maxReleaseEvents bounds the events of one check, so a repository of unsigned tags does not flood.
	maxReleaseEvents = 5
	// maxVerifyCache bounds the verification results kept in memory, across pipelines.
	maxVerifyCache = 4096
	// publicRootTTL is how long Sigstore's public-good trusted root, read from TUF, is kept.
	publicRootTTL = 24 * time.Hour
	// releaseCheckTimeout bounds one check of all images: a registry that answers slowly, or never, must not
	// hold the reconcile (and the other pipelines' turns) for long.
	releaseCheckTimeout = 2 * time.Minute
	// defaultReleaseInterval is spec.releaseVerification.interval's default.
	defaultReleaseInterval = time.Hour
)

// releaseVerifier is the release verification concern's memory: when each pipeline was last checked, and
// verification results by image, digest, policy and trusted root, so that an unchanged tag costs one HEAD.
type releaseVerifier struct {
	mu      sync.Mutex
	checked map[types.UID]releaseCheck
	results map[string]release.Result
	public  struct {
		root *release.TrustedRoot
		at   time.Time
	}
}

type releaseCheck struct {
	at         time.Time
	generation int64
	request    string
	rootID     string
}

func (v *releaseVerifier) init() {
	if v.checked == nil {
		v.checked = map[types.UID]releaseCheck{}
		v.results = map[string]release.Result{}
	}
}

// reconcileReleaseVerification verifies the newest tags of spec.releaseVerification's images every interval.
// Its failures are the releases' own: it never returns an error that would stop the other concerns.
func (r *SecurePipelineReconciler) reconcileReleaseVerification(ctx context.Context, s *pipelineState) error {
	p := s.p
	p.Status.ReleaseSuggestions = releaseSuggestions(p, r.Publishing)
	rv := p.Spec.ReleaseVerification
	v := &r.releases
	if rv == nil {
		v.forget(p)
		// Absent means off: no condition, so pipelines that do not use the feature look as they did.
		p.Status.Releases = nil
		apimeta.RemoveStatusCondition(&p.Status.Conditions, civ1alpha1.ReleasesVerifiedCondition)
		return nil
	}
	interval := defaultReleaseInterval
	if rv.Interval != nil && rv.Interval.Duration > 0 {
		interval = rv.Interval.Duration
	}
	now := r.Now()
	request := p.Annotations[civ1alpha1.ReconcileRequestAnnotation]
	v.mu.Lock()
	v.init()
	prev, seen := v.checked[p.UID]
	v.mu.Unlock()
	// The trusted root is read every time (one API server GET, or the day-old public-good root): a root
	// replaced by a stricter one applies at once, not an interval later.
	tr, rootErr := r.trustedRoot(ctx, p)
	rootID := ""
	if rootErr == nil {
		rootID = tr.ID()
	}
	// One check per interval: a new generation, trusted root or explicit resync request checks at once.
	if seen && prev.generation == p.Generation && prev.request == request && prev.rootID == rootID && now.Before(prev.at.Add(interval)) {
		s.wantRequeue(prev.at.Add(interval).Sub(now))
		return nil
	}
	if rootErr != nil {
		setCondition(p, civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionFalse, civ1alpha1.TrustedRootInvalidReason, rootErr.Error())
		v.remember(p, now, request, rootID)
		s.wantRequeue(interval)
		return nil
	}
	policy := releasePolicy(p)
	verifier := &release.Verifier{Root: tr}
	ctx, cancel := context.WithTimeout(ctx, releaseCheckTimeout)
	defer cancel()
	if a, ok := s.gh.(githubapi.AttestationsReader); ok {
		verifier.GitHub = githubAttestations{a: a, owner: p.Spec.Repository.Owner, repo: p.Spec.Repository.Name}
	}

	var out []civ1alpha1.ReleaseStatus
	for _, img := range rv.Images {
		out = append(out, r.verifyImage(ctx, p, img, verifier, policy, tr, now)...)
	}
	if len(out) > maxReleaseStatus {
		out = out[:maxReleaseStatus]
	}
	for i := range out {
		// A registry's error text is the registry's to choose: keep status small whatever it says.
		if len(out[i].Message) > maxReleaseMessage {
			out[i].Message = strings.ToValidUTF8(out[i].Message[:maxReleaseMessage-3], "") + "..."
		}
	}
	r.releaseEvents(p, p.Status.Releases, out)
	p.Status.Releases = out
	v.remember(p, now, request, rootID)
	s.wantRequeue(interval)

	var failed []civ1alpha1.ReleaseStatus
	for _, st := range out {
		if !st.Verified {
			failed = append(failed, st)
		}
	}
	if len(failed) == 0 {
		setCondition(p, civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionTrue, civ1alpha1.ReleaseVerifiedReason,
			fmt.Sprintf("%d release(s) of %d image(s) verified: signed by %s", len(out), len(rv.Images), policy.ExpectedIdentity()))
		return nil
	}
	f := failed[0]
	setCondition(p, civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionFalse, f.Reason,
		fmt.Sprintf("%d of %d release(s) not verified; first: %s: %s", len(failed), len(out), releaseName(f), f.Message))
	return nil
}

func releaseName(st civ1alpha1.ReleaseStatus) string {
	if st.Tag == "" {
		return st.Image
	}
	return st.Image + ":" + st.Tag
}

func (v *releaseVerifier) remember(p *civ1alpha1.SecurePipeline, now time.Time, request, rootID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.checked[p.UID] = releaseCheck{at: now, generation: p.Generation, request: request, rootID: rootID}
}

// forget drops a pipeline's check time (release verification turned off, or the pipeline deleted). Cached
// results stay: they are keyed by content, and bounded.
func (v *releaseVerifier) forget(p *civ1alpha1.SecurePipeline) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.checked, p.UID)
}

func (v *releaseVerifier) cached(key string) (release.Result, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	res, ok := v.results[key]
	return res, ok
}

func (v *releaseVerifier) store(key string, res release.Result) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.results) >= maxVerifyCache {
		clear(v.results) // simple and bounded: the next check re-verifies what it still needs
	}
	v.results[key] = res
}

func releasePolicy(p *civ1alpha1.SecurePipeline) release.Policy {
	rv := p.Spec.ReleaseVerification
	return release.Policy{
		Repository: p.RepositoryFullName(), Workflow: rv.Signer.Workflow, RefPattern: rv.Signer.RefPattern, Issuer: rv.Signer.Issuer,
		RequireSBOM: rv.SBOM != civ1alpha1.AttestationOptional, RequireProvenance: rv.Provenance == civ1alpha1.AttestationRequired,
	}
}

// verifyImage lists one image's tags, resolves the selected ones (one HEAD each) and verifies the digests
// not verified before under the same policy and trusted root.
func (r *SecurePipelineReconciler) verifyImage(ctx context.Context, p *civ1alpha1.SecurePipeline, img civ1alpha1.ReleaseImage,
	verifier *release.Verifier, policy release.Policy, tr *release.TrustedRoot, now time.Time) []civ1alpha1.ReleaseStatus {
	failAll := func(reason, msg string) []civ1alpha1.ReleaseStatus {
		return []civ1alpha1.ReleaseStatus{{Image: img.Repository, Reason: reason, Message: msg}}
	}
	if err := policy.Validate(); err != nil {
		return failAll(civ1alpha1.InvalidSpecReason, "spec.releaseVerification.signer: "+err.Error())
	}
	opts, err := r.registryOptions(ctx, p, img)
	if err != nil {
		return failAll(civ1alpha1.RegistryAccessDeniedReason, err.Error())
	}
	reg, err := release.NewRegistry(img.Repository, opts)
	if err != nil {
		return failAll(civ1alpha1.InvalidSpecReason, "spec.releaseVerification.images[].repository: "+err.Error())
	}
	tags, err := reg.Tags(ctx)
	if err != nil {
		return failAll(registryReason(err), err.Error())
	}
	newest := int(img.Tags.Newest)
	if newest <= 0 {
		newest = 5
	}
	selected := release.SelectTags(tags, img.Tags.Pattern, newest)
	if len(selected) == 0 {
		return failAll(civ1alpha1.UnsignedReason, fmt.Sprintf("no tag of %s matches %q", img.Repository, img.Tags.Pattern))
	}
	var out []civ1alpha1.ReleaseStatus
	for _, tag := range selected {
		st := civ1alpha1.ReleaseStatus{Image: img.Repository, Tag: tag}
		h, err := reg.Resolve(ctx, tag)
		if err != nil {
			st.Reason, st.Message = registryReason(err), err.Error()
			out = append(out, st)
			continue
		}
		st.Digest = h.String()
		key := strings.Join([]string{reg.Repository(), h.String(), policy.Key(), tr.ID()}, "\x00")
		res, ok := r.releases.cached(key)
		verifiedAt := now
		if ok {
			verifiedAt = previousVerifiedTime(p.Status.Releases, img.Repository, tag, h, now)
		} else {
			res, err = verifier.Verify(ctx, reg, h, policy)
			if err == nil && !res.Partial {
				// Registry failures, and results without GitHub's attestations, are not results to keep:
				// the next check tries again.
				r.releases.store(key, res)
			}
		}
		st.Verified, st.Reason, st.Message = res.Verified, res.Reason, res.Message
		st.SBOMFormat, st.Provenance = res.SBOMFormat, res.Provenance
		if res.Signer != nil {
			st.Signer = &civ1alpha1.ReleaseSignerStatus{SAN: res.Signer.SAN, Issuer: res.Signer.Issuer, Ref: res.Signer.Ref, WorkflowSHA: res.Signer.WorkflowSHA}
		}
		t := metav1.NewTime(verifiedAt)
		st.VerifiedTime = &t
		out = append(out, st)
	}
	return out
}

// previousVerifiedTime keeps the time a cached result was first established, so status does not change
// (and cost a write) on every check of an unchanged tag.
func previousVerifiedTime(prev []civ1alpha1.ReleaseStatus, image, tag string, h v1.Hash, now time.Time) time.Time {
	for _, st := range prev {
		if st.Image == image && st.Tag == tag && st.Digest == h.String() && st.VerifiedTime != nil {
			return st.VerifiedTime.Time
		}
	}
	return now
}

func registryReason(err error) string {
	if re, ok := errors.AsType[*release.RegistryError](err); ok {
		return re.Reason
	}
	return civ1alpha1.RegistryUnavailableReason
}

// registryOptions reads the pull Secret, if any. Its credential goes to the image's registry only.
func (r *SecurePipelineReconciler) registryOptions(ctx context.Context, p *civ1alpha1.SecurePipeline, img civ1alpha1.ReleaseImage) (release.RegistryOptions, error) {
	opts := release.RegistryOptions{Transport: r.ReleaseTransport, TokenRealmHosts: img.TokenRealmHosts, UserAgent: "secure-pipeline-operator"}
	if img.PullSecretRef == nil {
		return opts, nil
	}
	name := img.PullSecretRef.Name
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return opts, fmt.Errorf("the pull Secret %s/%s (spec.releaseVerification.images[%s].pullSecretRef) does not exist", p.Namespace, name, img.Repository)
		}
		return opts, fmt.Errorf("reading the pull Secret %s/%s: %w", p.Namespace, name, err)
	}
	server, _, _ := strings.Cut(img.Repository, "/")
	cred, err := registry.FromSecret(string(secret.Type), secret.Data, server)
	if err != nil {
		return opts, fmt.Errorf("the pull Secret %s/%s: %w", p.Namespace, name, err)
	}
	opts.Credentials = &release.Credentials{Username: cred.Username, Password: cred.Password}
	return opts, nil
}

// trustedRoot reads spec.releaseVerification.trustedRootRef, or Sigstore's public-good root from TUF.
func (r *SecurePipelineReconciler) trustedRoot(ctx context.Context, p *civ1alpha1.SecurePipeline) (*release.TrustedRoot, error) {
	ref := p.Spec.ReleaseVerification.TrustedRootRef
	if ref == nil {
		return r.publicTrustedRoot()
	}
	cm := &corev1.ConfigMap{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: ref.Name}, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("the trusted root ConfigMap %s/%s (spec.releaseVerification.trustedRootRef) does not exist", p.Namespace, ref.Name)
		}
		return nil, fmt.Errorf("reading the trusted root ConfigMap %s/%s: %w", p.Namespace, ref.Name, err)
	}
	data, ok := cm.Data[trustedRootKey]
	if !ok {
		return nil, fmt.Errorf("the trusted root ConfigMap %s/%s has no %q key", p.Namespace, ref.Name, trustedRootKey)
	}
	tr, err := release.ParseTrustedRoot([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("the trusted root ConfigMap %s/%s: %w", p.Namespace, ref.Name, err)
	}
	return tr, nil
}

// publicTrustedRoot fetches Sigstore's public-good trusted root through TUF (the TUF root embedded in
// sigstore-go bootstraps the chain of trust), at most once a day.
func (r *SecurePipelineReconciler) publicTrustedRoot() (*release.TrustedRoot, error) {
	v := &r.releases
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.public.root != nil && r.Now().Before(v.public.at.Add(publicRootTTL)) {
		return v.public.root, nil
	}
	fetch := r.PublicTrustedRoot
	if fetch == nil {
		fetch = release.FetchPublicGoodTrustedRoot
	}
	data, err := fetch()
	if err != nil {
		return nil, fmt.Errorf("reading Sigstore's public-good trusted root from its TUF repository (set spec.releaseVerification.trustedRootRef for an offline root): %w", err)
	}
	tr, err := release.ParseTrustedRoot(data)
	if err != nil {
		return nil, fmt.Errorf("the public-good trusted root from Sigstore's TUF repository: %w", err)
	}
	v.public.root, v.public.at = tr, r.Now()
	return tr, nil
}

// releaseEvents records a Warning for each tag that became unverified (new, or verified before).
func (r *SecurePipelineReconciler) releaseEvents(p *civ1alpha1.SecurePipeline, before, now []civ1alpha1.ReleaseStatus) {
	was := map[string]civ1alpha1.ReleaseStatus{}
	for _, st := range before {
		was[releaseName(st)] = st
	}
	n := 0
	for _, st := range now {
		prev, seen := was[releaseName(st)]
		if st.Verified || (seen && !prev.Verified && prev.Digest == st.Digest && prev.Reason == st.Reason) {
			continue
		}
		if n++; n > maxReleaseEvents {
			break
		}
		r.event(p, corev1.EventTypeWarning, "ReleaseUnverified", "VerifyRelease", "%s (%s) is not verified: %s: %s",
			releaseName(st), st.Digest, st.Reason, st.Message)
	}
}

// githubAttestations adapts the GitHub client to release.AttestationSource for one repository.
type githubAttestations struct {
	a           githubapi.AttestationsReader
	owner, repo string
}

func (g githubAttestations) Attestations(ctx context.Context, digest string) ([][]byte, error) {
	return g.a.Attestations(ctx, g.owner, g.repo, digest)
}

// releasesAffectReady says whether ReleasesVerified feeds Ready (spec.releaseVerification.affectsReady).
func releasesAffectReady(p *civ1alpha1.SecurePipeline) bool {
	return p.Spec.ReleaseVerification != nil && p.Spec.ReleaseVerification.AffectsReady
}
