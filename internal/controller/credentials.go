package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
	"github.com/secure-pipeline/operator/internal/registry"
)

// The credentials concern: for each spec.registries entry, read the referenced Secret uncached (the
// manager's cache never holds Secret data; an unchanged Secret is not read again, see secret_reads.go),
// parse the registry's user name and password out of it, and keep them on GitHub as secrets of the
// registry's environment.
//
// A push happens only when needed, which status.registries[] tells without holding any value:
//   - the source changed: the keyed fingerprint (HMAC-SHA-256, see credentials_fingerprint.go) of the
//     credential differs from the one recorded at the last push;
//   - someone changed a secret on GitHub: its updated_at is later than status lastPushTime (GitHub's own
//     updated_at of our push, read back after it, so that clock skew between the cluster and GitHub
//     cannot make every resync push again; GitHub's times have one-second precision, so an overwrite in
//     the same second as our push goes unnoticed);
//   - a secret is missing on GitHub, or the registry moved to another environment or secret names.
//
// A production-tier credential is pushed only after GitHub confirms that its environment has required
// reviewers (credentials_guard.go). Secrets this pipeline pushed under names no longer declared are
// deleted; nothing else on GitHub is. Rotation (rotateEvery) is in rotation.go.
//
// Values never leave this file except sealed for GitHub: errors, events, logs and status name Secrets,
// keys and GitHub secret names only.

const (
	// notGatedRetry is when a production push blocked by a transient failure to restore its environment's
	// reviewers is tried again.
	notGatedRetry = 15 * time.Second
)

// credentialRun is one reconcile of the credentials concern.
type credentialRun struct {
	r *SecurePipelineReconciler
	s *pipelineState
	// secrets caches each environment's secret listing (key: lower-cased environment name; value: by
	// upper-cased secret name) for this run; a push drops its environment's entry.
	secrets map[string]map[string]githubapi.SecretMetadata
	// key is the pipeline's fingerprint key, read on first need.
	key []byte
	// rotations are the registries' rotation states, for the CredentialsRotated condition.
	rotations []rotation
	// unenforced are the production registries pushed to an environment whose server cannot forbid
	// administrators to bypass the reviewers (accepted by spec.github.acceptUnenforcedAdminBypass).
	unenforced []string
}

// reconcileCredentials pushes registry credentials into environment secrets and removes the ones no
// longer declared.
func (r *SecurePipelineReconciler) reconcileCredentials(ctx context.Context, s *pipelineState) error {
	p := s.p
	run := &credentialRun{r: r, s: s, secrets: map[string]map[string]githubapi.SecretMetadata{}}

	blocked, cleanupErr := run.removeUndeclared(ctx)
	if len(p.Spec.Registries) == 0 {
		r.setRotationCondition(p, nil)
		if cleanupErr != nil {
			return cleanupErr
		}
		setCondition(p, civ1alpha1.CredentialsReadyCondition, metav1.ConditionTrue, civ1alpha1.NoRegistriesReason, "no registries declared")
		return nil
	}

	errs := []error{cleanupErr}
	for i := range p.Spec.Registries {
		reg := &p.Spec.Registries[i]
		if !blocked[reg.Name] {
			errs = append(errs, run.syncRegistry(ctx, i))
		}
		run.rotations = append(run.rotations, r.checkRotation(ctx, s, i, registryStatus(p, reg.Name)))
	}
	r.setRotationCondition(p, run.rotations)
	p.Status.Registries = sortedRegistryStatus(p)

	if err := combineErrors(errs); err != nil {
		return err
	}
	names := make([]string, 0, len(p.Spec.Registries))
	for _, reg := range p.Spec.Registries {
		names = append(names, reg.Name)
	}
	reason, msg := civ1alpha1.SucceededReason, fmt.Sprintf("the credentials of registries %s are on GitHub as declared", strings.Join(names, ", "))
	if len(run.unenforced) > 0 {
		reason = civ1alpha1.AdminBypassNotEnforcedReason
		msg += fmt.Sprintf("; warning: registries %s were pushed to environments whose GitHub server does not support can_admins_bypass, so repository administrators can deploy with them without approval (accepted by spec.github.acceptUnenforcedAdminBypass)",
			strings.Join(run.unenforced, ", "))
	}
	setCondition(p, civ1alpha1.CredentialsReadyCondition, metav1.ConditionTrue, reason, msg)
	return nil
}

