package controller

import (
	"errors"
	"fmt"
	"strings"
	"time"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// stallingError means a human must act (bad credentials, unknown repository or reviewer): the pipeline is
// Stalled and the operator does not retry hot; it looks again on the next resync or when the spec or a
// referenced Secret changes.
type stallingError struct {
	reason string
	msg    string
	// local errors concern one part of the spec (a reviewer, a registry Secret): the other concerns go on.
	local bool
	// err is the cause, if any, for errors.Is and errors.As; msg already says it.
	err error
}

func (e *stallingError) Error() string { return e.msg }
func (e *stallingError) Unwrap() error { return e.err }

func stalling(reason, format string, args ...any) error {
	return &stallingError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

func stallingLocal(reason, format string, args ...any) error {
	return &stallingError{reason: reason, msg: fmt.Sprintf(format, args...), local: true}
}

// waitingError means the operator knows when to try again (a rate limit's reset, a pending rotation).
type waitingError struct {
	reason string
	msg    string
	after  time.Duration
	err    error
}

func (e *waitingError) Error() string { return e.msg }
func (e *waitingError) Unwrap() error { return e.err }

// ungracefulError is a failure that must show at once, without the grace a transient failure gets
// (transientGrace): the production gate broken on GitHub and not restored, or a credential's push that
// failed. Ready must never stay True over it.
type ungracefulError struct{ error }

func (e ungracefulError) Unwrap() error { return e.error }

// ungraceful marks err as one that must show at once; nil stays nil.
func ungraceful(err error) error {
	if err == nil {
		return nil
	}
	return ungracefulError{err}
}

func isUngraceful(err error) bool {
	var u ungracefulError
	return errors.As(err, &u)
}

func asStalling(err error) (*stallingError, bool) {
	var s *stallingError
	ok := errors.As(err, &s)
	return s, ok
}

func asWaiting(err error) (*waitingError, bool) {
	var w *waitingError
	ok := errors.As(err, &w)
	return w, ok
}

// classify turns a GitHub error into the reconciler's kinds. what says what the operator was doing,
// e.g. "updating environment production of acme/web"; it replaces the GitHub client's own account of
// the same thing, so that the message says it once ("reading repository acme/web: GitHub GET ... answered
// 502"), while the cause stays in the chain for errors.Is and errors.As.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := asStalling(err); ok {
		return err // classified already, by the layer that knew what it was doing
	}
	if _, ok := asWaiting(err); ok {
		return err
	}
	if _, ok := errors.AsType[*wrapped](err); ok {
		return err
	}
	cause := causeOf(err)
	if rl, ok := githubapi.AsRateLimit(err); ok {
		after := max(time.Until(rl.RetryAt), time.Second)
		return &waitingError{reason: civ1alpha1.RateLimitedReason, after: after, err: err,
			msg: fmt.Sprintf("%s: %v", what, rl)}
	}
	var st *stallingError
	switch {
	case githubapi.IsInvalidCredentials(err):
		st = &stallingError{reason: civ1alpha1.InvalidCredentialsReason, msg: fmt.Sprintf("%s: %v", what, cause)}
	case githubapi.IsInvalidAPIURL(err):
		st = &stallingError{reason: civ1alpha1.InvalidSpecReason, msg: err.Error()}
	case githubapi.IsUnauthorized(err):
		st = &stallingError{reason: civ1alpha1.AuthenticationFailedReason,
			msg: what + ": GitHub refused the credentials (401 Bad credentials): fix the token or GitHub App keys in the credentials Secret"}
	case githubapi.IsForbidden(err):
		st = &stallingError{reason: civ1alpha1.AccessDeniedReason,
			msg: fmt.Sprintf("%s: the credentials lack a permission (%v): grant the token or App the permissions listed in the README", what, cause)}
	case githubapi.IsValidation(err):
		st = &stallingError{reason: civ1alpha1.InvalidSpecReason, local: true, msg: fmt.Sprintf("%s: GitHub refused the request: %v", what, cause)}
	default:
		return &wrapped{msg: what + ": " + cause.Error(), err: err}
	}
	st.err = err
	return st
}

// wrapped is an error whose message is its own, with err (which it replaces in the text) as its cause.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

// causeOf strips the prefixes wrapped around an error ("reading repository acme/web: ..."), down to the
// error that says what went wrong (GitHub's answer, a refused connection). It only goes through wrappers
// whose message is a prefix followed by their cause's message, so no information is dropped.
func causeOf(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil || (err.Error() != u.Error() && !strings.HasSuffix(err.Error(), ": "+u.Error())) {
			return err
		}
		err = u
	}
}

// stopsTheRun says whether err makes every further request of the run fail the same way: GitHub refused
// the credentials, or their rate limit is spent.
func stopsTheRun(err error) bool {
	if st, ok := asStalling(err); ok {
		return st.reason == civ1alpha1.AuthenticationFailedReason || st.reason == civ1alpha1.InvalidCredentialsReason
	}
	return isRateLimited(err)
}
