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

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// collectFiles expands the command-line paths into workflow contents keyed
// by path. A file is taken as given, whatever its name. A directory that
// contains .github/workflows/ means that folder; any other directory means
// the *.yml and *.yaml files directly in it. Sub-directories are not
// searched: GitHub itself ignores them under .github/workflows.
func collectFiles(paths []string, stderr io.Writer) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
		}
		var list []string
		if info.IsDir() {
			dir := p
			if wf := filepath.Join(p, ".github", "workflows"); isDir(wf) {
				dir = wf
			}
			list, err = yamlFilesIn(dir)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s: %w", dir, unwrapPathError(err))
			}
			if len(list) == 0 {
				say(stderr, "securepipeline: warning: no *.yml or *.yaml files in %s\n", dir)
			}
		} else {
			list = []string{filepath.Clean(p)}
		}
		for _, f := range list {
			if _, dup := files[f]; dup {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s: %w", f, unwrapPathError(err))
			}
			files[f] = b
		}
	}
	return files, nil
}

func yamlFilesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
			if ext == ".yml" || ext == ".yaml" {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// unwrapPathError drops the path that *PathError repeats, since the caller
// already names it.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
