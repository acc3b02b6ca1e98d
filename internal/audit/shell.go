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
)

// shellCommand is one simple command found in a run: script.
type shellCommand struct {
	name    string   // program base name, lower-cased ("docker", "cosign")
	args    []string // words after the program, quotes removed
	assigns []string // leading VAR=value words
	offset  int      // byte offset of the program word in the script
	word    string   // the program word as written, to locate it in the file
}

// parseScript splits a shell script into simple commands. It is not a shell
// parser; it knows just enough to find commands such as "docker push" or
// "cosign sign" reliably in real workflows: quotes, backslash escapes and
// line continuations, comments, the separators ; && || | & and newlines,
// $( ) and backtick substitutions (their inner command counts too), and
// here-documents (whose bodies are data, not commands). ${{ }} expressions
// are kept inside the word they appear in.
func parseScript(script string) []shellCommand {
	all := parseScriptDepth(script, 0)
	out := all[:0]
	for _, c := range all {
		if c.name != "" {
			out = append(out, c)
		}
	}
	return out
}

// parseScriptAssignments is parseScript keeping assignment-only commands
// ("IMAGE=ttl.sh/x", with an empty name), for resolving later $IMAGE.
func parseScriptAssignments(script string) []shellCommand {
	return parseScriptDepth(script, 0)
}

// maxSubstitutionDepth bounds "$(...)" nested inside double quotes, which
// are parsed recursively.
const maxSubstitutionDepth = 4

func parseScriptDepth(script string, depth int) []shellCommand {
	s := &scriptScanner{script: script, masked: maskExpressions(script), curStart: -1, depth: depth}
	for i := 0; i < len(s.masked); i++ {
		i = s.step(i)
	}
	s.endCmd()
	return append(s.cmds, s.nested...)
}

// scriptScanner is the state of parseScript. Decisions are taken on masked
// (expressions blanked out) while word text is copied from script, so that
// an expression containing quotes or separators stays one intact word.
type scriptScanner struct {
	script, masked string
	cmds           []shellCommand
	words          []string
	starts         []int
	cur            strings.Builder
	curStart       int            // offset of the current word, -1 between words
	heredocs       []string       // delimiters whose bodies start after the next newline
	nested         []shellCommand // commands of "$(...)" inside double quotes
	depth          int
}

// step consumes the byte at i (and possibly more) and returns the index of
// the last byte consumed.
func (s *scriptScanner) step(i int) int {
	switch c := s.masked[i]; {
	case c == '\\':
		return s.escape(i)
	case c == ' ' || c == '\t' || c == '\r':
		s.endWord()
	case c == '\n':
		return s.newline(i)
	case strings.IndexByte(";|()`&<>", c) >= 0 || strings.HasPrefix(s.masked[i:], "$("):
		return s.operator(i)
	case c == '#' && s.curStart < 0:
		for i+1 < len(s.masked) && s.masked[i+1] != '\n' {
			i++
		}
	case c == '\'':
		return s.singleQuoted(i)
	case c == '"':
		return s.doubleQuoted(i)
	default:
		s.add(i, s.script[i:i+1])
	}
	return i
}

func (s *scriptScanner) escape(i int) int {
	switch {
	case i+1 >= len(s.masked):
		s.add(i, s.script[i:i+1])
		return i
	case s.masked[i+1] == '\n':
		s.endWord() // line continuation
	default:
		s.add(i, s.script[i+1:i+2])
	}
	return i + 1
}

func (s *scriptScanner) newline(i int) int {
	s.endCmd()
	for _, delim := range s.heredocs {
		i = skipHeredoc(s.masked, i, delim)
	}
	s.heredocs = nil
	return i
}

