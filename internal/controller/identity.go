package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// apiURL is the pipeline's spec.github.apiURL, or the manager's default.
func (r *SecurePipelineReconciler) apiURL(p *civ1alpha1.SecurePipeline) string {
	if p.Spec.GitHub.APIURL != "" {
		return p.Spec.GitHub.APIURL
	}
	return r.DefaultAPIURL
}

// server parses the pipeline's GitHub server once per reconcile. A URL the CRD's admission rules refuse
// now but that was stored before they existed is refused the same way, in the same words: the API
// server never re-validates a stored object.
func (r *SecurePipelineReconciler) server(p *civ1alpha1.SecurePipeline) (githubapi.Server, error) {
	raw := r.apiURL(p)
	s, err := githubapi.ParseServer(raw)
	if err != nil {
		return githubapi.Server{}, stalling(civ1alpha1.InvalidSpecReason, "%v", &githubapi.APIURLError{URL: raw, Problem: err.Error()})
	}
	return s, nil
}

// repositoryKey identifies the repository a pipeline manages for ownership: the server's ownership key
// (every spelling of one server, every loopback name, as one) and owner/name lower-cased as GitHub
// compares them. The same owner/name on two servers (GitHub.com and an Enterprise Server) are two
// repositories. A URL that cannot be parsed keys by its raw text; such a pipeline is Stalled anyway.
func (r *SecurePipelineReconciler) repositoryKey(p *civ1alpha1.SecurePipeline) string {
	server := r.apiURL(p)
	if s, err := githubapi.ParseServer(server); err == nil {
		server = s.OwnershipKey()
	}
	return strings.ToLower(server + " " + p.RepositoryFullName())
}

// repositoryOwner returns the pipeline that owns p's repository when it is not p. Only pipelines whose
// own credentials have read the repository take part (status.repositoryID equal to id, the repository's
// id as p's credentials just read it), so one that names a repository it cannot reach cannot lock its
// owner out however early it came. Among those, the oldest wins (olderThan). Deleting pipelines keep
// ownership until they are gone, so that their clean-up and a newcomer's writes never race.
func (r *SecurePipelineReconciler) repositoryOwner(ctx context.Context, p *civ1alpha1.SecurePipeline, id int64) (*civ1alpha1.SecurePipeline, error) {
	var list civ1alpha1.SecurePipelineList
	if err := r.List(ctx, &list, client.MatchingFields{repositoryIndex: r.repositoryKey(p)}); err != nil {
		return nil, fmt.Errorf("listing SecurePipelines for repository %s: %w", p.RepositoryFullName(), err)
	}
	owner := p
	for i := range list.Items {
		c := &list.Items[i]
		if c.UID == p.UID || !olderThan(c, owner) {
			continue
		}
		if c.Status.RepositoryID != id {
			// The cache may not have an older pipeline's proof of a moment ago yet: read its status
			// from the API server before letting p write.
			fresh := &civ1alpha1.SecurePipeline{}
			if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return nil, fmt.Errorf("reading SecurePipeline %s/%s, which names repository %s too: %w", c.Namespace, c.Name, p.RepositoryFullName(), err)
			}
			c = fresh
		}
		if c.Status.RepositoryID == id && olderThan(c, owner) {
			owner = c
		}
	}
	if owner == p {
		return nil, nil
	}
	return owner, nil
}

// proofClock times the settling of first proofs of access (proofSettleTime). A proof this process did
// not record has settled: it was persisted before the process's cache synced, so every pipeline sees it.
type proofClock struct {
	mu sync.Mutex
	at map[types.UID]time.Time
}

// record notes that a pipeline recorded its first proof of access at now.
func (c *proofClock) record(uid types.UID, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil {
		c.at = map[types.UID]time.Time{}
	}
	c.at[uid] = now
}

