package controller

import (
	"testing"

	. "github.com/onsi/gomega"
)

// The allowed-owners annotation compares owners as GitHub compares logins: case-insensitively, whole
// names only, with white space and empty entries ignored; an annotation naming no owner allows none.
func TestOwnerNotAllowed(t *testing.T) {
	for _, tc := range []struct {
		allowed, owner string
		ok             bool
	}{
		{"acme,acme-labs", "acme", true},
		{" ACME-labs , Acme ", "acme", true},
		{"acme,acme-labs", "ACME-LABS", true},
		{"acme-labs", "acme", false},
		{"acme", "acme-labs", false},
		{"acme*", "acme-x", false},
		{"", "acme", false},
		{" , ", "acme", false},
	} {
		g := NewWithT(t)
		msg := ownerNotAllowed(tc.allowed, tc.owner)
		g.Expect(msg == "").To(Equal(tc.ok), "%q in %q: %s", tc.owner, tc.allowed, msg)
	}
	NewWithT(t).Expect(allowedList(" , ")).To(Equal("no owner"))
}
