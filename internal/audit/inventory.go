/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package audit

import (
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
)

// Signing and SBOM values of a Publication.
const (
	signingKeyless     = "keyless"
	signingKey         = "key"
	signingAttestation = "github-attestation"
	signingNone        = "none"
	signingUnknown     = "unknown"

	sbomTrue    = "true"
	sbomFalse   = "false"
	sbomUnknown = "unknown"

	// KindImage is a Publication of container images.
	KindImage = "image"
	// KindArtifact is a Publication of release artefacts only (archives,
	// binaries, charts) with no container image.
	KindArtifact = "release-artifact"
)

// Publication is one job that publishes container images (or release
// artefacts) to a lasting place: the publishing inventory. Images pushed
// only to job-local or throw-away registries (localhost, *.local,
// kind-registry, ttl.sh) are not publications.
type Publication struct {
	// Workflow is the workflow file, relative to the repository root.
	Workflow string `json:"workflow"`
	// Job is the job id.
	Job string `json:"job"`
	// Kind is "image" or "release-artifact".
	Kind string `json:"kind"`
	// Mechanism is how the job publishes, as the workflow says it: an
	// action ("docker/build-push-action"), a command ("docker push",
	// "imagetools", "crane", "ko", "goreleaser"), or the wrapper that leads
	// to one ("make", "composite-action", "script", "nix").
	Mechanism string `json:"mechanism"`
	// Via lists every publishing path found in the job, outermost first
	// ("make -> docker buildx").
	Via []string `json:"via,omitempty"`
	// Images are the image names, as far as they can be resolved.
	Images []string `json:"images"`
	// Signing is keyless, key, github-attestation, none or unknown.
	Signing string `json:"signing"`
	// SBOM is true, false or unknown; SBOMKind says how it is made.
	SBOM     string `json:"sbom"`
	SBOMKind string `json:"sbomKind,omitempty"`
	// Evidence are file:line places of the publishing, signing and SBOM steps.
	Evidence []string `json:"evidence"`
	// NotFollowed says what the audit could not follow in this job (a nix
	// app, a JavaScript action); signing or SBOM is "unknown" because of it.
	NotFollowed []string `json:"notFollowed,omitempty"`

	at   location // first publishing place, for SP005/SP006
	what string
}

// jobFacts is what a job's ops say about publishing.
type jobFacts struct {
	pushes     []pushFact
	artifacts  []pushFact
	signing    []string
	sboms      []string
	evidence   []location
	logins     []string // lasting registries logged in to
	loginLocs  []location
	firstLogin int // seq of the first login
	seq        int // ops seen so far
	unfollowed []unfollowedFact
}

