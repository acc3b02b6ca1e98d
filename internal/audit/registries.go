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
	"regexp"
	"strings"
)

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
