package controller

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	githubapi "github.com/secure-pipeline/operator/internal/github"
)

// Errors wrap their cause once: the GitHub client already says what it was doing, so the reconciler's
// words are not written twice ("reading repository x: reading repository x: ..."), and the typed cause
// stays in the chain.
func TestClassifyWrapsOnce(t *testing.T) {
	const what = "reading repository acme/web"
	for code, reason := range map[int]string{502: "", 403: "AccessDenied", 422: "InvalidSpec"} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			g := NewWithT(t)
			cause := &githubapi.APIError{Route: "GET /repos/{owner}/{repo}", StatusCode: code, Message: "no"}
			err := classify(fmt.Errorf("%s: %w", what, cause), what)
			g.Expect(strings.Count(err.Error(), what)).To(Equal(1), "%v", err)
			g.Expect(strings.Count(err.Error(), "answered")).To(Equal(1), "%v", err)
			if reason != "" {
				st, ok := asStalling(err)
				g.Expect(ok).To(BeTrue())
				g.Expect(st.reason).To(Equal(reason))
			} else {
				var got *githubapi.APIError
				g.Expect(errors.As(err, &got)).To(BeTrue(), "the cause is kept")
			}
		})
	}
	g := NewWithT(t)
	err := classify(errors.New("GitHub GET /x: no answer"), what)
	g.Expect(err).To(MatchError(what + ": GitHub GET /x: no answer"))
}