// syncRegistry reads spec.registries[i]'s Secret and pushes the credential when needed.
func (c *credentialRun) syncRegistry(ctx context.Context, i int) error {
	p, r := c.s.p, c.r
	reg := &p.Spec.Registries[i]
	userName, passName := reg.EffectiveSecretNames()

	ref := reg.CredentialsSecretRef.Name

	// The credential's fingerprint: remembered when its Secret has not moved since the last read that
	// ended with the credential on GitHub (secret_reads.go), else read from the Secret.
	var (
		cred        registry.Credential
		fp, version string
		haveValue   bool
	)
	read := func() error {
		got, v, err := c.readCredential(ctx, i)
		if err == nil {
			err = checkCredentialSize(p, i, got)
		}
		var f string
		if err == nil {
			f, err = c.fingerprint(ctx, got)
		}
		if err != nil {
			r.secretReads.forgetRegistry(p.UID, reg.Name)
			return err
		}
		cred, fp, version, haveValue = got, f, v, true
		return nil
	}
	remembered := false
	if v, ok := r.cachedSecretVersion(ctx, types.NamespacedName{Namespace: p.Namespace, Name: ref}); ok {
		fp, remembered = r.secretReads.registryFingerprint(p.UID, reg.Name, ref, v, c.s.credsVersion)
	}
	if remembered {
		countSecretRead(secretKindRegistry, true)
	} else if err := read(); err != nil {
		return err
	}
	remember := func() {
		r.secretReads.rememberRegistry(p.UID, reg.Name, registryRead{secret: ref, version: version, credsVersion: c.s.credsVersion, fingerprint: fp})
	}

	st := ensureRegistryStatus(p, reg.Name)
	moved := !strings.EqualFold(st.Environment, reg.Environment) ||
		!strings.EqualFold(st.UsernameSecret, userName) || !strings.EqualFold(st.PasswordSecret, passName)
	if firstPush(st) || moved || st.LastPushTime == nil || st.Fingerprint != fp {
		// A push is due whatever GitHub holds (a rotation, or one that has not completed yet, e.g. after
		// a rate limit): its reads go ahead of routine resyncs too, or a retry's listing (its cached
		// answer dropped by the failed write) would queue behind the primary budget's pacing.
		ctx = githubapi.WithPriority(ctx, githubapi.PriorityUrgent)
	}
	var onGitHub map[string]githubapi.SecretMetadata
	// A first push, one to another place, a rotation and a retry happen whatever GitHub holds: no need
	// to look. The read-back after the push records GitHub's updated_at all the same.
	if !pushDueAnyway(st, moved, fp) {
		var err error
		if onGitHub, err = c.listSecrets(ctx, reg.Environment); err != nil {
			return err
		}
	}
	why := pushReasons(st, moved, fp, onGitHub, userName, passName)
	if len(why) > 0 && !haveValue {
		// Due for another reason than its Secret (a secret changed or deleted on GitHub): the value is read.
		if err := read(); err != nil {
			return err
		}
		why = pushReasons(st, moved, fp, onGitHub, userName, passName)
	}
	if len(why) == 0 {
		if haveValue {
			remember()
		}
		return nil
	}
	// A rotation (or a reverted overwrite) goes ahead of routine resyncs in the identity's request budget,
	// its reads as well as its writes.
	ctx = githubapi.WithPriority(ctx, githubapi.PriorityUrgent)

	// From here on a push is due: its failure must show at once (Ready never stays True over a credential
	// that did not reach GitHub).
	if reg.Tier == civ1alpha1.RegistryTierProduction {
		unenforced, err := r.ensureGated(ctx, c.s, i)
		if err != nil {
			return ungraceful(err)
		}
		if unenforced {
			c.unenforced = append(c.unenforced, reg.Name)
		}
	}
	where := fmt.Sprintf("environment %s of %s", reg.Environment, p.RepositoryFullName())
	key, err := c.s.gh.EnvironmentPublicKey(ctx, c.s.repo.ID, reg.Environment)
	if githubapi.IsNotFound(err) {
		return environmentMissing(reg.Environment)
	}
	if err != nil {
		return ungraceful(classify(err, "reading the secrets public key of "+where))
	}
	// Record where the values go before writing them, so that even a half-done push is known and
	// cleaned up if the registry goes away.
	if moved {
		st.Environment, st.UsernameSecret, st.PasswordSecret = reg.Environment, userName, passName
		st.LastPushTime = nil
	}
	for _, put := range []struct{ name, value string }{{userName, cred.Username}, {passName, cred.Password}} {
		sealed, err := githubapi.Seal(key, []byte(put.value))
		if err != nil {
			return fmt.Errorf("sealing secret %s for %s: %w", put.name, where, err)
		}
		if err := c.s.gh.PutEnvironmentSecret(ctx, c.s.repo.ID, reg.Environment, put.name, sealed); err != nil {
			delete(c.secrets, strings.ToLower(reg.Environment))
			return ungraceful(classify(err, fmt.Sprintf("writing secret %s of %s", put.name, where)))
		}
	}
	delete(c.secrets, strings.ToLower(reg.Environment))

	now := metav1.NewTime(r.Now())
	pushed := now
	// GitHub's updated_at of our own write is what later drift checks compare with.
	if after, err := c.listSecrets(ctx, reg.Environment); err == nil {
		u, uok := after[strings.ToUpper(userName)]
		pw, pok := after[strings.ToUpper(passName)]
		if uok && pok {
			pushed = metav1.NewTime(maxTime(u.UpdatedAt, pw.UpdatedAt))
		}
	}
	valueChanged := st.Fingerprint == "" ||
		(fingerprintKeyID(st.Fingerprint) == fingerprintKeyID(fp) && st.Fingerprint != fp)
	if valueChanged {
		st.LastRotationTime = &now
	}
	st.Fingerprint = fp
	st.LastPushTime = &pushed
	remember()
	r.changed(c.s, "CredentialsPushed", "pushed the credential of registry %s to secrets %s and %s of %s: %s",
		reg.Name, userName, passName, where, strings.Join(why, "; "))
	return nil
}

