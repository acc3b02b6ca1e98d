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
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// goreleaserRun is what one goreleaser invocation publishes, read from its
// configuration file.
type goreleaserRun struct {
	config     string
	found      bool // the configuration was read
	images     []string
	imageLocs  []location
	artifacts  bool // builds/archives go to a release
	imageSign  string
	artSign    string
	signLocs   []location
	sbom       bool
	sbomLocs   []location
	kosSBOM    bool
	notFollows string
}

// goreleaserArgs interprets goreleaser's command line: whether it
// publishes at all (release without --snapshot or --skip=publish) and
// which configuration it reads.
func goreleaserArgs(args []string) (publishes bool, config string) {
	sub := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-f" || a == "--config":
			if i+1 < len(args) {
				config = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "-f=") || strings.HasPrefix(a, "--config="):
			_, config, _ = strings.Cut(a, "=")
		case strings.HasPrefix(a, "-f") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			config = a[2:]
		case a == "--snapshot" || a == "--skip-publish":
			return false, config
		case a == "--skip" && i+1 < len(args):
			if skipsPublish(args[i+1]) {
				return false, config
			}
			i++
		case strings.HasPrefix(a, "--skip="):
			if skipsPublish(strings.TrimPrefix(a, "--skip=")) {
				return false, config
			}
		case strings.HasPrefix(a, "-"):
		case sub == "":
			sub = a
		}
	}
	return sub == "" || sub == "release", config
}

func skipsPublish(list string) bool {
	for s := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(s) == "publish" {
			return true
		}
	}
	return false
}

// goreleaser reads the configuration of a goreleaser run in dir.
func (w *walker) goreleaser(dir, config string, from location) goreleaserRun {
	run := goreleaserRun{}
	var candidates []string
	if config != "" {
		if strings.Contains(config, "${{") || strings.Contains(config, "$") {
			run.notFollows = "goreleaser configuration " + config + " is chosen at run time; not followed"
			return run
		}
		candidates = []string{config}
	} else {
		candidates = []string{".goreleaser.yml", ".goreleaser.yaml", "goreleaser.yml", "goreleaser.yaml"}
	}
	for _, c := range candidates {
		p, ok := w.r.resolve(dir, c, from)
		if ok && w.r.exists(p, from) {
			run.config = p
			break
		}
	}
	if run.config == "" {
		run.notFollows = "goreleaser configuration not found in the repository"
		return run
	}
	content, err := w.r.read(run.config, from)
	if err != nil {
		run.notFollows = "goreleaser configuration " + run.config + " not read"
		return run
	}
	root := w.r.parseYAML(run.config, content, from)
	if root == nil {
		run.notFollows = "goreleaser configuration " + run.config + " is not valid YAML, or too large"
		return run
	}
	run.found = true
	run.analyse(root.Content[0])
	return run
}

// analyse reads what the configuration publishes, signs and describes.
func (run *goreleaserRun) analyse(doc *yaml.Node) {
	at := func(n *yaml.Node) location { return location{file: run.config, line: n.Line} }

	addImage := func(n *yaml.Node) {
		if n.Value != "" {
			run.images = append(run.images, n.Value)
			run.imageLocs = append(run.imageLocs, at(n))
		}
	}
	for _, d := range items(mapGet(doc, "dockers")) {
		if strings.EqualFold(scalar(mapGet(d, "skip_push")), "true") {
			continue
		}
		for _, t := range seqOrScalar(mapGet(d, "image_templates")) {
			addImage(t)
		}
	}
	for _, d := range items(mapGet(doc, "dockers_v2")) {
		for _, t := range seqOrScalar(mapGet(d, "images")) {
			addImage(t)
		}
	}
	for _, d := range items(mapGet(doc, "docker_manifests")) {
		if strings.EqualFold(scalar(mapGet(d, "skip_push")), "true") {
			continue
		}
		if n := mapGet(d, "name_template"); n != nil {
			addImage(n)
		}
	}
	for _, k := range items(mapGet(doc, "kos")) {
		for _, key := range []string{"repositories", "repository"} {
			for _, t := range seqOrScalar(mapGet(k, key)) {
				addImage(t)
			}
		}
		if s := scalar(mapGet(k, "sbom")); !strings.EqualFold(s, "none") {
			run.kosSBOM = true
			run.sbomLocs = append(run.sbomLocs, at(k))
		}
	}
	for _, key := range []string{"builds", "archives", "nfpms", "checksum", "source"} {
		if mapGet(doc, key) != nil {
			run.artifacts = true
		}
	}
	for _, s := range items(mapGet(doc, "docker_signs")) {
		arts := strings.ToLower(scalar(mapGet(s, "artifacts")))
		if arts == "" || arts == "none" {
			continue
		}
		run.imageSign = signKind(s, true)
		run.signLocs = append(run.signLocs, at(s))
	}
	for _, s := range items(mapGet(doc, "signs")) {
		if strings.ToLower(scalar(mapGet(s, "artifacts"))) == "none" {
			continue
		}
		run.artSign = signKind(s, false)
		run.signLocs = append(run.signLocs, at(s))
	}
	for _, s := range items(mapGet(doc, "sboms")) {
		if strings.ToLower(scalar(mapGet(s, "artifacts"))) == "none" {
			continue
		}
		run.sbom = true
		run.sbomLocs = append(run.sbomLocs, at(s))
	}
	if mapGet(doc, "sboms") != nil && len(items(mapGet(doc, "sboms"))) == 0 {
		// "sboms:" with a mapping instead of a list: still configured.
		run.sbom = true
	}
}

// signKind tells keyless from keyed signing in a goreleaser signs entry.
// goreleaser's default arguments sign with --key=cosign.key.
func signKind(s *yaml.Node, docker bool) string {
	cmd := path.Base(scalar(mapGet(s, "cmd")))
	if cmd == "." || cmd == "" {
		if docker {
			cmd = "cosign"
		} else {
			cmd = "gpg"
		}
	}
	if cmd != "cosign" {
		return signingKey
	}
	args := seqOrScalar(mapGet(s, "args"))
	if len(args) == 0 {
		return signingKey
	}
	for _, a := range args {
		if strings.HasPrefix(a.Value, "--key") || strings.HasPrefix(a.Value, "--sk") {
			return signingKey
		}
	}
	return signingKeyless
}

// items returns the mapping items of a sequence node.
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*yaml.Node
	for _, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			c = c.Alias
		}
		if c != nil && c.Kind == yaml.MappingNode {
			out = append(out, c)
		}
	}
	return out
}