type unfollowedFact struct {
	seq        int
	desc, mech string
	at         location
	goRun      bool
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type pushFact struct {
	mech, tool string
	what       string // for messages: "`docker push x`", "docker/build-push-action with push: true"
	images     []string
	at         location
}

// publication builds the inventory entry of one job, or nil.
func (a *auditor) publication(job *actionlint.Job) *Publication {
	if p, ok := a.pubCache[job]; ok {
		return p
	}
	if p := a.callerPublication(job); p != nil {
		a.pubCache[job] = p
		return p
	}
	f := &jobFacts{}
	for _, o := range a.jobOps(job) {
		a.factsOf(o, f)
	}
	a.remoteWorkflowFacts(job, f)
	p := f.publication(a.path, job.ID.Value)
	a.pubCache[job] = p
	return p
}

func (f *jobFacts) publication(workflow, job string) *Publication {
	pushes, kind := f.pushes, KindImage
	if len(pushes) == 0 {
		pushes, kind = f.artifacts, KindArtifact
	}
	inferred := false
	if len(f.pushes) == 0 && len(f.logins) > 0 && len(f.unfollowed) > 0 {
		// Logged in to a lasting registry, then ran something the audit
		// cannot see into: a publication of unknown shape, not a guess.
		// What runs after the login is what publishes.
		u := f.unfollowed[0]
		for _, c := range f.unfollowed {
			if c.seq > f.firstLogin {
				u = c
				break
			}
		}
		pushes = []pushFact{{mech: cmpOrString(u.mech, unfollowedMech(u.desc)), at: u.at, what: u.desc}}
		kind, inferred = KindImage, true
		f.evidence = append(f.evidence, f.loginLocs...)
	}
	if len(pushes) == 0 {
		return nil
	}
	p := &Publication{Workflow: workflow, Job: job, Kind: kind, Mechanism: pushes[0].mech, Images: []string{}, at: pushes[0].at, what: pushes[0].what}
	seenVia := map[string]bool{}
	var ev []location
	for _, ps := range pushes {
		via := ps.mech
		if ps.tool != "" && ps.tool != ps.mech {
			via += " -> " + ps.tool
		}
		if !seenVia[via] {
			seenVia[via] = true
			p.Via = append(p.Via, via)
		}
		for _, img := range ps.images {
			if !slices.Contains(p.Images, img) {
				p.Images = append(p.Images, img)
			}
		}
		ev = append(ev, ps.at)
	}
	ev = append(ev, f.evidence...)
	for _, l := range ev {
		if s := l.String(); !slices.Contains(p.Evidence, s) {
			p.Evidence = append(p.Evidence, s)
		}
	}
	opaque := inferred
	for _, u := range f.unfollowed {
		desc := u.desc
		if u.mech != "" {
			desc += " (via " + u.mech + ")"
		}
		if !slices.Contains(p.NotFollowed, desc) {
			p.NotFollowed = append(p.NotFollowed, desc)
		}
		// A Go program run on the way (a generator) does not hide the
		// signing step of a publication that was found; nix apps, task
		// runners and JavaScript actions might.
		if !u.goRun {
			opaque = true
		}
	}
	p.Signing = signingNone
	for _, s := range []string{signingKeyless, signingKey, signingAttestation} {
		if slices.Contains(f.signing, s) {
			p.Signing = s
			break
		}
	}
	p.SBOM = sbomFalse
	if len(f.sboms) > 0 {
		p.SBOM, p.SBOMKind = sbomTrue, f.sboms[0]
	}
	if opaque {
		if p.Signing == signingNone {
			p.Signing = signingUnknown
		}
		if p.SBOM == sbomFalse {
			p.SBOM = sbomUnknown
		}
	}
	return p
}

func unfollowedMech(desc string) string {
	switch {
	case strings.HasPrefix(desc, "`nix"):
		return "nix"
	case strings.HasPrefix(desc, "`go"):
		return "go run"
	case strings.HasPrefix(desc, "local action"):
		return "local-action"
	}
	if i := strings.Index(desc, "` "); i > 0 {
		return strings.Fields(strings.Trim(desc[:i], "`"))[0]
	}
	return "unknown"
}

// factsOf records what one op contributes.
func (a *auditor) factsOf(o op, f *jobFacts) {
	f.seq++
	if len(f.logins) == 0 {
		f.firstLogin = f.seq + 1
	}
	if o.unfollowed != "" {
		f.unfollowed = append(f.unfollowed, unfollowedFact{seq: f.seq, desc: o.unfollowed, mech: o.mech, at: o.loc,
			goRun: o.cmd != nil && o.cmd.name == "go"})
	}
	if o.cmd != nil {
		a.commandFacts(o, f)
		return
	}
	a.actionFacts(o, f)
}

func wrap(o op, tool string) string {
	if o.mech != "" {
		return o.mech
	}
	return tool
}

func (a *auditor) commandFacts(o op, f *jobFacts) {
	c := *o.cmd
	env := o.env
	if env == nil {
		env = func(string) string { return "" }
	}
	if pushesImage(c, env) {
		images := expandAll(pushedImages(c, env), env)
		if lasting(images) {
			tool := toolOf(c)
			f.pushes = append(f.pushes, pushFact{mech: wrap(o, tool), tool: tool, images: images, at: o.loc, what: "`" + pushText(c) + "`"})
			if c.name == "ko" {
				if !c.flagSetTo("--sbom", "none") {
					f.sboms = append(f.sboms, "ko")
				}
				// .ko.yaml (builds, base images, platforms) shapes what ko
				// pushes; it names no repository or signer, so it is
				// evidence, not a source of images.
				if cfg, ok := a.repo.resolve(o.dir, ".ko.yaml", o.loc); ok && a.repo.exists(cfg, o.loc) {
					f.evidence = append(f.evidence, location{file: cfg})
				}
			}
		}
	}
	switch sub, keyless := cosignSigning(c); sub {
	case "sign":
		kind := signingKey
		if keyless {
			kind = signingKeyless
		}
		f.signing = append(f.signing, kind)
		f.evidence = append(f.evidence, o.loc)
	}
	if producesSBOM(c) {
		f.sboms = append(f.sboms, sbomKindOf(c))
		f.evidence = append(f.evidence, o.loc)
	}
	if reg, ok := loginRegistry(c); ok && !ephemeralRegistry(reg) {
		f.logins = append(f.logins, reg)
		f.loginLocs = append(f.loginLocs, o.loc)
	}
	switch c.name {
	case "goreleaser":
		if publishes, config := goreleaserArgs(c.args); publishes {
			a.goreleaserFacts(o, f, o.dir, config)
		}
	case "gh":
		if sub := c.subcommand(2, "-R", "--repo"); sub[0] == "release" && (sub[1] == "upload" || sub[1] == "create") && len(c.positionals("-R", "--repo", "-t", "--title", "-n", "--notes", "-F", "--notes-file", "--target")) > 3 {
			f.artifacts = append(f.artifacts, pushFact{mech: wrap(o, "gh release"), tool: "gh release", at: o.loc})
		}
	case "helm", "oras", "flux":
		if sub := c.subcommand(2); sub[0] == "push" {
			var images []string
			for _, p := range c.positionals("-f", "--file", "--path", "--source", "--revision", "-a", "--annotation") {
				if strings.Contains(p, "/") && (strings.HasPrefix(p, "oci://") || c.name == "oras") && p != "artifact" {
					images = append(images, p)
				}
			}
			images = expandAll(images, env)
			if lasting(images) {
				f.artifacts = append(f.artifacts, pushFact{mech: wrap(o, c.name+" push"), tool: c.name + " push", images: images, at: o.loc,
					what: "`" + commandText(c, 2) + "`"})
			}
		}
	}
}

// pushText shows a pushing command for messages: container CLIs without
// their global flags, others with their first words as written.
func pushText(c shellCommand) string {
	switch c.name {
	case "docker", "podman", "nerdctl", "buildah":
		return commandLine(c, 2)
	}
	return commandText(c, 3)
}

func (a *auditor) goreleaserFacts(o op, f *jobFacts, dir, config string) {
	w := newWalker(a.repo)
	run := w.goreleaser(dir, config, o.loc)
	mech := wrap(o, "goreleaser")
	if run.notFollows != "" {
		f.unfollowed = append(f.unfollowed, unfollowedFact{desc: run.notFollows, mech: o.mech, at: o.loc})
		f.artifacts = append(f.artifacts, pushFact{mech: mech, tool: "goreleaser", at: o.loc})
		return
	}
	images := run.images
	switch {
	case len(images) > 0 && lasting(images):
		f.pushes = append(f.pushes, pushFact{mech: mech, tool: "goreleaser", images: images, at: o.loc, what: "goreleaser, with images in " + run.config})
		f.evidence = append(f.evidence, run.imageLocs...)
		if run.imageSign != "" {
			f.signing = append(f.signing, run.imageSign)
		}
	case run.artifacts:
		f.artifacts = append(f.artifacts, pushFact{mech: mech, tool: "goreleaser", at: o.loc})
		if run.artSign != "" {
			f.signing = append(f.signing, run.artSign)
		}
	}
	f.evidence = append(f.evidence, run.signLocs...)
	if run.kosSBOM {
		f.sboms = append(f.sboms, "ko")
	}
	if run.sbom {
		f.sboms = append(f.sboms, "file")
	}
	f.evidence = append(f.evidence, run.sbomLocs...)
}

func (a *auditor) actionFacts(o op, f *jobFacts) {
	sv := o.step
	name := actionName(sv.uses)
	with := func(k string) (string, bool) {
		v, ok := sv.with[k]
		return v.value, ok
	}
	switch name {
	case "docker/build-push-action", "docker/bake-action":
		buildPushFacts(o, name, f)
	case "redhat-actions/push-to-registry":
		img, _ := with("image")
		reg, _ := with("registry")
		images := []string{strings.Trim(reg+"/"+img, "/")}
		if lasting(images) {
			f.pushes = append(f.pushes, pushFact{mech: wrap(o, name), tool: name, images: images, at: o.loc, what: name})
		}
	case "goreleaser/goreleaser-action":
		args, _ := with("args")
		workdir, _ := with("workdir")
		variants := a.inputVariants()
		for _, in := range variants {
			parsed := parseScript("goreleaser " + substituteInputs(args, in))
			if len(parsed) == 0 {
				continue
			}
			if publishes, config := goreleaserArgs(parsed[0].args); publishes {
				a.goreleaserFacts(o, f, cleanDir(substituteInputs(workdir, in)), config)
				break
			}
		}
	case "docker/login-action":
		reg, ok := with("registry")
		if !ok || strings.TrimSpace(reg) == "" {
			reg = "docker.io"
		}
		if !ephemeralRegistry(reg) {
			f.logins = append(f.logins, reg)
			f.loginLocs = append(f.loginLocs, o.loc)
		}
	case "actions/attest-build-provenance", "actions/attest":
		f.signing = append(f.signing, signingAttestation)
		f.evidence = append(f.evidence, o.loc)
	case "actions/attest-sbom":
		f.sboms = append(f.sboms, "github-attestation")
		f.evidence = append(f.evidence, o.loc)
	case "anchore/sbom-action", "cyclonedx/gh-gomod-generate-sbom", "cyclonedx/gh-node-module-generatebom":
		f.sboms = append(f.sboms, "file")
		f.evidence = append(f.evidence, o.loc)
	case "aquasecurity/trivy-action":
		if v, ok := with("format"); ok && isSBOMFormat(v) {
			f.sboms = append(f.sboms, "file")
			f.evidence = append(f.evidence, o.loc)
		}
	case "softprops/action-gh-release", "ncipollo/release-action":
		if _, ok := with("files"); ok {
			f.artifacts = append(f.artifacts, pushFact{mech: wrap(o, name), tool: name, at: o.loc})
		} else if _, ok := with("artifacts"); ok {
			f.artifacts = append(f.artifacts, pushFact{mech: wrap(o, name), tool: name, at: o.loc})
		}
	}
}

// buildPushFacts reads docker/build-push-action and docker/bake-action.
func buildPushFacts(o op, name string, f *jobFacts) {
	sv := o.step
	with := func(k string) (string, bool) {
		v, ok := sv.with[k]
		return v.value, ok
	}
	var at *withValue
	if v, ok := sv.with["push"]; ok && v.may {
		at = &v
		at.value = "push: " + strings.TrimSpace(v.value)
	} else if v, ok := sv.with["outputs"]; ok && outputPushes(v.value) {
		at = &v
		at.value = "outputs: " + strings.TrimSpace(v.value)
	}
	if at != nil {
		tags, _ := with("tags")
		images := expandAll(splitList(tags), o.env)
		if lasting(images) {
			base, _, _ := strings.Cut(strings.TrimSpace(sv.uses), "@")
			f.pushes = append(f.pushes, pushFact{mech: wrap(o, name), tool: name, images: images, at: at.loc, what: base + " with " + at.value})
		}
	}
	if v, ok := sv.with["sbom"]; ok && v.always {
		f.sboms = append(f.sboms, "buildkit")
		f.evidence = append(f.evidence, sv.with["sbom"].loc)
	}
	if v, ok := with("attests"); ok && strings.Contains(strings.ToLower(v), "type=sbom") {
		f.sboms = append(f.sboms, "buildkit")
	}
}