// rotationPending says whether a credential push is probably due in this run: a registry's Secret
// moved since its last push, or a push did not complete. Then the whole run's reads go ahead of routine
// resyncs in the identity's request budget: a rotation must not wait behind the primary budget's pacing
// while the environments concern re-reads what its last write changed.
func (r *SecurePipelineReconciler) rotationPending(ctx context.Context, p *civ1alpha1.SecurePipeline) bool {
	for _, reg := range p.Spec.Registries {
		if st := registryStatus(p, reg.Name); st != nil && st.Fingerprint != "" && st.LastPushTime == nil {
			return true
		}
		ref := reg.CredentialsSecretRef.Name
		v, known := r.cachedSecretVersion(ctx, types.NamespacedName{Namespace: p.Namespace, Name: ref})
		if r.secretReads.registryMoved(p.UID, reg.Name, ref, v, known) {
			return true
		}
	}
	return false
}

// firstPush says whether nothing of the registry was ever pushed.
func firstPush(st *civ1alpha1.RegistryStatus) bool {
	return st.LastPushTime == nil && st.Fingerprint == ""
}

// pushDueAnyway says whether the registry's credential is pushed whatever GitHub holds.
func pushDueAnyway(st *civ1alpha1.RegistryStatus, moved bool, fp string) bool {
	return firstPush(st) || moved || st.LastPushTime == nil || st.Fingerprint != fp
}

// pushReasons says why the registry's credential must be pushed; none means it is on GitHub as it should
// be. onGitHub is nil when GitHub was not looked at (pushDueAnyway).
func pushReasons(st *civ1alpha1.RegistryStatus, moved bool, fp string, onGitHub map[string]githubapi.SecretMetadata, names ...string) []string {
	switch {
	case firstPush(st):
		return []string{"first push"}
	case moved:
		return []string{"the registry's environment or secret names changed"}
	}
	var why []string
	if st.LastPushTime == nil {
		why = append(why, "the last push did not complete")
	}
	if st.Fingerprint != fp {
		if fingerprintKeyID(st.Fingerprint) == fingerprintKeyID(fp) {
			why = append(why, "the credential in its Secret changed")
		} else {
			why = append(why, "the fingerprint key changed, so the operator cannot tell whether the credential did")
		}
	}
	for _, name := range names {
		if onGitHub == nil {
			break
		}
		meta, ok := onGitHub[strings.ToUpper(name)]
		switch {
		case !ok:
			why = append(why, fmt.Sprintf("secret %s was missing on GitHub", name))
		case st.LastPushTime != nil && meta.UpdatedAt.After(st.LastPushTime.Time):
			why = append(why, fmt.Sprintf("secret %s was changed on GitHub after the operator's last push", name))
		}
	}
	return why
}

