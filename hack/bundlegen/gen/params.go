package gen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// OptionsFromBundle reads the release parameters (version, channels, createdAt) an existing bundle under dir
// was generated with, so that a test can regenerate it from config/ and compare.
func OptionsFromBundle(dir, packageName string) (Options, error) {
	if packageName == "" {
		packageName = DefaultPackageName
	}
	o := Options{RepoRoot: dir, PackageName: packageName}
	csv, err := readYAML(filepath.Join(dir, filepath.FromSlash(o.CSVPath())))
	if err != nil {
		return o, err
	}
	o.Version = Str(csv, "spec", "version")
	o.CreatedAt = Str(csv, "metadata", "annotations", "createdAt")
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(AnnotationsFile)))
	if err != nil {
		return o, err
	}
	var md struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.Unmarshal(b, &md); err != nil {
		return o, fmt.Errorf("%s: %w", AnnotationsFile, err)
	}
	o.Channels = strings.Split(md.Annotations[AnnotationChannels], ",")
	o.DefaultChannel = md.Annotations[AnnotationDefaultChannel]
	return o, o.validate()
}
