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
	"strings"

	"github.com/rhysd/actionlint"
)

// op is one thing a job does, wherever it is written: a shell command of a
// run: step, of a Makefile recipe, of a script or of a composite action's
// step, or an action step. The inventory and SP005/SP006 are computed from
// a job's ops, so a push hidden three makes down counts like one in the
// workflow.
type op struct {
	cmd  *shellCommand // a command, or nil for an action step
	step *stepView     // the step (always set)
	loc  location
	env  func(string) string
	dir  string // working directory, relative to the repository root
	// mech is the outermost wrapper that led here from the workflow:
	// "make", "composite-action", "script", or "" for the step itself.
	mech string
	// unfollowed says what could not be followed from here (nix run, a
	// JavaScript action, go run), or "".
	unfollowed string
}

// stepView is a step of a workflow job or of a composite action, in the
// few terms the audit needs.
type stepView struct {
	file    string
	uses    string // as written, "" for run: steps
	usesLoc location
	with    map[string]withValue // keys lower-cased
	run     string
	runLoc  func(off int, word string) location
	env     func(string) string
	dir     string
	// caller is the step that used the local action this step is part
	// of; posInWorkflow is the workflow step's position (workflow steps
	// only). Together they lead a finding back to the workflow.
	caller        *stepView
	posInWorkflow *actionlint.Pos
}

type withValue struct {
	value string
	loc   location
	// may and always say whether the value may be, or always is, true
	// (for push: and sbom:), with matrix values and expressions in mind.
	may, always bool
}

// walker expands the steps of one job into ops.
type walker struct {
	r      *repoReader
	ops    []op
	active map[string]bool // files and make targets being followed: cycles
}

func newWalker(r *repoReader) *walker {
	return &walker{r: r, active: map[string]bool{}}
}

// step expands one step.
func (w *walker) step(sv *stepView, depth int, mech string) {
	if sv.uses != "" {
		w.ops = append(w.ops, op{step: sv, loc: sv.usesLoc, env: sv.env, dir: sv.dir, mech: mech})
		name := actionName(sv.uses)
		switch {
		case strings.HasPrefix(strings.TrimSpace(sv.uses), "./"):
			w.composite(sv, depth, mech)
		case isRetryWrapper(name):
			if cmd, ok := sv.with["command"]; ok {
				loc := cmd.loc
				w.script(cmd.value, func(off int, _ string) location {
					return location{file: loc.file, line: loc.line + lineOf(cmd.value, off)}
				}, sv, depth, mech)
			}
		}
	}
	if sv.run != "" {
		w.script(sv.run, sv.runLoc, sv, depth, mech)
	}
}

// isRetryWrapper reports actions that run their command: input as a shell
// script (nick-fields/retry, Wandalen/wretry.action and look-alikes).
func isRetryWrapper(name string) bool {
	return strings.Contains(name, "retry")
}

// actionName is "owner/repo[/path]" of a uses: value, lower-cased, no ref.
func actionName(uses string) string {
	v := strings.TrimSpace(uses)
	if at := strings.LastIndexByte(v, '@'); at >= 0 {
		v = v[:at]
	}
	return strings.ToLower(v)
}