// readCredential reads spec.registries[i]'s Secret uncached and parses the registry's credential; it
// returns the Secret's resourceVersion too.
func (c *credentialRun) readCredential(ctx context.Context, i int) (registry.Credential, string, error) {
	p := c.s.p
	reg := &p.Spec.Registries[i]
	ref := reg.CredentialsSecretRef.Name
	field := fmt.Sprintf("registry %s (spec.registries[%d].credentialsSecretRef): Secret %s/%s", reg.Name, i, p.Namespace, ref)
	secret := &corev1.Secret{}
	countSecretRead(secretKindRegistry, false)
	if err := c.r.APIReader.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: ref}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return registry.Credential{}, "", stallingLocal(civ1alpha1.SecretNotFoundReason,
				"%s does not exist: create it, of type %s with an entry for %s, or of type %s",
				field, registry.TypeDockerConfigJSON, reg.Server, registry.TypeBasicAuth)
		}
		return registry.Credential{}, "", fmt.Errorf("%s could not be read: %w", field, err)
	}
	cred, err := registry.FromSecret(string(secret.Type), secret.Data, reg.Server)
	if err != nil {
		reason := civ1alpha1.MalformedSecretReason
		switch registry.KindOf(err) {
		case registry.UnsupportedType:
			reason = civ1alpha1.SecretTypeUnsupportedReason
		case registry.NotInConfig:
			reason = civ1alpha1.RegistryNotInSecretReason
		}
		// The parser's messages name keys and entries, never values.
		return registry.Credential{}, "", stallingLocal(reason, "%s: %v", field, err)
	}
	return cred, secret.ResourceVersion, nil
}

// listSecrets lists an environment's secrets once per run, by upper-cased name (GitHub's names are
// case-insensitive and it stores them upper-cased).
func (c *credentialRun) listSecrets(ctx context.Context, env string) (map[string]githubapi.SecretMetadata, error) {
	k := strings.ToLower(env)
	if m, ok := c.secrets[k]; ok {
		return m, nil
	}
	list, err := c.s.gh.ListEnvironmentSecrets(ctx, c.s.repo.ID, env)
	if err != nil {
		if githubapi.IsNotFound(err) {
			return nil, environmentMissing(env)
		}
		return nil, classify(err, fmt.Sprintf("listing the secrets of environment %s of %s", env, c.s.p.RepositoryFullName()))
	}
	m := make(map[string]githubapi.SecretMetadata, len(list))
	for _, sm := range list {
		m[strings.ToUpper(sm.Name)] = sm
	}
	c.secrets[k] = m
	return m, nil
}

func environmentMissing(env string) error {
	return stallingLocal(civ1alpha1.FailedReason,
		"environment %s does not exist on GitHub, so no registry credential can be pushed to it: see condition %s",
		env, civ1alpha1.EnvironmentsReadyCondition)
}

