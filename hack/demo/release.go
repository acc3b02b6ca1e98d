package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/secure-pipeline/operator/internal/release"
	"github.com/secure-pipeline/operator/internal/release/sigstoretest"
)

// releases shows release verification: an in-memory OCI registry on loopback (go-containerregistry's),
// a test Sigstore (a Fulcio-like CA issuing GitHub-workflow certificates, and a timestamp authority), and
// four releases built in this process with random layers and signed (or not) as cosign v3 would sign them.
func (d *demo) releases() error {
	sugg, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o",
		`jsonpath={range .status.releaseSuggestions[*]}{.repository} (published by {.workflow}){"\n"}{end}`)
	if err != nil {
		return err
	}
	if strings.TrimSpace(sugg) != "" {
		say("status.releaseSuggestions: images the workflow audit saw published, to start spec.releaseVerification from")
		fmt.Println(indent(sugg))
	}
	say("Release verification: four releases of payments-api in a local OCI registry, signed by a test Sigstore")
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	srv := httptest.NewServer(reg)
	// The registry lives as long as the demo (stayUp keeps it for kubectl get spl).
	image := strings.TrimPrefix(srv.URL, "http://") + "/acme/payments-api"
	ss, err := sigstoretest.New()
	if err != nil {
		return err
	}
	const wf = ".github/workflows/release.yml"
	sign := func(tag, workflow, ref string, predicates ...string) error {
		h, err := sigstoretest.PushRandomImage(image + ":" + tag)
		if err != nil {
			return err
		}
		for _, pt := range predicates {
			id := sigstoretest.GitHubWorkflow(owner+"/"+repo, workflow, ref)
			b, err := ss.Sign(id, sigstoretest.Statement(h.String(), pt, nil))
			if err != nil {
				return err
			}
			if err := sigstoretest.Attach(image, h, b, pt); err != nil {
				return err
			}
		}
		return nil
	}
	signAndSBOM := []string{release.CosignSignPredicateType, "https://spdx.dev/Document"}
	signOnly := []string{release.CosignSignPredicateType}
	for _, r := range []struct {
		tag, workflow, ref, what string
		predicates               []string
	}{
		{"v1.0.0", wf, "refs/tags/v1.0.0", "signed by release.yml on tag v1.0.0, with an SPDX SBOM", signAndSBOM},
		{"v1.1.0", wf, "", "pushed by hand, unsigned", nil},
		{"v1.2.0", ".github/workflows/ci.yml", "refs/tags/v1.2.0", "signed by ci.yml, not the release workflow", signAndSBOM},
		{"v1.3.0", wf, "refs/tags/v1.3.0", "signed by release.yml, but without an SBOM", signOnly},
	} {
		if err := sign(r.tag, r.workflow, r.ref, r.predicates...); err != nil {
			return err
		}
		info("%s:%s  %s", image, r.tag, r.what)
	}
	rootJSON, err := ss.TrustedRootJSON()
	if err != nil {
		return err
	}
	cm, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]string{"name": "sigstore-trusted-root", "namespace": namespace},
		"data":     map[string]string{"trusted_root.json": string(rootJSON)},
	})
	if _, err := d.env.Kubectl(d.ctx, string(cm), "apply", "-f", "-"); err != nil {
		return err
	}
	info("the test Sigstore's trusted_root.json is in ConfigMap sigstore-trusted-root (an offline trusted root)")

	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"releaseVerification": map[string]any{
		"images":         []any{map[string]any{"repository": image, "tags": map[string]any{"pattern": "v*", "newest": 5}}},
		"signer":         map[string]any{"workflow": wf, "refPattern": "refs/tags/v*"},
		"sbom":           "Required",
		"trustedRootRef": map[string]any{"name": "sigstore-trusted-root"},
	}}})
	say("kubectl patch spl %s --type merge: spec.releaseVerification (signer %s on refs/tags/v*, SBOM required)",
		pipeline, wf)
	_, err = d.env.Kubectl(d.ctx, "", "-n", namespace, "patch", "spl", pipeline, "--type", "merge", "-p", string(patch))
	if err != nil {
		return err
	}

	deadline := time.Now().Add(stepTimeout)
	for {
		out, err := d.env.Kubectl(d.ctx, "", "-n", namespace, "get", "spl", pipeline, "-o", "json")
		if err != nil {
			return err
		}
		var p struct {
			Status struct {
				Releases []struct {
					Tag, Digest, Reason, Message, SBOMFormat string
					Verified                                 bool
				} `json:"releases"`
				Conditions []struct{ Type, Status, Reason, Message string } `json:"conditions"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			return err
		}
		if len(p.Status.Releases) == 4 {
			say("status.releases (kubectl get spl %s -o jsonpath='{.status.releases}'), newest first:", pipeline)
			for _, r := range p.Status.Releases {
				mark := "verified"
				if !r.Verified {
					mark = "NOT verified"
				}
				info("%-7s %s  %-12s %-12s %s", r.Tag, shorten(r.Digest, 19), mark, r.Reason, shorten(r.Message, 150))
			}
			for _, c := range p.Status.Conditions {
				if c.Type == "ReleasesVerified" || c.Type == "Ready" {
					info("%s=%s (%s): %s", c.Type, c.Status, c.Reason, shorten(c.Message, 160))
				}
			}
			info("ReleasesVerified is not part of Ready unless spec.releaseVerification.affectsReady is true")
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("status.releases has %d entries after %s, want 4", len(p.Status.Releases), stepTimeout)
		}
		if err := sleep(d.ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}