// script expands the commands of a shell script.
func (w *walker) script(text string, locate func(off int, word string) location, sv *stepView, depth int, mech string) {
	if depth > MaxFollowDepth {
		return
	}
	exported := map[string]string{}
	env := func(name string) string {
		if v, ok := exported[name]; ok {
			return v
		}
		if sv.env != nil {
			return sv.env(name)
		}
		return ""
	}
	dir := sv.dir
	for _, c := range parseScriptAssignments(text) {
		if c.name == "" {
			for _, as := range c.assigns {
				k, v, _ := strings.Cut(as, "=")
				exported[k] = v
			}
			continue
		}
		if strings.HasPrefix(c.word, "$") {
			// "$COSIGN_CLI sign": the program is in a variable.
			if v := expandAll([]string{c.word}, env); len(v) == 1 && !strings.Contains(v[0], "$") {
				c.word = v[0]
				c.name = strings.ToLower(path.Base(v[0]))
			}
		}
		switch c.name {
		case "export":
			for _, arg := range c.args {
				if k, v, ok := strings.Cut(arg, "="); ok {
					exported[k] = v
				}
			}
		case "cd", "pushd":
			// Later commands run there ("cd docs && make test").
			if pos := c.positionals(); len(pos) == 1 && !strings.ContainsAny(pos[0], "$`~") && !path.IsAbs(pos[0]) {
				dir = path.Join(dir, pos[0])
			} else {
				dir = unknownDir
			}
		}
		if dir == unknownDir {
			continue // relative references cannot be resolved any more
		}
		cc := c
		o := op{cmd: &cc, step: sv, loc: locate(c.offset, c.word), env: env, dir: dir, mech: mech}
		if depth > 0 { // the workflow's own commands are always seen
			w.r.commands++
		}
		if w.r.commands > MaxCommands {
			w.r.note(o.loc, limitCommands, "more than %d commands expanded for this repository (make, scripts and local actions, followed); the rest is not followed", MaxCommands)
			return
		}
		o.unfollowed = w.command(cc, o, depth)
		w.ops = append(w.ops, o)
	}
}

// unknownDir marks a working directory the audit cannot tell ("cd $X").
const unknownDir = "\x00unknown"

// command follows what a command runs inside the repository and returns a
// description of what it runs that cannot be followed ("" when nothing).
func (w *walker) command(c shellCommand, o op, depth int) string {
	switch c.name {
	case "make", "gmake":
		w.make(c, o, depth+1)
	case "nix":
		if sub := c.subcommand(1, "--option", "--extra-experimental-features"); sub[0] == "run" || sub[0] == "develop" || sub[0] == "shell" {
			return "`" + strings.TrimSpace("nix "+strings.Join(c.args, " ")) + "`: nix flake apps are not followed"
		}
	case "go":
		if c.subcommand(1, "-C")[0] == "run" {
			return "`" + commandText(c, 4) + "`: Go programs are not followed"
		}
	case "task", "mage", "just", "bazel", "bazelisk", "earthly", "dagger":
		return "`" + commandText(c, 2) + "`: " + c.name + " is not followed"
	case "bash", "sh", "zsh", "source", ".":
		if c.boolFlag("-c") {
			// bash -c "make release": the argument is a script.
			for i, a := range c.args {
				if a == "-c" && i+1 < len(c.args) {
					sv := *o.step
					sv.env, sv.dir = o.env, o.dir
					loc := o.loc
					w.script(c.args[i+1], func(int, string) location { return loc }, &sv, depth+1, o.mech)
					break
				}
			}
			return ""
		}
		if pos := c.positionals(); len(pos) > 0 {
			w.runScript(pos[0], o, depth+1)
		}
	default:
		word := strings.Trim(c.word, `"'`)
		if strings.Contains(word, "/") || strings.HasSuffix(word, ".sh") {
			w.runScript(word, o, depth+1)
		}
	}
	return ""
}