// operator handles separators, substitutions and redirections.
func (s *scriptScanner) operator(i int) int {
	rest := s.masked[i:]
	switch {
	case strings.HasPrefix(rest, "$("):
		s.endCmd()
		return i + 1
	case strings.HasPrefix(rest, "<<<"): // here-string: the word is data
		s.endWord()
		return i + 2
	case strings.HasPrefix(rest, "<<"):
		s.endWord()
		delim, n := heredocDelimiter(rest[2:])
		if delim != "" {
			s.heredocs = append(s.heredocs, delim)
		}
		return i + 1 + n
	case rest[0] == '<' || rest[0] == '>':
		s.endWord()
	case strings.HasPrefix(rest, "&>"):
		s.endWord()
		return i + 1
	case rest[0] == '&' && i > 0 && (s.masked[i-1] == '>' || s.masked[i-1] == '<'): // 2>&1
		s.endWord()
	default: // ; | & ( ) `
		s.endCmd()
	}
	return i
}

func (s *scriptScanner) singleQuoted(i int) int {
	end := strings.IndexByte(s.masked[i+1:], '\'')
	if end < 0 {
		end = len(s.masked) - i - 1
	}
	s.add(i, s.script[i+1:i+1+end])
	return i + end + 1
}

func (s *scriptScanner) doubleQuoted(i int) int {
	j := i + 1
	var b strings.Builder
	for ; j < len(s.masked) && s.masked[j] != '"'; j++ {
		if s.masked[j] == '\\' && j+1 < len(s.masked) && strings.IndexByte("\"\\$`", s.masked[j+1]) >= 0 {
			j++
		}
		if strings.HasPrefix(s.masked[j:], "$(") && s.depth < maxSubstitutionDepth {
			// "echo "digest=$(make publish)"": the substitution runs.
			if end := substitutionEnd(s.masked, j+1); end > 0 {
				for _, c := range parseScriptDepth(s.script[j+2:end], s.depth+1) {
					c.offset += j + 2
					s.nested = append(s.nested, c)
				}
				b.WriteString(s.script[j : end+1])
				j = end
				continue
			}
		}
		b.WriteByte(s.script[j])
	}
	s.add(i, b.String())
	return j
}

// substitutionEnd returns the index of the ")" closing the "(" at open,
// ignoring parentheses in quotes, or -1.
func substitutionEnd(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			if k := strings.IndexByte(s[i+1:], '\''); k >= 0 {
				i += k + 1
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		case '"':
			if depth == 0 {
				return -1
			}
		}
	}
	return -1
}

func (s *scriptScanner) add(at int, text string) {
	if s.curStart < 0 {
		s.curStart = at
	}
	s.cur.WriteString(text)
}

func (s *scriptScanner) endWord() {
	if s.curStart >= 0 {
		s.words = append(s.words, s.cur.String())
		s.starts = append(s.starts, s.curStart)
	}
	s.cur.Reset()
	s.curStart = -1
}

func (s *scriptScanner) endCmd() {
	s.endWord()
	if c, ok := newShellCommand(s.words, s.starts); ok {
		s.cmds = append(s.cmds, c)
	}
	s.words, s.starts = nil, nil
}

// maskExpressions replaces the inside of ${{ }} expressions with letters of
// the same length, so that spaces and quotes in an expression do not split
// words while offsets stay valid.
func maskExpressions(s string) string {
	spans := findExprs(s)
	if len(spans) == 0 {
		return s
	}
	b := []byte(s)
	for _, sp := range spans {
		for i := sp.start; i < sp.end; i++ {
			b[i] = 'x'
		}
	}
	return string(b)
}

