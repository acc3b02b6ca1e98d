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
	"path"
	"regexp"
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

func pathClean(uses string) string {
	return path.Clean(strings.TrimSpace(uses))
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

// callerPublication: a job that calls a local reusable workflow publishes
// what that workflow's jobs publish when called with this job's inputs
// (argo-cd's image.yaml calls image-reuse.yaml with push: false in one job
// and push: true in another). The entry points at the called workflow for
// evidence; SP005/SP006 are reported there, not here.
func (a *auditor) callerPublication(job *actionlint.Job) *Publication {
	wc := job.WorkflowCall
	if wc == nil || wc.Uses == nil || !strings.HasPrefix(strings.TrimSpace(wc.Uses.Value), "./") || a.peers == nil {
		return nil
	}
	callee := a.peers[pathClean(wc.Uses.Value)]
	if callee == nil || callee == a {
		return nil
	}
	in := callee.inputDefaults()
	for k, v := range wc.Inputs {
		if v != nil && v.Value != nil && !strings.Contains(v.Value.Value, "${{") {
			in[strings.ToLower(k)] = v.Value.Value
		}
	}
	view := callee.withCallers([]map[string]string{in})
	for _, cj := range view.jobs {
		p := view.publication(cj)
		if p == nil {
			continue
		}
		out := *p
		out.Workflow, out.Job = a.path, job.ID.Value
		out.Mechanism = "reusable-workflow"
		out.Via = nil
		for _, v := range p.Via {
			out.Via = append(out.Via, "reusable-workflow "+callee.path+" -> "+v)
		}
		out.Evidence = append([]string{a.loc(wc.Uses.Pos).String()}, p.Evidence...)
		out.at = a.loc(wc.Uses.Pos)
		return &out
	}
	return nil
}

// withCallers is a view of the same workflow evaluated for other caller
// inputs (fresh caches, same parse).
func (a *auditor) withCallers(callers []map[string]string) *auditor {
	b := *a
	b.callers = callers
	b.findings = nil
	b.opsCache = map[*actionlint.Job][]op{}
	b.pubCache = map[*actionlint.Job]*Publication{}
	b.peers = nil // no chains of reusable workflows: GitHub allows 4 levels, the audit one
	return &b
}

// remoteWorkflowFacts: a job that calls a reusable workflow of another
// repository with packages: write can push images, and the audit cannot
// read that workflow. It is listed as a publication of unknown signing
// rather than guessed either way. The SLSA generators only write
// provenance, and are not publications.
func (a *auditor) remoteWorkflowFacts(job *actionlint.Job, f *jobFacts) {
	wc := job.WorkflowCall
	if wc == nil || wc.Uses == nil {
		return
	}
	uses := strings.TrimSpace(wc.Uses.Value)
	if strings.HasPrefix(uses, "./") || mustBeTagPinned(actionName(uses)) {
		return
	}
	perms := job.Permissions
	if perms == nil {
		perms = a.wf.Permissions
	}
	if perms == nil {
		return
	}
	s := perms.Scopes["packages"]
	if !isWriteAll(perms) && (s == nil || s.Value == nil || !strings.EqualFold(strings.TrimSpace(s.Value.Value), "write")) {
		return
	}
	at := a.loc(wc.Uses.Pos)
	f.logins = append(f.logins, "ghcr.io")
	f.loginLocs = append(f.loginLocs, at)
	f.unfollowed = append(f.unfollowed, unfollowedFact{
		desc: "reusable workflow " + actionName(uses) + " of another repository, called with packages: write, is not followed",
		mech: "reusable-workflow", at: at})
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
			f.pushes = append(f.pushes, pushFact{mech: wrap(o, tool), tool: tool, images: images, at: o.loc, what: "`" + commandLine(c, 2) + "`"})
			if c.name == "ko" && !c.flagSetTo("--sbom", "none") {
				f.sboms = append(f.sboms, "ko")
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

// inputVariants returns the sets of inputs the workflow is called with by
// the repository's other workflows (for a reusable workflow), else one set
// of the declared defaults.
func (a *auditor) inputVariants() []map[string]string {
	if len(a.callers) > 0 {
		return a.callers
	}
	return []map[string]string{a.inputDefaults()}
}

func (a *auditor) inputDefaults() map[string]string {
	out := map[string]string{}
	for _, ev := range a.wf.On {
		if wc, ok := ev.(*actionlint.WorkflowCallEvent); ok {
			for _, in := range wc.Inputs {
				if in != nil && in.Name != nil && in.Default != nil {
					out[strings.ToLower(in.Name.Value)] = in.Default.Value
				}
			}
		}
	}
	return out
}

// toolOf names the command that pushes, as the inventory's mechanism.
func toolOf(c shellCommand) string {
	switch c.name {
	case "docker", "podman", "nerdctl":
		sub := c.subcommand(3, containerCLIValued...)
		switch {
		case sub[0] == "buildx" && sub[1] == "imagetools":
			return "imagetools"
		case sub[0] == "buildx" || sub[0] == subBuild:
			return "docker buildx"
		case sub[0] == "manifest":
			return "docker manifest"
		}
		return "docker push"
	case "gcrane":
		return "crane"
	}
	return c.name
}

// pushedImages names what a pushing command pushes, as written.
func pushedImages(c shellCommand, env func(string) string) []string {
	switch c.name {
	case "docker", "podman", "nerdctl", "buildah":
		sub := c.subcommand(3, containerCLIValued...)
		switch {
		case sub[0] == subPush || sub[1] == subPush && (sub[0] == "image" || sub[0] == "manifest"):
			pos := c.positionals(containerCLIValued...)
			if len(pos) > 0 && pos[len(pos)-1] != subPush {
				return pos[len(pos)-1:]
			}
		default:
			return c.flagValues("-t", "--tag")
		}
	case "crane", "gcrane", "skopeo":
		pos := c.positionals()
		if len(pos) > 0 {
			return []string{strings.TrimPrefix(pos[len(pos)-1], "docker://")}
		}
	case "ko":
		repo := env("KO_DOCKER_REPO")
		for _, as := range c.assigns {
			if v, ok := strings.CutPrefix(as, "KO_DOCKER_REPO="); ok {
				repo = v
			}
		}
		if repo = strings.Trim(repo, `'"`); repo != "" {
			return []string{repo}
		}
	}
	return nil
}

var shellVarRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expandAll resolves $VAR and ${VAR} in names from env where known.
func expandAll(names []string, env func(string) string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.Trim(strings.TrimSpace(n), `'"`)
		if n == "" {
			continue
		}
		if env != nil && strings.Contains(n, "$") && !strings.Contains(n, "${{") {
			n = shellVarRE.ReplaceAllStringFunc(n, func(m string) string {
				if v := env(shellVarRE.FindStringSubmatch(m)[1]); v != "" {
					return v
				}
				return m
			})
		}
		out = append(out, n)
	}
	return out
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' })
}

// lasting reports whether any of images goes to a registry that outlives
// the job. No name at all (unresolved) counts as lasting: the audit does
// not excuse what it cannot see.
func lasting(images []string) bool {
	if len(images) == 0 {
		return true
	}
	for _, img := range images {
		if !ephemeralRegistry(registryHost(img)) {
			return true
		}
	}
	return false
}

// registryHost is the registry part of an image reference.
func registryHost(image string) string {
	image = strings.TrimSpace(image)
	for _, scheme := range []string{"docker://", "oci://", "https://", "http://"} {
		image = strings.TrimPrefix(image, scheme)
	}
	first, _, found := strings.Cut(image, "/")
	if !found {
		return "docker.io"
	}
	if strings.ContainsAny(first, ".:[") || first == "localhost" || first == "kind-registry" {
		return strings.ToLower(first)
	}
	return "docker.io"
}

// ephemeralRegistry reports registries that only live as long as the job
// (a registry container on the runner, kind's) or by design forget what is
// pushed (ttl.sh): signing or describing what goes there protects nobody.
func ephemeralRegistry(host string) bool {
	h := strings.ToLower(strings.TrimSpace(host))
	h = strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
	h, _, _ = strings.Cut(h, "/")
	if strings.HasPrefix(h, "[") {
		if end := strings.IndexByte(h, ']'); end > 0 {
			h = h[1:end]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	switch {
	case h == "localhost", h == "::1", h == "kind-registry", h == "ttl.sh", h == "ko.local", h == "kind.local":
		return true
	case strings.HasPrefix(h, "127."), strings.HasSuffix(h, ".local"), strings.HasSuffix(h, ".localhost"):
		return true
	}
	return false
}

// loginRegistry recognises "docker login [registry]" and its relatives.
func loginRegistry(c shellCommand) (string, bool) {
	switch c.name {
	case "docker", "podman", "nerdctl", "buildah", "helm", "oras", "ko":
		sub := c.subcommand(2, containerCLIValued...)
		if sub[0] == "login" || (sub[0] == "registry" && sub[1] == "login") {
			pos := c.positionals(append([]string{"-u", "--username", "-p", "--password"}, containerCLIValued...)...)
			if n := len(pos); n > 1 {
				return pos[n-1], true
			}
			return "docker.io", true
		}
	case "crane", "gcrane":
		if sub := c.subcommand(2); sub[0] == "auth" && sub[1] == "login" {
			pos := c.positionals("-u", "--username", "-p", "--password")
			if len(pos) > 2 {
				return pos[len(pos)-1], true
			}
		}
	}
	return "", false
}

func sbomKindOf(c shellCommand) string {
	switch c.name {
	case "cosign":
		return "cosign-attestation"
	case "docker", "podman":
		if c.subcommand(1, containerCLIValued...)[0] != "sbom" {
			return "buildkit"
		}
	}
	return "file"
}

func mayBeTrueString(v string) bool {
	v = strings.TrimSpace(strings.ToLower(v))
	return v != "" && v != "false"
}

func truthyString(v string) bool {
	v = strings.TrimSpace(strings.ToLower(v))
	return v != "" && v != "false" && !strings.Contains(v, "${{")
}