// unsettled is how long a pipeline's proof has yet to settle before it may write (0: settled).
func (c *proofClock) unsettled(uid types.UID, now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.at[uid]
	if !ok {
		return 0
	}
	if wait := at.Add(proofSettleTime).Sub(now); wait > 0 {
		return wait
	}
	delete(c.at, uid)
	return 0
}

func (c *proofClock) forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.at, uid)
}

// provesAccess says whether a repository as GitHub answered it to the pipeline's credentials proves that
// the repository is the pipeline's to manage.
func provesAccess(p *civ1alpha1.SecurePipeline, repo *githubapi.Repository) error {
	if !strings.EqualFold(repo.Owner, p.Spec.Repository.Owner) || !strings.EqualFold(repo.Name, p.Spec.Repository.Name) {
		// GitHub follows a renamed or transferred repository's old name: that name is an alias, which
		// would give one repository a second ownership key (and escape the allowed owners).
		return stalling(civ1alpha1.RepositoryRenamedReason,
			"GitHub answers repository %s as %s/%s (renamed or transferred): set spec.repository to its current name; until then this pipeline writes nothing",
			p.RepositoryFullName(), repo.Owner, repo.Name)
	}
	if repo.Admin != nil && !*repo.Admin {
		// Anyone can read a public repository: only administering it proves it is this pipeline's to manage.
		return stalling(civ1alpha1.AccessDeniedReason,
			"the credentials in Secret %s/%s can read repository %s but do not administer it (GitHub's permissions.admin is false): the operator needs a token or App of a repository admin",
			p.Namespace, p.Spec.GitHub.CredentialsSecretRef.Name, p.RepositoryFullName())
	}
	return nil
}

// olderThan orders pipelines by creation time. Creation timestamps have a resolution of one second, so
// ties are common; they go by UID, which the API server chooses at random: a tie-break by namespace or
// name would let a tenant win every tie by choosing a name that sorts first.
func olderThan(a, b *civ1alpha1.SecurePipeline) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.UID < b.UID
}

// checkAllowedOwner refuses a repository owner the pipeline's Namespace does not allow. Only who may
// edit Namespaces (a cluster admin) can set the annotation, so it bounds what the namespace's tenants
// can name. It is checked before GitHub is asked; a repository GitHub answers under another owner (a
// transferred one) is refused after the read, whatever the annotation.
func (r *SecurePipelineReconciler) checkAllowedOwner(ctx context.Context, p *civ1alpha1.SecurePipeline, owner string) error {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Get(ctx, client.ObjectKey{Name: p.Namespace}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // the namespace is going; the pipeline goes with it
		}
		return fmt.Errorf("reading Namespace %s for annotation %s: %w", p.Namespace, civ1alpha1.AllowedOwnersAnnotation, err)
	}
	value, ok := ns.GetAnnotations()[civ1alpha1.AllowedOwnersAnnotation]
	if !ok {
		return nil
	}
	if msg := ownerNotAllowed(value, owner); msg != "" {
		return stalling(civ1alpha1.OwnerNotAllowedReason,
			"Namespace %s allows only repositories of %s (annotation %s); %s: ask a cluster admin, or name a repository of an allowed owner in spec.repository.owner",
			p.Namespace, allowedList(value), civ1alpha1.AllowedOwnersAnnotation, msg)
	}
	return nil
}

// ownerNotAllowed says why owner is not in the comma-separated allowed list, compared as GitHub compares
// logins (case-insensitively), or "" when it is.
func ownerNotAllowed(allowed, owner string) string {
	for a := range strings.SplitSeq(allowed, ",") {
		if a = strings.TrimSpace(a); a != "" && strings.EqualFold(a, owner) {
			return ""
		}
	}
	return fmt.Sprintf("the repository's owner %q is not one of them", owner)
}

func allowedList(allowed string) string {
	var out []string
	for a := range strings.SplitSeq(allowed, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return "no owner"
	}
	return strings.Join(out, ", ")
}
