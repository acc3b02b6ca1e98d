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

//nolint:goconst // table tests repeat positions, rule ids and arguments on purpose
package audit

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseScript(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   []string // "name|arg|arg" per command
	}{
		{"simple", "docker push img", []string{"docker|push|img"}},
		{"separators", "a; b && c || d | e & f", []string{"a", "b", "c", "d", "e", "f"}},
		{"newlines and blank lines", "a\n\n  b x\n", []string{"a", "b|x"}},
		{"continuation", "docker \\\n  push \\\n  img", []string{"docker|push|img"}},
		{"comments", "# docker push x\necho hi # docker push y", []string{"echo|hi"}},
		{"hash inside word", "echo a#b", []string{"echo|a#b"}},
		{"quotes", `echo "docker push" 'x y' a"b c"d`, []string{"echo|docker push|x y|ab cd"}},
		{"escaped quote", `echo "a \"b\" c"`, []string{`echo|a "b" c`}},
		{"assignments and sudo", "FOO=1 BAR=2 sudo -E docker push img", []string{"docker|push|img"}},
		{"env wrapper", "env KO_DOCKER_REPO=x ko build .", []string{"ko|build|."}},
		{"path to program", "/usr/local/bin/cosign sign img", []string{"cosign|sign|img"}},
		{"command substitution", "d=$(docker push img)", []string{"docker|push|img"}},
		{"backticks", "d=`crane digest img`", []string{"crane|digest|img"}},
		{"keywords", "if docker push img; then echo ok; fi", []string{"docker|push|img", "echo|ok"}},
		{"heredoc body is data", "cat <<EOF > f\ndocker push x\nEOF\necho done", []string{"cat|f", "echo|done"}},
		{"quoted heredoc, dash", "cat <<-'END'\n\tdocker push x\n\tEND\nls", []string{"cat", "ls"}},
		{"here-string is not heredoc", "cat <<< 'x'\nls", []string{"cat|x", "ls"}},
		{"redirections", "docker push img >out 2>&1", []string{"docker|push|img|out|2|1"}},
		{"expression with spaces stays one word", "cosign sign ${{ steps.x.outputs['a b'] }}", []string{"cosign|sign|${{ steps.x.outputs['a b'] }}"}},
		{"expression with separators", "echo ${{ a || b && c; }} x", []string{"echo|${{ a || b && c; }}|x"}},
		{"unterminated quote", "echo 'abc", []string{"echo|abc"}},
		{"trailing backslash", "echo \\", []string{"echo|\\"}},
		{"empty", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var got []string
			for _, c := range parseScript(tc.script) {
				got = append(got, strings.Join(append([]string{c.name}, c.args...), "|"))
			}
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestParseScriptOffsets(t *testing.T) {
	g := NewWithT(t)
	script := "echo hi\n  sudo docker \\\n push x && cosign sign y"
	cmds := parseScript(script)
	g.Expect(cmds).To(HaveLen(3))
	for _, c := range cmds {
		g.Expect(script[c.offset:]).To(HavePrefix(c.word))
	}
	g.Expect(cmds[1].word).To(Equal("docker"))
	g.Expect(cmds[2].offset).To(Equal(strings.Index(script, "cosign")))
}

func TestPushesImage(t *testing.T) {
	noEnv := func(string) string { return "" }
	localKo := func(n string) string {
		if n == "KO_DOCKER_REPO" {
			return "kind.local"
		}
		return ""
	}
	cases := []struct {
		script string
		env    func(string) string
		want   bool
	}{
		{"docker push img", noEnv, true},
		{"docker --context ci push img", noEnv, true},
		{"docker image push img", noEnv, true},
		{"docker manifest push list", noEnv, true},
		{"docker compose -f c.yml push", noEnv, true},
		{"docker buildx build --push .", noEnv, true},
		{"docker buildx build --push=false .", noEnv, false},
		{"docker build --output type=registry .", noEnv, true},
		{"docker buildx build -o type=image,push=true .", noEnv, true},
		{"docker buildx build --load .", noEnv, false},
		{"docker buildx imagetools create -t a b", noEnv, true},
		{"docker run --rm img push", noEnv, false},
		{"docker pull img", noEnv, false},
		{"podman push img", noEnv, true},
		{"nerdctl push img", noEnv, true},
		{"buildah push img", noEnv, true},
		{"buildah manifest push --all l docker://r/l", noEnv, true},
		{"crane push a.tar r/i", noEnv, true},
		{"crane copy a b", noEnv, true},
		{"crane digest r/i", noEnv, false},
		{"ko build ./cmd/app", noEnv, true},
		{"ko publish ./cmd/app", noEnv, true},
		{"ko resolve -f config/", noEnv, true},
		{"ko build --local ./cmd/app", noEnv, false},
		{"ko build -L ./cmd/app", noEnv, false},
		{"ko build --push=false ./cmd/app", noEnv, false},
		{"KO_DOCKER_REPO=ko.local ko build .", noEnv, false},
		{"ko build .", localKo, false},
		{"ko version", noEnv, false},
		{"skopeo copy oci:dir docker://r/i", noEnv, true},
		{"skopeo copy docker://r/i oci:dir", noEnv, false},
		{"echo docker push img", noEnv, false},
	}
	for _, tc := range cases {
		t.Run(tc.script, func(t *testing.T) {
			g := NewWithT(t)
			cmds := parseScript(tc.script)
			g.Expect(cmds).To(HaveLen(1))
			g.Expect(pushesImage(cmds[0], tc.env)).To(Equal(tc.want))
		})
	}
}

func TestCosignAndSBOMCommands(t *testing.T) {
	cases := []struct {
		script  string
		sub     string
		keyless bool
		sbom    bool
	}{
		{"cosign sign --yes img", "sign", true, false},
		{"cosign sign --key k img", "sign", false, false},
		{"cosign sign --key=gcpkms://k img", "sign", false, false},
		{"cosign sign --sk img", "sign", false, false},
		{"cosign sign-blob --yes f", "sign-blob", true, false},
		{"cosign attest --type spdxjson --predicate s img", "attest", true, true},
		{"cosign attest --type=cyclonedx --key k --predicate s img", "attest", false, true},
		{"cosign attest --type slsaprovenance --predicate p img", "attest", true, false},
		{"cosign attach sbom --sbom s img", "", false, true},
		{"cosign verify img", "", false, false},
		{"syft img -o spdx-json", "", false, true},
		{"syft scan img", "", false, true},
		{"syft version", "", false, false},
		{"docker sbom img", "", false, true},
		{"docker buildx build --sbom=true --push .", "", false, true},
		{"docker buildx build --sbom=false --push .", "", false, false},
		{"docker buildx build --attest type=sbom --push .", "", false, true},
		{"trivy image --format cyclonedx img", "", false, true},
		{"trivy image -f table img", "", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.script, func(t *testing.T) {
			g := NewWithT(t)
			cmds := parseScript(tc.script)
			g.Expect(cmds).To(HaveLen(1))
			sub, keyless := cosignSigning(cmds[0])
			g.Expect(sub).To(Equal(tc.sub))
			g.Expect(keyless).To(Equal(tc.keyless))
			g.Expect(producesSBOM(cmds[0])).To(Equal(tc.sbom))
		})
	}
}
