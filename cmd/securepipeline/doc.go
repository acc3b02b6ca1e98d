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

// Command securepipeline audits GitHub Actions workflows for supply-chain
// weaknesses (see docs/rules.md).
//
//	securepipeline audit [--format text|json|sarif|inventory] [--disable SP00x,...] PATH...
//	securepipeline rules [--format text|json]
//	securepipeline version
//
// The exit status is 0 when no finding is reported, 1 when there are
// findings and 2 on usage or read errors. All the logic lives in
// internal/audit; this command only parses arguments and reads files.
package main
