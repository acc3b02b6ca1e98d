package github

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIError is an error answer from GitHub. Message is GitHub's, which never holds a secret value.
type APIError struct {
	Method string
	// Route is the route template, e.g. "PUT /repos/{owner}/{repo}/environments/{environment_name}".
	Route      string
	StatusCode int
	Message    string
	// Errors are GitHub's validation details on 422, flattened to text.
	Errors []string
}

// Error says which route answered what, with GitHub's message and details. Callers add what to do,
// because that depends on what they were doing.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GitHub %s answered %d", e.Route, e.StatusCode)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, d := range e.Errors {
		b.WriteString("; " + d)
	}
	return b.String()
}

// RateLimitError says GitHub's rate limit (primary or secondary) is spent until RetryAt.
// No request with the same credentials is sent before then.
type RateLimitError struct {
	Identity  string
	RetryAt   time.Time
	Secondary bool
}

// Error names the limit, the credentials and when requests may resume.
func (e *RateLimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	return fmt.Sprintf("GitHub %s rate limit reached for %s: waiting until %s", kind, e.Identity, e.RetryAt.UTC().Format(time.RFC3339))
}

func statusOf(err error) int {
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.StatusCode
	}
	return 0
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsUnauthorized reports a 401: the credentials are wrong or expired.
func IsUnauthorized(err error) bool { return statusOf(err) == http.StatusUnauthorized }

// IsForbidden reports a 403 that is not a rate limit: the credentials lack a permission.
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// IsConflict reports a 409, e.g. the git database of an empty repository.
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

// IsValidation reports a 422: GitHub refused a value.
func IsValidation(err error) bool { return statusOf(err) == http.StatusUnprocessableEntity }

// AsRateLimit returns the rate-limit error in err's chain, if any.
func AsRateLimit(err error) (*RateLimitError, bool) {
	var rl *RateLimitError
	ok := errors.As(err, &rl)
	return rl, ok
}

// ErrInvalidCredentials is in the chain of every *CredentialsError, for errors.Is.
var ErrInvalidCredentials = errors.New("invalid GitHub credentials")

// CredentialsError says a Connection cannot make a client: its credentials are incomplete, ambiguous or
// unparsable, or its API URL is not usable. Retrying does not help; a human must fix the Secret or the spec.
// It never holds a credential's value.
type CredentialsError struct {
	// SecretKey is the Connection's "namespace/name" of the credentials Secret.
	SecretKey string
	// Problem says what is wrong, e.g. "the GitHub App installation id is missing".
	Problem string
}

// Error names the Secret, the problem and the two valid shapes of credentials.
func (e *CredentialsError) Error() string {
	return fmt.Sprintf("credentials Secret %s: %s; it must hold a token, or a GitHub App id, installation id and PEM private key",
		e.SecretKey, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalidCredentials) true.
func (e *CredentialsError) Unwrap() error { return ErrInvalidCredentials }

// IsInvalidCredentials reports a *CredentialsError: a human must fix the credentials Secret or the API URL.
func IsInvalidCredentials(err error) bool { return errors.Is(err, ErrInvalidCredentials) }

// IsTransient reports an error worth retrying with backoff: a 5xx, or no answer at all.
// Rate limits (wait until RetryAt), invalid credentials and API URLs (a human must act) are not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := AsRateLimit(err); ok {
		return false
	}
	if IsInvalidCredentials(err) || IsInvalidAPIURL(err) {
		return false
	}
	code := statusOf(err)
	return code == 0 || code >= 500
}
