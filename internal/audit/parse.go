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
	"errors"
	"fmt"
	"strings"

	"github.com/rhysd/actionlint"
	yaml "go.yaml.in/yaml/v4"
)

// maxExpandedNodes bounds the size of a document once YAML aliases are
// expanded. actionlint resolves aliases by sharing nodes, and walking a shared
// tree costs as much as walking the expanded one, so a small "billion laughs"
// file would otherwise hang the audit. Scalars also count by length (one unit
// per scalarBytesPerNode bytes), because every alias of a long run: script
// is tokenized again. Real workflows stay far below this: about 3 MB of text.
const (
	maxExpandedNodes   = 200_000
	scalarBytesPerNode = 16
)

// parseError is why a file could not be audited, with the best known position.
type parseError struct {
	line, col int
	msg       string
}

// parseWorkflow turns content into actionlint's workflow AST. Only problems
// that leave nothing to audit are errors: invalid YAML, an empty file, a top
// level that is not a mapping, or an alias bomb. actionlint's schema
// complaints (unknown keys, missing "on:") are not our business and are
// ignored; the checks work on whatever was understood.
func parseWorkflow(content []byte) (*actionlint.Workflow, *parseError) {
	var root yaml.Node
	if err := yaml.Unmarshal(content, &root); err != nil {
		return nil, yamlError(err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &parseError{1, 1, "file is empty: a workflow needs at least \"on:\" and \"jobs:\""}
	}
	doc := &root
	if root.Kind == yaml.DocumentNode {
		doc = root.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, &parseError{doc.Line, doc.Column, fmt.Sprintf("top level of the file is a %s, not a mapping: this is not a workflow", kindName(doc.Kind))}
	}
	if n := expandedSize(&root, map[*yaml.Node]int{}, maxExpandedNodes+1); n > maxExpandedNodes {
		return nil, &parseError{1, 1, fmt.Sprintf("document is too large to audit: over %d YAML nodes or about %d MB of text, counting what aliases expand to", maxExpandedNodes, maxExpandedNodes*scalarBytesPerNode>>20)}
	}

	wf, errs := actionlint.Parse(content)
	if wf == nil {
		// Unreachable in practice: the YAML parsed above. Kept so that a
		// disagreement between the two parsers is reported, not a nil deref.
		pe := &parseError{0, 0, "could not parse workflow"}
		if len(errs) > 0 && errs[0] != nil {
			pe = &parseError{errs[0].Line, errs[0].Column, errs[0].Message}
		}
		return nil, pe
	}
	return wf, nil
}

// yamlError extracts message and position from go-yaml's error types.
func yamlError(err error) *parseError {
	if pe, ok := errors.AsType[*yaml.ParserError](err); ok {
		return &parseError{pe.Line, pe.Column, "invalid YAML: " + pe.Message}
	}
	if te, ok := errors.AsType[*yaml.TypeError](err); ok && len(te.Errors) > 0 {
		e := te.Errors[0]
		return &parseError{e.Line, e.Column, "invalid YAML: " + e.Err.Error()}
	}
	if ue, ok := errors.AsType[*yaml.UnmarshalError](err); ok {
		return &parseError{ue.Line, ue.Column, "invalid YAML: " + ue.Err.Error()}
	}
	return &parseError{0, 0, "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// expandedSize counts the nodes of n with aliases expanded, giving up once
// limit is reached. memo makes shared subtrees cost once to measure; a node
// still being measured (recursive alias) counts as one.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, limit int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = 1 // in progress: breaks alias cycles
	size := 1 + len(n.Value)/scalarBytesPerNode
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, memo, limit)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo, limit)
		if size >= limit {
			break
		}
	}
	if size > limit {
		size = limit
	}
	memo[n] = size
	return size
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	default:
		return "mapping"
	}
}
