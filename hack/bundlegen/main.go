// Command bundlegen writes the operator's OLM bundle (bundle/manifests, bundle/metadata, bundle.Dockerfile)
// from config/. `make bundle` runs it; see package gen for what goes where.
//
//	go run ./hack/bundlegen --version 0.1.0 --channels alpha --default-channel alpha \
//	    --created-at 2026-11-27T00:00:00Z --output-dir .
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/secure-pipeline/operator/hack/bundlegen/gen"
)

func main() {
	var o gen.Options
	var channels, out string
	flag.StringVar(&o.RepoRoot, "repo-root", ".", "The repository's top folder, where config/ is.")
	flag.StringVar(&o.PackageName, "package", gen.DefaultPackageName, "The OLM package name.")
	flag.StringVar(&o.Version, "version", "", "The operator's semantic version, e.g. 0.1.0 (required).")
	flag.StringVar(&channels, "channels", "alpha", "Comma-separated channels of the bundle.")
	flag.StringVar(&o.DefaultChannel, "default-channel", "", "The package's default channel (default: the first channel).")
	flag.StringVar(&o.CreatedAt, "created-at", "", "The CSV's createdAt annotation, RFC 3339 (required; fixed per release so that output is reproducible).")
	flag.StringVar(&out, "output-dir", ".", "Where to write bundle/ and bundle.Dockerfile.")
	flag.Parse()
	o.Channels = strings.Split(channels, ",")

	files, err := gen.Generate(o)
	if err == nil {
		err = files.Write(out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bundlegen:", err)
		os.Exit(1)
	}
	for _, name := range files.Names() {
		fmt.Println("wrote", name)
	}
}
