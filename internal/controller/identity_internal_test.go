package controller

import (
	"testing"
	"time"

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

func TestProofClockTimesTheSettling(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var c proofClock
	if got := c.unsettled("unknown", t0); got != 0 {
		t.Fatalf("a proof this process did not record waits %s", got)
	}
	c.record("p", t0)
	for _, tc := range []struct {
		after time.Duration
		want  time.Duration
	}{
		{0, proofSettleTime},
		{10 * time.Millisecond, proofSettleTime - 10*time.Millisecond}, // woken early: waits the rest
		{proofSettleTime, 0},
		{proofSettleTime / 2, 0}, // settled once: forgotten
	} {
		if got := c.unsettled("p", t0.Add(tc.after)); got != tc.want {
			t.Fatalf("%s after the proof: waits %s, want %s", tc.after, got, tc.want)
		}
	}
	c.record("q", t0)
	c.forget("q")
	if got := c.unsettled("q", t0); got != 0 {
		t.Fatalf("a forgotten proof waits %s", got)
	}
}
