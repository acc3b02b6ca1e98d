package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/secure-pipeline/operator/internal/release"
)

// Exit statuses of verify: 0 verified, 1 not verified (exitFindings), 2 usage, registry or trust error.
const verifyUsageText = `Usage:
  securepipeline verify IMAGE[:TAG|@DIGEST] --repository OWNER/NAME --workflow PATH
                        [--ref-pattern GLOB] [--issuer URL] [--trusted-root FILE]
                        [--require-sbom] [--require-provenance] [--token-realm-host HOST]
                        [--format text|json]

verify checks that a released image is signed (Sigstore keyless, cosign v3 bundles
as OCI referrers) by GitHub Actions workflow PATH of OWNER/NAME, on a ref matching
GLOB (e.g. "refs/tags/v*"), and, if asked, carries an SPDX or CycloneDX SBOM and
an SLSA provenance attestation by the same signer.

PATH is .github/workflows/x.yml, or owner/repo/.github/workflows/x.yml for a
reusable workflow called from OWNER/NAME. Without --trusted-root, Sigstore's
public-good trusted root is read from its TUF repository. Registry credentials,
if needed, come from REGISTRY_USERNAME and REGISTRY_PASSWORD; they are sent only
to the image's registry and its token realm (same registrable domain, or
--token-realm-host).

Exit status: 0 verified, 1 not verified, 2 usage, registry or trusted-root error.
`

// verifyOutput is the JSON form of a verification.
type verifyOutput struct {
	Image string `json:"image"`
	release.Result
	Expected string `json:"expectedSigner"`
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		p          release.Policy
		rootFile   string
		format     string
		realmHosts listFlag
	)
	fs.StringVar(&p.Repository, "repository", "", "")
	fs.StringVar(&p.Workflow, "workflow", "", "")
	fs.StringVar(&p.RefPattern, "ref-pattern", "", "")
	fs.StringVar(&p.Issuer, "issuer", release.DefaultIssuer, "")
	fs.StringVar(&rootFile, "trusted-root", "", "")
	fs.BoolVar(&p.RequireSBOM, "require-sbom", false, "")
	fs.BoolVar(&p.RequireProvenance, "require-provenance", false, "")
	fs.Var(&realmHosts, "token-realm-host", "")
	fs.StringVar(&format, "format", formatText, "")
	help := fs.Bool("help", false, "")
	// Flags may come before or after the image.
	var images []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return usageError(stderr, "verify: %v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		images = append(images, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *help {
		say(stdout, verifyUsageText)
		return exitClean
	}
	switch {
	case len(images) != 1:
		return usageError(stderr, "verify: name exactly one IMAGE[:TAG|@DIGEST]")
	case p.Repository == "" || p.Workflow == "":
		return usageError(stderr, "verify: --repository and --workflow are required")
	case format != formatText && format != formatJSON:
		return usageError(stderr, "verify: --format must be text or json, not %q", format)
	}
	if err := p.Validate(); err != nil {
		return usageError(stderr, "verify: %v", err)
	}
	repo, ref, err := splitImage(images[0])
	if err != nil {
		return usageError(stderr, "verify: %v", err)
	}

	var rootJSON []byte
	if rootFile != "" {
		rootJSON, err = os.ReadFile(rootFile) //nolint:gosec // the user names the file to read
	} else {
		rootJSON, err = release.FetchPublicGoodTrustedRoot()
	}
	if err != nil {
		say(stderr, "securepipeline: verify: reading the trusted root: %v\n", err)
		return exitUsage
	}
	tr, err := release.ParseTrustedRoot(rootJSON)
	if err != nil {
		say(stderr, "securepipeline: verify: %s: %v\n", orDefault(rootFile, "Sigstore's public-good trusted root"), err)
		return exitUsage
	}

	opts := release.RegistryOptions{TokenRealmHosts: realmHosts, UserAgent: "securepipeline/" + toolVersion()}
	if u := os.Getenv("REGISTRY_USERNAME"); u != "" {
		opts.Credentials = &release.Credentials{Username: u, Password: os.Getenv("REGISTRY_PASSWORD")}
	}
	reg, err := release.NewRegistry(repo, opts)
	if err != nil {
		return usageError(stderr, "verify: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h, err := reg.Resolve(ctx, ref)
	if err != nil {
		say(stderr, "securepipeline: verify: %v\n", err)
		return exitUsage
	}
	res, err := (&release.Verifier{Root: tr}).Verify(ctx, reg, h, p)
	if _, ok := errors.AsType[*release.RegistryError](err); ok {
		say(stderr, "securepipeline: verify: %v\n", err)
		return exitUsage
	} else if err != nil {
		return usageError(stderr, "verify: %v", err)
	}

	out := verifyOutput{Image: images[0], Result: res, Expected: p.ExpectedIdentity()}
	if format == formatJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			say(stderr, "securepipeline: verify: writing the result: %v\n", err)
			return exitUsage
		}
	} else if err := writeVerifyText(stdout, out); err != nil {
		say(stderr, "securepipeline: verify: writing the result: %v\n", err)
		return exitUsage
	}
	if !res.Verified {
		return exitFindings
	}
	return exitClean
}

func writeVerifyText(w io.Writer, o verifyOutput) error {
	var b strings.Builder
	verdict := "VERIFIED"
	if !o.Verified {
		verdict = "NOT VERIFIED (" + o.Reason + ")"
	}
	fmt.Fprintf(&b, "%s %s: %s\n", o.Image, o.Digest, verdict)
	if o.Signer != nil {
		fmt.Fprintf(&b, "  signer:     %s\n  issuer:     %s\n  ref:        %s\n  commit:     %s\n",
			o.Signer.SAN, o.Signer.Issuer, o.Signer.Ref, o.Signer.WorkflowSHA)
	}
	fmt.Fprintf(&b, "  sbom:       %s\n  provenance: %v\n  expected:   %s\n  %s\n",
		orDefault(o.SBOMFormat, "none"), o.Provenance, o.Expected, o.Message)
	_, err := io.WriteString(w, b.String())
	return err
}

// splitImage splits "host/repo:tag" or "host/repo@sha256:..." into the repository and the tag or digest.
func splitImage(image string) (repo, ref string, err error) {
	if r, d, ok := strings.Cut(image, "@"); ok {
		if !strings.HasPrefix(d, "sha256:") {
			return "", "", fmt.Errorf("image %q: only sha256 digests are supported", image)
		}
		return r, d, nil
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon], image[colon+1:], nil
	}
	return image, "latest", nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
