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
	"unicode/utf8"

	"github.com/rhysd/actionlint"
)

// source maps positions inside parsed scalar values back to the file. The
// parser only knows where a scalar starts; for a multi-line run: script we
// want the line of the offending command or expression, not of "run: |".
type source struct {
	lines   []string
	scalars map[*actionlint.String]*scalarLayout
}

func newSource(b []byte) *source {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return &source{lines: lines, scalars: map[*actionlint.String]*scalarLayout{}}
}

// scalarLayout is what posInValue learns about one scalar, cached because a
// long script is queried once per command or expression in it, and
// recomputing would make big files quadratic.
type scalarLayout struct {
	literal  bool  // "|" block: value lines map 1:1 to file lines
	header   int   // line of the block header ("run: |")
	indent   int   // block content indentation
	fromLine int   // where the scalar's text starts in the file
	fromByte int   //   (byte index in that line)
	toLine   int   // last line of the scalar's extent
	newlines []int // offsets of '\n' in the value (literal blocks)
	fallback actionlint.Pos
	cursors  map[string]*searchCursor
}

// searchCursor remembers the last occurrence of a needle that was located,
// so that in-order queries resume the search instead of restarting it.
type searchCursor struct {
	off, nth   int // value offset queried, occurrences of needle before it
	line, byte int // where occurrence nth was found in the file
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
	if nl := strings.IndexByte(needle, '\n'); nl >= 0 {
		needle = needle[:nl]
	}
	lay := s.layout(v, key)
	if lay == nil || needle == "" {
		return &actionlint.Pos{Line: v.Pos.Line, Col: v.Pos.Col}
	}
	off = max(0, min(off, len(v.Value)))
	if lay.literal {
		if p := s.literalPos(lay, off, needle); p != nil {
			return p
		}
	}
	if p := s.searchFrom(v.Value, lay, off, needle); p != nil {
		return p
	}
	fb := lay.fallback
	return &fb
}

// layout works out (once per scalar) the style and extent of v in the file.
func (s *source) layout(v *actionlint.String, key *actionlint.Pos) *scalarLayout {
	if lay, ok := s.scalars[v]; ok {
		return lay
	}
	lay := s.computeLayout(v, key)
	s.scalars[v] = lay
	return lay
}

func (s *source) computeLayout(v *actionlint.String, key *actionlint.Pos) *scalarLayout {
	L := v.Pos.Line
	if L < 1 || L > len(s.lines) {
		return nil
	}
	line := s.lines[L-1]
	bi, ok := byteIndexOfCol(line, v.Pos.Col)
	if !ok {
		return nil
	}
	bi = skipNodeProperties(line, bi)
	lay := &scalarLayout{fallback: actionlint.Pos{Line: L, Col: v.Pos.Col}, cursors: map[string]*searchCursor{}}
	if bi < len(line) && (line[bi] == '|' || line[bi] == '>') {
		first, indent := s.blockContent(L)
		if first == 0 {
			return nil
		}
		lay.literal = line[bi] == '|'
		lay.header, lay.indent = L, indent
		lay.fromLine, lay.toLine = first, s.extentEnd(first, indent-1)
		lay.fallback = actionlint.Pos{Line: first, Col: indent + 1}
		if lay.literal {
			for i := 0; i < len(v.Value); i++ {
				if v.Value[i] == '\n' {
					lay.newlines = append(lay.newlines, i)
				}
			}
		}
		return lay
	}
	bound := leadingSpaces(line)
	if key != nil && key.Line == L {
		bound = key.Col - 1
	}
	lay.fromLine, lay.fromByte, lay.toLine = L, bi, s.extentEnd(L, bound)
	return lay
}

// literalPos computes the position of off inside a literal block scalar.
// It verifies that needle really is there, so a miscomputed indentation
// falls back to searching instead of pointing at the wrong column.
func (s *source) literalPos(lay *scalarLayout, off int, needle string) *actionlint.Pos {
	idx, _ := slices.BinarySearch(lay.newlines, off) // newlines before off
	lineStart := 0
	if idx > 0 {
		lineStart = lay.newlines[idx-1] + 1
	}
	line := lay.header + 1 + idx
	if line < 1 || line > len(s.lines) {
		return nil
	}
	text := s.lines[line-1]
	b := lay.indent + off - lineStart
	if b > len(text) || !strings.HasPrefix(text[b:], needle) {
		return nil
	}
	return &actionlint.Pos{Line: line, Col: utf8.RuneCountInString(text[:b]) + 1}
}

// searchFrom finds the occurrence of needle in the file that corresponds to
// the one at off in the value: the nth occurrence within the scalar's extent,
// where n counts the occurrences before off in the value.
func (s *source) searchFrom(value string, lay *scalarLayout, off int, needle string) *actionlint.Pos {
	c := lay.cursors[needle]
	var nth, line, b int
	if c != nil && off >= c.off {
		nth = c.nth + strings.Count(value[c.off:off], needle)
		if nth == c.nth {
			return &actionlint.Pos{Line: c.line, Col: utf8.RuneCountInString(s.lines[c.line-1][:c.byte]) + 1}
		}
		line, b = s.find(needle, nth-c.nth-1, c.line, c.byte+len(needle), lay.toLine)
	} else {
		nth = strings.Count(value[:off], needle)
		line, b = s.find(needle, nth, lay.fromLine, lay.fromByte, lay.toLine)
	}
	if line == 0 {
		return nil
	}
	lay.cursors[needle] = &searchCursor{off: off, nth: nth, line: line, byte: b}
	return &actionlint.Pos{Line: line, Col: utf8.RuneCountInString(s.lines[line-1][:b]) + 1}
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

// find skips skip occurrences of needle from (from, fromByte) up to the end
// of line to and returns the line and byte index of the next one, or 0, 0.
func (s *source) find(needle string, skip, from, fromByte, to int) (int, int) {
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
			if skip == 0 {
				return l, b + i
			}
			skip--
			b += i + len(needle)
		}
	}
	return 0, 0
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