// removeUndeclared deletes from GitHub the secrets recorded in status.registries that no registry of the
// spec declares any more (a registry removed, moved to another environment, or given other secret names),
// and forgets them. Secrets this pipeline did not push are never touched. It returns the registries whose
// old secrets could not all be deleted: their status is kept as it is, so that the next run tries again,
// and they are not pushed in this run.
func (c *credentialRun) removeUndeclared(ctx context.Context) (blocked map[string]bool, err error) {
	p := c.s.p
	declared := map[string]bool{}
	for i := range p.Spec.Registries {
		reg := &p.Spec.Registries[i]
		u, pw := reg.EffectiveSecretNames()
		declared[secretKey(reg.Environment, u)] = true
		declared[secretKey(reg.Environment, pw)] = true
	}
	blocked = map[string]bool{}
	var errs []error
	kept := p.Status.Registries[:0:0]
	for _, st := range p.Status.Registries {
		inSpec := slices.ContainsFunc(p.Spec.Registries, func(r civ1alpha1.Registry) bool { return r.Name == st.Name })
		failed := false
		for _, name := range []*string{&st.UsernameSecret, &st.PasswordSecret} {
			if *name == "" || st.Environment == "" || declared[secretKey(st.Environment, *name)] {
				continue
			}
			if err := c.s.gh.DeleteEnvironmentSecret(ctx, c.s.repo.ID, st.Environment, *name); err != nil && !githubapi.IsNotFound(err) {
				errs = append(errs, classify(err, fmt.Sprintf("deleting secret %s of environment %s of %s", *name, st.Environment, p.RepositoryFullName())))
				failed = true
				continue
			}
			delete(c.secrets, strings.ToLower(st.Environment))
			why := "registry " + st.Name + " was removed from spec.registries"
			if inSpec {
				why = "registry " + st.Name + " now uses other secret names or another environment"
			}
			c.r.changed(c.s, "SecretDeleted", "deleted secret %s of environment %s of %s, which this pipeline pushed: %s",
				*name, st.Environment, p.RepositoryFullName(), why)
			*name = ""
		}
		switch {
		case failed:
			blocked[st.Name] = true
			kept = append(kept, st)
		case inSpec:
			if st.UsernameSecret == "" && st.PasswordSecret == "" {
				st.Environment = ""
			}
			kept = append(kept, st)
		}
	}
	p.Status.Registries = kept
	return blocked, errors.Join(errs...)
}

func secretKey(env, name string) string { return strings.ToLower(env) + "\x00" + strings.ToUpper(name) }

// registryStatus returns the status entry of a registry, or nil.
func registryStatus(p *civ1alpha1.SecurePipeline, name string) *civ1alpha1.RegistryStatus {
	for i := range p.Status.Registries {
		if p.Status.Registries[i].Name == name {
			return &p.Status.Registries[i]
		}
	}
	return nil
}

// ensureRegistryStatus returns the status entry of a registry, adding an empty one if there is none.
func ensureRegistryStatus(p *civ1alpha1.SecurePipeline, name string) *civ1alpha1.RegistryStatus {
	if st := registryStatus(p, name); st != nil {
		return st
	}
	p.Status.Registries = append(p.Status.Registries, civ1alpha1.RegistryStatus{Name: name})
	return &p.Status.Registries[len(p.Status.Registries)-1]
}

// sortedRegistryStatus orders status.registries as spec.registries, with entries of removed registries
// (kept until their secrets are deleted) last. Entries with nothing pushed yet are dropped.
func sortedRegistryStatus(p *civ1alpha1.SecurePipeline) []civ1alpha1.RegistryStatus {
	order := map[string]int{}
	for i, reg := range p.Spec.Registries {
		order[reg.Name] = i
	}
	out := slices.DeleteFunc(slices.Clone(p.Status.Registries), func(st civ1alpha1.RegistryStatus) bool {
		return st.UsernameSecret == "" && st.PasswordSecret == "" && st.Fingerprint == "" &&
			st.LastRotationTime == nil && st.RotationRequestedTime == nil
	})
	slices.SortStableFunc(out, func(a, b civ1alpha1.RegistryStatus) int {
		ia, oka := order[a.Name]
		ib, okb := order[b.Name]
		switch {
		case oka && okb:
			return ia - ib
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// combineErrors turns the errors of a concern's parts (registries, environments) into the concern's one: a transient or waiting
// error first (the retry will report the rest), else the stalling ones together, under the first's reason.
func combineErrors(errs []error) error {
	var stalled []*stallingError
	var waiting error
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, e := range flatten(err) {
			if st, ok := asStalling(e); ok {
				stalled = append(stalled, st)
				continue
			}
			if _, ok := asWaiting(e); ok {
				if waiting == nil {
					waiting = e
				}
				continue
			}
			return e
		}
	}
	if waiting != nil {
		return waiting
	}
	if len(stalled) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(stalled))
	local := true
	for _, st := range stalled {
		msgs = append(msgs, st.msg)
		local = local && st.local
	}
	return &stallingError{reason: stalled[0].reason, msg: strings.Join(msgs, "; "), local: local}
}

// flatten undoes errors.Join.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