// heredocDelimiter parses the word after "<<" (optionally "-" and quotes).
// It returns the delimiter and how many bytes it spans.
func heredocDelimiter(s string) (string, int) {
	n := 0
	if strings.HasPrefix(s, "-") {
		n++
	}
	for n < len(s) && (s[n] == ' ' || s[n] == '\t') {
		n++
	}
	start := n
	for n < len(s) && strings.IndexByte(" \t\n;|&<>()", s[n]) < 0 {
		n++
	}
	delim := strings.Trim(s[start:n], `'"\`)
	return delim, n
}

// skipHeredoc skips the here-document body that follows the newline at i and
// returns the index of the newline that ends its delimiter line.
func skipHeredoc(s string, i int, delim string) int {
	for i < len(s) {
		next := strings.IndexByte(s[i+1:], '\n')
		var line string
		if next < 0 {
			line = s[i+1:]
		} else {
			line = s[i+1 : i+1+next]
		}
		if next < 0 {
			return len(s)
		}
		i += 1 + next
		if strings.TrimSpace(line) == delim {
			return i
		}
	}
	return i
}

var assignmentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// newShellCommand strips environment assignments, shell keywords and
// wrappers such as sudo or env from words and names the program that runs.
func newShellCommand(words []string, starts []int) (shellCommand, bool) {
	var c shellCommand
	i := 0
	for i < len(words) {
		w := words[i]
		switch {
		case assignmentRE.MatchString(w):
			c.assigns = append(c.assigns, w)
			i++
		case isShellKeyword(w):
			i++
		case w == "sudo" || w == "env" || w == "xargs" || w == "nohup" || w == "time" || w == "command" || w == "exec":
			i++
			for i < len(words) && strings.HasPrefix(words[i], "-") {
				i++
			}
		default:
			c.word = w
			c.name = strings.ToLower(path.Base(strings.ReplaceAll(w, `\`, "/")))
			c.args = words[i+1:]
			c.offset = starts[i]
			return c, c.name != ""
		}
	}
	// Only assignments ("IMAGE=ttl.sh/x"): a command without a program,
	// kept so that later commands of the script can resolve $IMAGE.
	if len(c.assigns) > 0 {
		c.offset = starts[0]
		return c, true
	}
	return c, false
}

func isShellKeyword(w string) bool {
	switch w {
	case "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}":
		return true
	}
	return false
}

// flag returns the value of a command-line flag given as "--name value" or
// "--name=value", and whether any of names is present at all.
func (c shellCommand) flag(names ...string) (value string, present bool) {
	for i, a := range c.args {
		for _, n := range names {
			if a == n {
				if i+1 < len(c.args) {
					return c.args[i+1], true
				}
				return "", true
			}
			if strings.HasPrefix(a, n+"=") {
				return a[len(n)+1:], true
			}
		}
	}
	return "", false
}

// positionals returns the non-flag arguments. Flags listed in valued take a
// separate value word, which is skipped too.
func (c shellCommand) positionals(valued ...string) []string {
	var out []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if slices.Contains(valued, a) {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// subcommand returns the first n positional arguments, lower-cased, padded
// with "" so callers can index without bounds checks.
func (c shellCommand) subcommand(n int, valued ...string) []string {
	pos := c.positionals(valued...)
	out := make([]string, n)
	for i := 0; i < n && i < len(pos); i++ {
		out[i] = strings.ToLower(pos[i])
	}
	return out
}

// boolFlag reports whether a boolean flag is on: "--push" or "--push=true".
func (c shellCommand) boolFlag(name string) bool {
	for _, a := range c.args {
		if a == name || strings.EqualFold(a, name+"=true") {
			return true
		}
	}
	return false
}

// flagSetTo reports whether the flag is given as "--name=value".
func (c shellCommand) flagSetTo(name, value string) bool {
	for _, a := range c.args {
		if strings.EqualFold(a, name+"="+value) {
			return true
		}
	}
	return false
}

// hasFlagWithValue reports whether the flag is given in "--name=..." form.
func (c shellCommand) hasFlagWithValue(name string) bool {
	for _, a := range c.args {
		if strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// flagValues returns every value of a repeatable flag ("--name v" or
// "--name=v").
func (c shellCommand) flagValues(names ...string) []string {
	var out []string
	for i, a := range c.args {
		for _, n := range names {
			switch {
			case a == n && i+1 < len(c.args):
				out = append(out, c.args[i+1])
			case strings.HasPrefix(a, n+"="):
				out = append(out, a[len(n)+1:])
			}
		}
	}
	return out
}
