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
	masked := maskExpressions(script)
	var (
		cmds     []shellCommand
		words    []string
		starts   []int
		cur      strings.Builder
		curStart = -1
		heredocs []string // delimiters whose bodies start after the next newline
	)
	endWord := func() {
		if curStart >= 0 {
			words = append(words, cur.String())
			starts = append(starts, curStart)
		}
		cur.Reset()
		curStart = -1
	}
	endCmd := func() {
		endWord()
		if c, ok := newShellCommand(script, words, starts); ok {
			cmds = append(cmds, c)
		}
		words, starts = nil, nil
	}
	add := func(at int, s string) {
		if curStart < 0 {
			curStart = at
		}
		cur.WriteString(s)
	}

	for i := 0; i < len(masked); i++ {
		c := masked[i]
		switch {
		case c == '\\' && i+1 < len(masked):
			if masked[i+1] == '\n' {
				endWord() // line continuation
			} else {
				add(i, script[i+1:i+2])
			}
			i++
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '\n':
			endCmd()
			for _, delim := range heredocs {
				i = skipHeredoc(masked, i, delim)
			}
			heredocs = nil
		case c == ';' || c == '|' || c == '(' || c == ')' || c == '`':
			endCmd()
		case c == '&' && i > 0 && (masked[i-1] == '>' || masked[i-1] == '<'): // 2>&1
			endWord()
		case c == '&':
			if i+1 < len(masked) && masked[i+1] == '>' { // &> redirection
				endWord()
				i++
				continue
			}
			endCmd()
		case c == '$' && i+1 < len(masked) && masked[i+1] == '(':
			endCmd()
			i++
		case strings.HasPrefix(masked[i:], "<<<"): // here-string: the word is data
			endWord()
			i += 2
		case strings.HasPrefix(masked[i:], "<<"):
			endWord()
			delim, n := heredocDelimiter(masked[i+2:])
			if delim != "" {
				heredocs = append(heredocs, delim)
			}
			i += 1 + n
		case c == '<' || c == '>':
			endWord()
		case c == '#' && curStart < 0:
			for i+1 < len(masked) && masked[i+1] != '\n' {
				i++
			}
		case c == '\'':
			end := strings.IndexByte(masked[i+1:], '\'')
			if end < 0 {
				end = len(masked) - i - 1
			}
			add(i, script[i+1:i+1+end])
			i += end + 1
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(masked) && masked[j] != '"'; j++ {
				if masked[j] == '\\' && j+1 < len(masked) && strings.IndexByte("\"\\$`", masked[j+1]) >= 0 {
					j++
				}
				b.WriteByte(script[j])
			}
			add(i, b.String())
			i = j
		default:
			add(i, script[i:i+1])
		}
	}
	endCmd()
	return cmds
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
func newShellCommand(script string, words []string, starts []int) (shellCommand, bool) {
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
			for _, v := range valued {
				if a == v {
					i++
					break
				}
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
