package githubsim

import (
	"net/http"
	"strconv"
)

// Documentation URLs GitHub puts in error bodies. Clients match on some of
// them (go-github recognises secondary limits by the "secondary-rate-limits"
// suffix), so these are GitHub's real ones.
const (
	docsRoot           = "https://docs.github.com/rest"
	docsPrimaryLimit   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
	docsSecondaryLimit = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	docsRepos          = "https://docs.github.com/rest/repos/repos#get-a-repository"
	docsRepoUpdate     = "https://docs.github.com/rest/repos/repos#update-a-repository"
	docsUsers          = "https://docs.github.com/rest/users/users#get-a-user"
	docsTeams          = "https://docs.github.com/rest/teams/teams#get-a-team-by-name"
	docsApps           = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	docsEnvs           = "https://docs.github.com/rest/deployments/environments#create-or-update-an-environment"
	docsBranchPolicies = "https://docs.github.com/rest/deployments/branch-policies"
	docsEnvSecrets     = "https://docs.github.com/rest/actions/secrets#create-or-update-an-environment-secret"
	docsActionsPerms   = "https://docs.github.com/rest/actions/permissions"
	docsRulesets       = "https://docs.github.com/rest/repos/rules"
	docsContents       = "https://docs.github.com/rest/repos/contents#get-repository-content"
)

// fieldError is one entry of a 422's errors[] in GitHub's object form.
type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

// errReply is GitHub's basic error: {"message", "documentation_url", "status"}.
func errReply(status int, msg, doc string) *reply {
	return &reply{status: status, body: map[string]any{
		"message": msg, "documentation_url": doc, "status": strconv.Itoa(status),
	}}
}

func notFound(doc string) *reply { return errReply(http.StatusNotFound, "Not Found", doc) }

// validationFailed is GitHub's 422 with errors[]; errs are fieldError values
// or plain strings (GitHub uses both shapes).
func validationFailed(doc string, errs ...any) *reply {
	return &reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message": "Validation Failed", "errors": errs, "documentation_url": doc, "status": "422",
	}}
}

// unprocessable is a 422 whose message says what is wrong, without errors[],
// the shape GitHub uses for most environment and secret validation failures.
func unprocessable(msg, doc string) *reply {
	return errReply(http.StatusUnprocessableEntity, msg, doc)
}

func invalidField(doc, resource, field, msg string) *reply {
	return validationFailed(doc, fieldError{Resource: resource, Field: field, Code: "invalid", Message: msg})
}

func secondaryLimitReply(retryAfter int) *reply {
	rep := errReply(http.StatusForbidden,
		"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "+
			"If you reach out to GitHub Support for help, please include the request ID.",
		docsSecondaryLimit)
	rep.header = map[string]string{"Retry-After": strconv.Itoa(retryAfter)}
	return rep
}

// primaryLimitReply is GitHub's 403 for an exhausted primary budget; the
// x-ratelimit-remaining: 0 header sent with it is what clients key on.
func primaryLimitReply(anonymous bool, who string) *reply {
	msg := "API rate limit exceeded for " + who + "."
	if anonymous {
		msg += " (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	}
	return errReply(http.StatusForbidden, msg+" If you reach out to GitHub Support for help, please include the request ID.", docsPrimaryLimit)
}
