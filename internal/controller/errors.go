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
}

func (e *stallingError) Error() string { return e.msg }

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
}

func (e *waitingError) Error() string { return e.msg }

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
// e.g. "updating environment production of acme/web". The cause is wrapped once: when the GitHub client
// already said the same (its errors name what they were doing), what is not written a second time, and
// stalling messages quote GitHub's answer rather than the whole chain.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	if rl, ok := githubapi.AsRateLimit(err); ok {
		after := max(time.Until(rl.RetryAt), time.Second)
		return &waitingError{reason: civ1alpha1.RateLimitedReason, after: after,
			msg: fmt.Sprintf("%s: %v", what, rl)}
	}
	switch {
	case githubapi.IsInvalidCredentials(err):
		return stalling(civ1alpha1.InvalidCredentialsReason, "%s: %v", what, err)
	case githubapi.IsInvalidAPIURL(err):
		return stalling(civ1alpha1.InvalidSpecReason, "%v", err)
	case githubapi.IsUnauthorized(err):
		return stalling(civ1alpha1.AuthenticationFailedReason,
			"%s: GitHub refused the credentials (401 Bad credentials): fix the token or GitHub App keys in the credentials Secret", what)
	case githubapi.IsForbidden(err):
		return stalling(civ1alpha1.AccessDeniedReason,
			"%s: the credentials lack a permission (403: %v): grant the token or App the permissions listed in the README", what, gitHubAnswer(err))
	case githubapi.IsValidation(err):
		return stallingLocal(civ1alpha1.InvalidSpecReason, "%s: GitHub refused the request: %v", what, gitHubAnswer(err))
	}
	if strings.HasPrefix(err.Error(), what+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// gitHubAnswer is GitHub's error answer in err's chain, or err when there is none.
func gitHubAnswer(err error) error {
	if apiErr, ok := errors.AsType[*githubapi.APIError](err); ok {
		return apiErr
	}
	return err
}
