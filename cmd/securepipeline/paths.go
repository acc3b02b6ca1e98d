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
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/secure-pipeline/operator/internal/audit"
)

// auditPaths audits the command-line paths. A file is audited as given,
// whatever its name, on its own. A directory is a repository root when it
// contains .github/workflows/ (its workflows are audited, following what
// they run inside the repository); any other directory stands for the *.yml
// and *.yaml files directly in it. Sub-directories are not searched for
// workflows: GitHub itself ignores them under .github/workflows. Finding
// paths are prefixed with the path as given; inventory paths stay relative
// to the repository root.
func auditPaths(paths []string, opts audit.Options, stderr io.Writer) (audit.Result, error) {
	var out audit.Result
	seen := map[string]bool{}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return out, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
		}
		if !info.IsDir() {
			f := filepath.Clean(p)
			if seen[f] {
				continue
			}
			seen[f] = true
			b, err := os.ReadFile(f)
			if err != nil {
				return out, fmt.Errorf("cannot read %s: %w", f, unwrapPathError(err))
			}
			out.Files = append(out.Files, f)
			out.Findings = append(out.Findings, audit.AuditFile(f, b, opts)...)
			continue
		}
		res, err := auditDir(p, opts)
		if err != nil {
			return out, err
		}
		if len(res.Files) == 0 {
			dir := p
			if isDir(filepath.Join(p, ".github", "workflows")) {
				dir = filepath.Join(p, ".github", "workflows")
			}
			say(stderr, "securepipeline: warning: no *.yml or *.yaml files in %s\n", dir)
		}
		for _, f := range res.Findings {
			f.File = filepath.Join(p, filepath.FromSlash(f.File))
			if !seen[f.File+"\x00"] { // files already given explicitly are not audited twice
				out.Findings = append(out.Findings, f)
			}
		}
		for _, f := range res.Files {
			seen[filepath.Join(p, filepath.FromSlash(f))] = true
		}
		out.Files = append(out.Files, res.Files...)
		out.Inventory = append(out.Inventory, res.Inventory...)
	}
	return out, nil
}

// auditDir audits one directory through os.Root, which keeps every read
// (and every symbolic link) inside it.
func auditDir(dir string, opts audit.Options) (audit.Result, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return audit.Result{}, fmt.Errorf("cannot read %s: %w", dir, unwrapPathError(err))
	}
	defer func() { _ = root.Close() }()
	res := audit.AuditRepository(root.FS(), opts)
	var errs []error
	for _, e := range res.Errors {
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		errs = append(errs, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(e.Err)))
	}
	return res, errors.Join(errs...)
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
