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

// composite follows a local action (uses: ./path). Composite actions are
// expanded step by step, with ${{ inputs.x }} replaced by what the caller
// passes; JavaScript and Docker actions are recorded as not followed.
func (w *walker) composite(sv *stepView, depth int, mech string) {
	from := sv.usesLoc
	if depth+1 > MaxFollowDepth {
		w.r.note(from, limitFollowDepth, "local action %s is more than %d levels deep; not followed", sv.uses, MaxFollowDepth)
		return
	}
	dir, ok := w.r.resolve(".", strings.TrimSpace(sv.uses), from)
	if !ok {
		return
	}
	var file string
	for _, n := range []string{"action.yml", "action.yaml"} {
		if p := path.Join(dir, n); w.r.exists(p, from) {
			file = p
			break
		}
	}
	if file == "" {
		return // created at run time, or not in this (partial) tree
	}
	if w.active[file] {
		w.r.note(from, limitCallCycle, "local action %s uses itself; not followed again", dir)
		return
	}
	content, err := w.r.read(file, from)
	if err != nil {
		return
	}
	root := w.r.parseYAML(file, content, from)
	if root == nil {
		return
	}
	doc := root.Content[0]
	inputs := map[string]string{}
	if in := mapGet(doc, "inputs"); in != nil && in.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(in.Content); i += 2 {
			if d := mapGet(in.Content[i+1], "default"); d != nil && d.Kind == yaml.ScalarNode {
				inputs[strings.ToLower(in.Content[i].Value)] = d.Value
			}
		}
	}
	for k, v := range sv.with {
		inputs[k] = v.value
	}
	runs := mapGet(doc, "runs")
	using := strings.ToLower(scalar(mapGet(runs, "using")))
	if using != "composite" {
		w.ops = append(w.ops, op{step: sv, loc: from, env: sv.env, dir: sv.dir, mech: mech,
			unfollowed: "local action " + dir + " runs " + orUnknown(using) + " code, which is not followed"})
		return
	}
	w.active[file] = true
	defer delete(w.active, file)
	if mech == "" {
		mech = "composite-action"
	}
	steps := mapGet(runs, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return
	}
	for _, s := range steps.Content {
		if s.Kind != yaml.MappingNode {
			continue
		}
		w.step(compositeStep(file, s, inputs, sv), depth+1, mech)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func compositeStep(file string, s *yaml.Node, inputs map[string]string, caller *stepView) *stepView {
	sv := &stepView{file: file, with: map[string]withValue{}, dir: caller.dir, caller: caller}
	env := map[string]string{}
	if e := mapGet(s, "env"); e != nil && e.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(e.Content); i += 2 {
			env[e.Content[i].Value] = substituteInputs(e.Content[i+1].Value, inputs)
		}
	}
	sv.env = func(name string) string {
		if v, ok := env[name]; ok {
			return v
		}
		return caller.env(name)
	}
	if wd := mapGet(s, "working-directory"); wd != nil {
		sv.dir = cleanDir(substituteInputs(wd.Value, inputs))
	}
	if u := mapGet(s, "uses"); u != nil {
		sv.uses = substituteInputs(u.Value, inputs)
		sv.usesLoc = location{file: file, line: u.Line}
	}
	if with := mapGet(s, "with"); with != nil && with.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(with.Content); i += 2 {
			v := with.Content[i+1]
			val := substituteInputs(v.Value, inputs)
			sv.with[strings.ToLower(with.Content[i].Value)] = withValue{value: val, loc: location{file: file, line: blockStart(v)},
				may: mayBeTrueString(val), always: truthyString(val)}
		}
	}
	if r := mapGet(s, "run"); r != nil && r.Kind == yaml.ScalarNode {
		raw := r.Value
		sv.run = substituteInputs(raw, inputs)
		start := blockStart(r)
		run := sv.run
		sv.runLoc = func(off int, _ string) location { return location{file: file, line: start + lineOf(run, off)} }
	}
	return sv
}

// blockStart is the line where a scalar's text starts: the line after the
// indicator of a block scalar (run: |).
func blockStart(n *yaml.Node) int {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

// mapGet returns the value of key in a mapping node, or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				return v.Alias
			}
			return v
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// seqOrScalar returns the scalar items of a sequence, or a lone scalar.
func seqOrScalar(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	var out []*yaml.Node
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c)
			}
		}
	}
	return out
}
