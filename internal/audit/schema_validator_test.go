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
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

// schemaValidator is a minimal JSON Schema draft-04 validator covering the
// keywords used by the SARIF 2.1.0 schema (testdata/sarif-schema-2.1.0.json):
// $ref to #/definitions, type, enum, properties, additionalProperties,
// required, items, minItems, uniqueItems, minimum, maximum, pattern, format
// (uri, uri-reference, date-time), anyOf and oneOf. It exists so that the
// SARIF output is checked against the real schema without adding a module
// to go.mod for a test.
type schemaValidator struct {
	root     map[string]any
	patterns map[string]*regexp.Regexp
}

func newSchemaValidator(schemaJSON []byte) (*schemaValidator, error) {
	var root map[string]any
	if err := json.Unmarshal(schemaJSON, &root); err != nil {
		return nil, err
	}
	return &schemaValidator{root: root, patterns: map[string]*regexp.Regexp{}}, nil
}

// Validate returns one message per violation, sorted.
func (v *schemaValidator) Validate(instanceJSON []byte) ([]string, error) {
	var inst any
	if err := json.Unmarshal(instanceJSON, &inst); err != nil {
		return nil, err
	}
	errs := v.check(v.root, inst, "$")
	slices.Sort(errs)
	return errs, nil
}

func (v *schemaValidator) check(schemaAny, inst any, at string) []string {
	schema, ok := schemaAny.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := schema["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/definitions/")
		defs, _ := v.root["definitions"].(map[string]any)
		if !found || defs[name] == nil {
			return []string{fmt.Sprintf("%s: unresolvable $ref %q", at, ref)}
		}
		return v.check(defs[name], inst, at) // draft-04: siblings of $ref are ignored
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }

	if t, ok := schema["type"]; ok && !typeMatches(t, inst) {
		fail("type %v expected, got %T", t, inst)
		return errs
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || reflect.DeepEqual(e, inst)
		}
		if !found {
			fail("%v not in enum %v", inst, enum)
		}
	}
	switch x := inst.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asSlice(schema["required"]) {
			if _, ok := x[r.(string)]; !ok {
				fail("required property %q missing", r)
			}
		}
		for k, val := range x {
			if ps, ok := props[k]; ok {
				errs = append(errs, v.check(ps, val, at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("additional property %q not allowed", k)
				}
			case map[string]any:
				errs = append(errs, v.check(ap, val, at+"."+k)...)
			}
		}
	case []any:
		if m, ok := schema["minItems"].(float64); ok && float64(len(x)) < m {
			fail("fewer than %v items", m)
		}
		if u, _ := schema["uniqueItems"].(bool); u {
			seen := map[string]bool{}
			for _, e := range x {
				b, _ := json.Marshal(e)
				if seen[string(b)] {
					fail("duplicate item %s", b)
				}
				seen[string(b)] = true
			}
		}
		if items, ok := schema["items"]; ok {
			for i, e := range x {
				errs = append(errs, v.check(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case float64:
		if m, ok := schema["minimum"].(float64); ok && x < m {
			fail("%v below minimum %v", x, m)
		}
		if m, ok := schema["maximum"].(float64); ok && x > m {
			fail("%v above maximum %v", x, m)
		}
	case string:
		if p, ok := schema["pattern"].(string); ok {
			re, err := v.pattern(p)
			if err != nil {
				fail("bad pattern %q: %v", p, err)
			} else if !re.MatchString(x) {
				fail("%q does not match %q", x, p)
			}
		}
		if f, ok := schema["format"].(string); ok {
			if err := checkFormat(f, x); err != nil {
				fail("%q is not a valid %s: %v", x, f, err)
			}
		}
	}
	if anyOf := asSlice(schema["anyOf"]); len(anyOf) > 0 {
		ok := false
		for _, s := range anyOf {
			ok = ok || len(v.check(s, inst, at)) == 0
		}
		if !ok {
			fail("matches none of anyOf")
		}
	}
	if oneOf := asSlice(schema["oneOf"]); len(oneOf) > 0 {
		n := 0
		for _, s := range oneOf {
			if len(v.check(s, inst, at)) == 0 {
				n++
			}
		}
		if n != 1 {
			fail("matches %d of oneOf, want exactly 1", n)
		}
	}
	return errs
}

func (v *schemaValidator) pattern(p string) (*regexp.Regexp, error) {
	if re, ok := v.patterns[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err == nil {
		v.patterns[p] = re
	}
	return re, err
}

func asSlice(x any) []any {
	s, _ := x.([]any)
	return s
}

func typeMatches(t, inst any) bool {
	if list, ok := t.([]any); ok {
		for _, e := range list {
			if typeMatches(e, inst) {
				return true
			}
		}
		return false
	}
	switch t {
	case "object":
		_, ok := inst.(map[string]any)
		return ok
	case "array":
		_, ok := inst.([]any)
		return ok
	case "string":
		_, ok := inst.(string)
		return ok
	case "boolean":
		_, ok := inst.(bool)
		return ok
	case "null":
		return inst == nil
	case "number":
		_, ok := inst.(float64)
		return ok
	case "integer":
		f, ok := inst.(float64)
		return ok && f == math.Trunc(f)
	}
	return false
}

func checkFormat(format, s string) error {
	switch format {
	case "uri":
		u, err := url.Parse(s)
		if err == nil && u.Scheme == "" {
			err = fmt.Errorf("not absolute")
		}
		return err
	case "uri-reference":
		_, err := url.Parse(s)
		return err
	case "date-time":
		_, err := time.Parse(time.RFC3339, s)
		return err
	}
	return nil
}