func commandText(c shellCommand, n int) string {
	parts := []string{c.name}
	for i, a := range c.args {
		if i >= n {
			break
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// runScript follows a script file the step runs.
func (w *walker) runScript(name string, o op, depth int) {
	if depth > MaxFollowDepth {
		w.r.note(o.loc, limitFollowDepth, "%s is more than %d levels deep (make, scripts, local actions); not followed", name, MaxFollowDepth)
		return
	}
	p, ok := w.r.resolve(o.dir, name, o.loc)
	if !ok || !w.r.exists(p, o.loc) {
		return
	}
	if w.active[p] {
		w.r.note(o.loc, limitCallCycle, "%s runs itself (directly or through other files); not followed again", p)
		return
	}
	content, err := w.r.read(p, o.loc)
	if err != nil || strings.IndexByte(string(content[:min(len(content), 8000)]), 0) >= 0 {
		return // unreadable (noted) or binary
	}
	w.active[p] = true
	defer delete(w.active, p)
	text := string(content)
	sv := *o.step
	sv.env = o.env
	mech := o.mech
	if mech == "" {
		mech = "script"
	}
	w.script(text, func(off int, _ string) location { return location{file: p, line: 1 + lineOf(text, off)} }, &sv, depth, mech)
}

// lineOf counts the newlines before off.
func lineOf(s string, off int) int {
	return strings.Count(s[:max(0, min(off, len(s)))], "\n")
}

// make follows "make [-C dir] [-f file] [VAR=value...] [target...]".
func (w *walker) make(c shellCommand, o op, depth int) {
	inv, ok := parseMakeArgs(c.args, o.dir)
	if !ok {
		return // a dry run: nothing runs
	}
	dir, file, overrides, targets := inv.dir, inv.file, inv.overrides, inv.targets
	if depth > MaxFollowDepth {
		w.r.note(o.loc, limitFollowDepth, "`make %s` is more than %d levels deep (make, scripts, local actions); not followed", strings.Join(targets, " "), MaxFollowDepth)
		return
	}
	var mfPath string
	if file != "" {
		p, ok := w.r.resolve(dir, file, o.loc)
		if !ok {
			return
		}
		mfPath = p
	} else {
		for _, n := range []string{"GNUmakefile", "makefile", "Makefile"} {
			if p, ok := w.r.resolve(dir, n, o.loc); ok && w.r.exists(p, o.loc) {
				mfPath = p
				break
			}
		}
	}
	if mfPath == "" || !w.r.exists(mfPath, o.loc) {
		return
	}
	mf := w.r.makes[mfPath]
	if mf == nil {
		mf = loadMakefile(w.r, mfPath, o.loc)
		w.r.makes[mfPath] = mf
	}
	defer func() {
		if mf.exhausted {
			w.r.note(o.loc, limitExpansion, "variables of %s expand in more than %d steps; the rest is left unexpanded", mfPath, maxExpandSteps)
		}
	}()
	if len(targets) == 0 && mf.first != "" {
		targets = []string{mf.first}
	}
	sc := &makeScope{overrides: overrides, env: o.env}
	visited := map[string]bool{}
	for _, t := range targets {
		w.makeTarget(mf, mfPath, t, sc, o, dir, depth, visited)
	}
}

// makeInvocation is what a make command line asks for.
type makeInvocation struct {
	dir, file string
	overrides map[string]string
	targets   []string
}

// parseMakeArgs reads make's options; ok is false for a dry run.
func parseMakeArgs(args []string, dir string) (inv makeInvocation, ok bool) {
	inv = makeInvocation{dir: dir, overrides: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-n" || a == "--dry-run" || a == "--just-print" || a == "-q" || a == "--question":
			return inv, false
		case a == "-C" || a == "--directory":
			inv.dir = path.Join(inv.dir, next())
		case strings.HasPrefix(a, "--directory="):
			inv.dir = path.Join(inv.dir, strings.TrimPrefix(a, "--directory="))
		case strings.HasPrefix(a, "-C") && len(a) > 2:
			inv.dir = path.Join(inv.dir, a[2:])
		case a == "-f" || a == "--file" || a == "--makefile":
			inv.file = next()
		case strings.HasPrefix(a, "--file=") || strings.HasPrefix(a, "--makefile="):
			_, inv.file, _ = strings.Cut(a, "=")
		case a == "-j" || a == "-l" || a == "-o" || a == "-W" || a == "-I" || a == "--jobs":
			if i+1 < len(args) && (a != "-j" || isNumber(args[i+1])) {
				i++
			}
		case strings.HasPrefix(a, "-"):
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			inv.overrides[k] = v
		default:
			inv.targets = append(inv.targets, a)
		}
	}
	return inv, true
}

func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (w *walker) makeTarget(mf *makefile, mfPath, target string, sc *makeScope, o op, dir string, depth int, visited map[string]bool) {
	if visited[target] || len(visited) >= maxMakeTargets {
		return
	}
	visited[target] = true
	key := mfPath + "\x00" + target
	if w.active[key] {
		w.r.note(o.loc, limitCallCycle, "make target %q of %s runs itself; not followed again", target, mfPath)
		return
	}
	rule, stem := mf.findRule(target)
	if rule == nil {
		return
	}
	w.active[key] = true
	defer delete(w.active, key)
	for _, pre := range rule.prereqs {
		if r, _ := mf.findRule(pre); r != nil {
			w.makeTarget(mf, mfPath, pre, sc, o, dir, depth, visited)
		}
	}
	rsc := &makeScope{overrides: sc.overrides, env: sc.env, target: target, stem: stem, prereqs: rule.prereqs}
	env := func(name string) string { return mf.variable(name, rsc, 0) }
	sv := *o.step
	sv.env, sv.dir = env, dir
	mech := o.mech
	if mech == "" {
		mech = "make"
	}
	for _, rl := range rule.recipe {
		text := strings.TrimLeft(strings.TrimSpace(mf.expand(rl.text, rsc, 0)), "@-+ \t")
		loc := location{file: rl.file, line: rl.line}
		w.script(text, func(int, string) location { return loc }, &sv, depth, mech)
	}
}

var inputsExprRE = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// substituteInputs replaces ${{ inputs.x }} with the caller's values.
func substituteInputs(s string, inputs map[string]string) string {
	if !strings.Contains(s, "inputs.") {
		return s
	}
	return inputsExprRE.ReplaceAllStringFunc(s, func(m string) string {
		name := strings.ToLower(inputsExprRE.FindStringSubmatch(m)[1])
		if v, ok := inputs[name]; ok {
			return v
		}
		return m
	})
}

// workflowStep converts an actionlint step of job into a stepView.
func (a *auditor) workflowStep(job *actionlint.Job, step *actionlint.Step) *stepView {
	sv := &stepView{file: a.path, with: map[string]withValue{}, posInWorkflow: step.Pos}
	sv.env = func(name string) string { return a.envValue(job, step, name) }
	if job.Defaults != nil && job.Defaults.Run != nil && job.Defaults.Run.WorkingDirectory != nil {
		sv.dir = cleanDir(job.Defaults.Run.WorkingDirectory.Value)
	}
	// Evaluated for one caller of a reusable workflow: its inputs are known.
	var inputs map[string]string
	if len(a.callers) == 1 {
		inputs = a.callers[0]
	}
	if e := actionOf(step); e != nil {
		sv.uses = e.Uses.Value
		sv.usesLoc = a.loc(e.Uses.Pos)
		for k, in := range e.Inputs {
			if in == nil || in.Value == nil {
				continue
			}
			wv := withValue{value: in.Value.Value, loc: a.loc(in.Value.Pos),
				may: mayBeTrue(in.Value, job), always: alwaysTruthy(in.Value, job)}
			if inputs != nil && strings.Contains(wv.value, "inputs.") {
				if v := substituteInputs(wv.value, inputs); !strings.Contains(v, "${{") {
					wv.value, wv.may, wv.always = v, mayBeTrueString(v), truthyString(v)
				}
			}
			sv.with[k] = wv
		}
	}
	if r := runOf(step); r != nil {
		sv.run = r.Run.Value
		run, key := r.Run, r.RunPos
		sv.runLoc = func(off int, word string) location { return a.loc(a.src.posInValue(run, key, off, word)) }
		if r.WorkingDirectory != nil {
			sv.dir = cleanDir(r.WorkingDirectory.Value)
		}
	}
	return sv
}

func (a *auditor) loc(p *actionlint.Pos) location {
	if p == nil {
		return location{file: a.path}
	}
	return location{file: a.path, line: p.Line, col: p.Col}
}

// cleanDir turns a working-directory: value into a repository path; one
// with an expression is taken as the root, which is where most resolve.
func cleanDir(d string) string {
	d = strings.TrimSpace(d)
	if d == "" || strings.Contains(d, "${{") || path.IsAbs(d) {
		return "."
	}
	return path.Clean(d)
}

// jobOps expands a job (cached).
func (a *auditor) jobOps(job *actionlint.Job) []op {
	if ops, ok := a.opsCache[job]; ok {
		return ops
	}
	w := newWalker(a.repo)
	for _, step := range job.Steps {
		if step != nil {
			w.step(a.workflowStep(job, step), 0, "")
		}
	}
	a.opsCache[job] = w.ops
	return w.ops
}
