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
	"strings"
	"unicode/utf8"

	"github.com/rhysd/actionlint"
)

// source maps positions inside parsed scalar values back to the file. The
// parser only knows where a scalar starts; for a multi-line run: script we
// want the line of the offending command or expression, not of "run: |".
type source struct {
	lines []string
}

func newSource(b []byte) *source {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return &source{lines: lines}
}

// posInValue returns the file position of the text needle that starts at
// byte offset off of v.Value. key is the position of the mapping key that
// owns v, used to tell where a flow scalar ends; it may be nil.
//
// Literal block scalars ("|") keep a line-for-line correspondence with the
// file, so the position is computed. Other styles (folded, plain, quoted) may
// fold lines or resolve escapes, so the needle is searched verbatim inside
// the scalar's extent, matching occurrences in order. When nothing matches the
// start of the scalar is returned, which is still on the right step.
func (s *source) posInValue(v *actionlint.String, key *actionlint.Pos, off int, needle string) *actionlint.Pos {
	if v == nil || v.Pos == nil {
		return nil
	}
	start := &actionlint.Pos{Line: v.Pos.Line, Col: v.Pos.Col}
	if nl := strings.IndexByte(needle, '\n'); nl >= 0 {
		needle = needle[:nl]
	}
	L := start.Line
	if needle == "" || L < 1 || L > len(s.lines) {
		return start
	}
	off = max(0, min(off, len(v.Value)))
	nth := strings.Count(v.Value[:off], needle)

	line := s.lines[L-1]
	bi, ok := byteIndexOfCol(line, start.Col)
	if !ok {
		return start
	}
	bi = skipNodeProperties(line, bi)
	if bi < len(line) && (line[bi] == '|' || line[bi] == '>') {
		first, indent := s.blockContent(L)
		if first == 0 {
			return start
		}
		if line[bi] == '|' {
			if p := s.literalPos(v.Value, off, L, indent, needle); p != nil {
				return p
			}
		}
		if p := s.search(needle, nth, first, 0, s.extentEnd(first, indent-1)); p != nil {
			return p
		}
		return &actionlint.Pos{Line: first, Col: indent + 1}
	}

	bound := leadingSpaces(line)
	if key != nil && key.Line == L {
		bound = key.Col - 1
	}
	if p := s.search(needle, nth, L, bi, s.extentEnd(L, bound)); p != nil {
		return p
	}
	return start
}

// literalPos computes the position of off inside a literal block scalar whose
// header is on line header and whose content is indented by indent spaces.
// It verifies that needle really is there, so a miscomputed indentation
// falls back to searching instead of pointing at the wrong column.
func (s *source) literalPos(value string, off, header, indent int, needle string) *actionlint.Pos {
	before := value[:off]
	line := header + 1 + strings.Count(before, "\n")
	colBytes := off - (strings.LastIndexByte(before, '\n') + 1)
	if line < 1 || line > len(s.lines) {
		return nil
	}
	text := s.lines[line-1]
	b := indent + colBytes
	if b > len(text) || !strings.HasPrefix(text[b:], needle) {
		return nil
	}
	return &actionlint.Pos{Line: line, Col: utf8.RuneCountInString(text[:b]) + 1}
}

// blockContent finds the first non-blank line after a block scalar header
// and its indentation, which YAML uses as the indentation of the whole block.
func (s *source) blockContent(header int) (line, indent int) {
	for i := header + 1; i <= len(s.lines); i++ {
		if strings.TrimSpace(s.lines[i-1]) != "" {
			return i, leadingSpaces(s.lines[i-1])
		}
	}
	return 0, 0
}

// extentEnd returns the last line, from line on, that belongs to a scalar
// whose continuation lines must be indented more than bound spaces.
func (s *source) extentEnd(line, bound int) int {
	end := line
	for i := line + 1; i <= len(s.lines); i++ {
		t := s.lines[i-1]
		if strings.TrimSpace(t) == "" {
			continue
		}
		if leadingSpaces(t) <= bound {
			break
		}
		end = i
	}
	return end
}

// search finds the nth (0-based) occurrence of needle between (from, fromByte)
// and the end of line to.
func (s *source) search(needle string, nth, from, fromByte, to int) *actionlint.Pos {
	for l := from; l <= to && l <= len(s.lines); l++ {
		text := s.lines[l-1]
		b := 0
		if l == from {
			b = min(fromByte, len(text))
		}
		for {
			i := strings.Index(text[b:], needle)
			if i < 0 {
				break
			}
			if nth == 0 {
				at := b + i
				return &actionlint.Pos{Line: l, Col: utf8.RuneCountInString(text[:at]) + 1}
			}
			nth--
			b += i + len(needle)
		}
	}
	return nil
}

// byteIndexOfCol converts a 1-based code point column into a byte index.
func byteIndexOfCol(line string, col int) (int, bool) {
	if col < 1 {
		return 0, false
	}
	n := 1
	for i := range line {
		if n == col {
			return i, true
		}
		n++
	}
	return len(line), n == col
}

// skipNodeProperties skips an anchor (&a) and/or tag (!t) in front of a
// scalar, since the parser's position for "run: &a |" is the anchor.
func skipNodeProperties(line string, i int) int {
	for i < len(line) && (line[i] == '&' || line[i] == '!') {
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	return i
}

func leadingSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}
