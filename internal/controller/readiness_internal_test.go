package controller

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

func TestComputeReady(t *testing.T) {
	cond := func(t string, s metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: t, Status: s, Reason: reason, Message: t + " " + reason}
	}
	allTrue := func(except ...metav1.Condition) []metav1.Condition {
		var out []metav1.Condition
		for _, role := range readinessTable {
			c := cond(role.condition, metav1.ConditionTrue, civ1alpha1.SucceededReason)
			for _, e := range except {
				if e.Type == role.condition {
					c = e
				}
			}
			out = append(out, c)
		}
		return out
	}
	transient := errors.New("GitHub answered 502")
	cases := []struct {
		name   string
		in     readyInput
		keep   bool
		status metav1.ConditionStatus
		reason string
	}{
		{name: "all true", in: readyInput{conditions: allTrue()}, status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason},
		{name: "findings do not make Ready False", in: readyInput{conditions: allTrue(cond(civ1alpha1.WorkflowsCompliantCondition, metav1.ConditionFalse, civ1alpha1.FindingsReason))},
			status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason},
		{name: "an overdue rotation does not make Ready False", in: readyInput{conditions: allTrue(cond(civ1alpha1.CredentialsRotatedCondition, metav1.ConditionFalse, civ1alpha1.RotationOverdueReason))},
			status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason},
		{name: "a failed push makes Ready False even while rate limited", in: readyInput{
			conditions: allTrue(cond(civ1alpha1.CredentialsReadyCondition, metav1.ConditionFalse, civ1alpha1.RateLimitedReason)),
			waiting:    &waitingError{reason: civ1alpha1.RateLimitedReason, msg: "rate limited"}, readyWasTrue: true,
		}, status: metav1.ConditionFalse, reason: civ1alpha1.RateLimitedReason},
		{name: "a broken gate makes Ready False within the transient grace", in: readyInput{
			conditions: allTrue(cond(civ1alpha1.EnvironmentsReadyCondition, metav1.ConditionFalse, civ1alpha1.EnvironmentNotGatedReason)),
			transient:  transient, graceful: true, readyWasTrue: true,
		}, status: metav1.ConditionFalse, reason: civ1alpha1.EnvironmentNotGatedReason},
		{name: "a transient failure within grace keeps a True Ready", in: readyInput{conditions: allTrue(), transient: transient, graceful: true, readyWasTrue: true}, keep: true},
		{name: "a transient failure past grace makes Ready False", in: readyInput{conditions: allTrue(), transient: transient, readyWasTrue: true},
			status: metav1.ConditionFalse, reason: civ1alpha1.GitHubUnavailableReason},
		{name: "a transient failure of a pipeline never Ready", in: readyInput{conditions: allTrue(), transient: transient, graceful: true},
			status: metav1.ConditionFalse, reason: civ1alpha1.GitHubUnavailableReason},
		{name: "stalled wins", in: readyInput{conditions: allTrue(), stalled: &stallingError{reason: civ1alpha1.AdminBypassUnsupportedReason, msg: "x"}},
			status: metav1.ConditionFalse, reason: civ1alpha1.AdminBypassUnsupportedReason},
		{name: "work in progress is not known yet", in: readyInput{conditions: allTrue()[:0], waiting: &waitingError{reason: civ1alpha1.ProgressingReason}},
			status: metav1.ConditionUnknown, reason: civ1alpha1.ProgressingReason},
		{name: "waiting keeps a True Ready", in: readyInput{conditions: allTrue(), waiting: &waitingError{reason: civ1alpha1.RateLimitedReason}, readyWasTrue: true}, keep: true},
		{name: "an unknown concern", in: readyInput{conditions: allTrue(cond(civ1alpha1.DCOEnforcedCondition, metav1.ConditionUnknown, ""))},
			status: metav1.ConditionUnknown, reason: civ1alpha1.ProgressingReason},
		{name: "a missing rotation condition is fine", in: readyInput{conditions: allTrue()[:5]}, status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason},
		{name: "unverified releases are reported on their own by default", in: readyInput{conditions: allTrue(cond(civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionFalse, "Unsigned"))},
			status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason},
		{name: "unverified releases make Ready False with affectsReady", in: readyInput{
			conditions: allTrue(cond(civ1alpha1.ReleasesVerifiedCondition, metav1.ConditionFalse, "Unsigned")),
			optedIn:    map[string]bool{civ1alpha1.ReleasesVerifiedCondition: true},
		}, status: metav1.ConditionFalse, reason: "Unsigned"},
		{name: "release verification need not be known without affectsReady", in: readyInput{conditions: allTrue()[:6]},
			status: metav1.ConditionTrue, reason: civ1alpha1.SucceededReason},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := computeReady(tc.in)
			g.Expect(got.keep).To(Equal(tc.keep))
			if !tc.keep {
				g.Expect(got.status).To(Equal(tc.status))
				g.Expect(got.reason).To(Equal(tc.reason))
			}
		})
	}
}

func TestClassifySaysWhatFailedOnce(t *testing.T) {
	g := NewWithT(t)
	inner := errors.New("GitHub GET /repos/{owner}/{repo} answered 502: Bad Gateway")
	fromClient := wrapf(wrapf(inner, "reading repository acme/rl"), "")
	err := classify(fromClient, "reading repository acme/rl")
	g.Expect(err.Error()).To(Equal("reading repository acme/rl: GitHub GET /repos/{owner}/{repo} answered 502: Bad Gateway"))
	g.Expect(errors.Is(err, inner)).To(BeTrue(), "the cause must stay in the chain")
	g.Expect(classify(err, "again")).To(BeIdenticalTo(err), "a classified error is not wrapped twice")
}

type prefixed struct {
	prefix string
	err    error
}

func (e *prefixed) Error() string {
	if e.prefix == "" {
		return e.err.Error()
	}
	return e.prefix + ": " + e.err.Error()
}
func (e *prefixed) Unwrap() error { return e.err }

func wrapf(err error, prefix string) error { return &prefixed{prefix: prefix, err: err} }

// Every concern's condition has its row in readinessTable: a new concern must say how it feeds Ready.
func TestReadinessTableCoversEveryConcern(t *testing.T) {
	g := NewWithT(t)
	rows := map[string]bool{}
	for _, role := range readinessTable {
		rows[role.condition] = true
	}
	for _, c := range (&SecurePipelineReconciler{}).concerns() {
		g.Expect(rows).To(HaveKey(c.condition), "concern %s has no row in readinessTable", c.condition)
	}
}
