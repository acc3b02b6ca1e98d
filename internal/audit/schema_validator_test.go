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
	if t, ok := schema["type"]; ok && !typeMatches(t, inst) {
		return []string{fmt.Sprintf("%s: type %v expected, got %T", at, t, inst)}
	}
	var errs []string
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, inst) }) {
		errs = append(errs, fmt.Sprintf("%s: %v not in enum %v", at, inst, enum))
	}
	switch x := inst.(type) {
	case map[string]any:
		errs = append(errs, v.checkObject(schema, x, at)...)
	case []any:
		errs = append(errs, v.checkArray(schema, x, at)...)
	case float64:
		if m, ok := schema["minimum"].(float64); ok && x < m {
			errs = append(errs, fmt.Sprintf("%s: %v below minimum %v", at, x, m))
		}
		if m, ok := schema["maximum"].(float64); ok && x > m {
			errs = append(errs, fmt.Sprintf("%s: %v above maximum %v", at, x, m))
		}
	case string:
		errs = append(errs, v.checkString(schema, x, at)...)
	}
	return append(errs, v.checkCombinators(schema, inst, at)...)
}

func (v *schemaValidator) checkObject(schema, x map[string]any, at string) []string {
	var errs []string
	props, _ := schema["properties"].(map[string]any)
	for _, r := range asSlice(schema["required"]) {
		if _, ok := x[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: required property %q missing", at, r))
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
				errs = append(errs, fmt.Sprintf("%s: additional property %q not allowed", at, k))
			}
		case map[string]any:
			errs = append(errs, v.check(ap, val, at+"."+k)...)
		}
	}
	return errs
}

func (v *schemaValidator) checkArray(schema map[string]any, x []any, at string) []string {
	var errs []string
	if m, ok := schema["minItems"].(float64); ok && float64(len(x)) < m {
		errs = append(errs, fmt.Sprintf("%s: fewer than %v items", at, m))
	}
	if u, _ := schema["uniqueItems"].(bool); u {
		seen := map[string]bool{}
		for _, e := range x {
			b, _ := json.Marshal(e)
			if seen[string(b)] {
				errs = append(errs, fmt.Sprintf("%s: duplicate item %s", at, b))
			}
			seen[string(b)] = true
		}
	}
	if items, ok := schema["items"]; ok {
		for i, e := range x {
			errs = append(errs, v.check(items, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return errs
}

func (v *schemaValidator) checkString(schema map[string]any, x, at string) []string {
	var errs []string
	if p, ok := schema["pattern"].(string); ok {
		re, err := v.pattern(p)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: bad pattern %q: %v", at, p, err))
		} else if !re.MatchString(x) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %q", at, x, p))
		}
	}
	if f, ok := schema["format"].(string); ok {
		if err := checkFormat(f, x); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a valid %s: %v", at, x, f, err))
		}
	}
	return errs
}

func (v *schemaValidator) checkCombinators(schema map[string]any, inst any, at string) []string {
	matching := func(key string) (n, of int) {
		subs := asSlice(schema[key])
		for _, s := range subs {
			if len(v.check(s, inst, at)) == 0 {
				n++
			}
		}
		return n, len(subs)
	}
	var errs []string
	if n, of := matching("anyOf"); of > 0 && n == 0 {
		errs = append(errs, at+": matches none of anyOf")
	}
	if n, of := matching("oneOf"); of > 0 && n != 1 {
		errs = append(errs, fmt.Sprintf("%s: matches %d of oneOf, want exactly 1", at, n))
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
