package main

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/labels"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
)

func TestCacheOptionsShards(t *testing.T) {
	g := NewWithT(t)
	opts, err := cacheOptions("", "sharding.securepipeline.dev/key in (shard1)")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(opts.ByObject).To(HaveLen(2))
	for obj, by := range opts.ByObject {
		switch obj.(type) {
		case *civ1alpha1.SecurePipeline, *civ1alpha1.SecurePipelineSet:
		default:
			t.Fatalf("unexpected %T filtered by the shard selector", obj)
		}
		g.Expect(by.Label.Matches(labels.Set{civ1alpha1.ShardLabel: "shard1"})).To(BeTrue())
		g.Expect(by.Label.Matches(labels.Set{civ1alpha1.ShardLabel: "shard2"})).To(BeFalse())
		g.Expect(by.Label.Matches(labels.Set{})).To(BeFalse())
	}

	// The default shard: objects without the label.
	def, err := cacheOptions("team-a,team-b", "!"+civ1alpha1.ShardLabel)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(def.DefaultNamespaces).To(HaveLen(2))
	for _, by := range def.ByObject {
		g.Expect(by.Label.Matches(labels.Set{})).To(BeTrue())
		g.Expect(by.Label.Matches(labels.Set{civ1alpha1.ShardLabel: "shard1"})).To(BeFalse())
	}

	_, err = cacheOptions("", "key in (")
	g.Expect(err).To(MatchError(ContainSubstring("--watch-label-selector")))
	none, err := cacheOptions("", "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(none.ByObject).To(BeEmpty())
}
