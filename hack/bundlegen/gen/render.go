package gen

import (
	"fmt"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Object is a Kubernetes object as kustomize renders it.
type Object = map[string]any

// Render runs `kustomize build dir` in-process (sigs.k8s.io/kustomize/api, the library of the kustomize CLI)
// and returns the objects in kustomize's output order, decoded as apimachinery decodes JSON (integers are int64),
// so that they can be used as unstructured.Unstructured.
func Render(dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []Object
	for _, r := range resMap.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		var m Object
		if err := utiljson.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		objs = append(objs, m)
	}
	return objs, nil
}

// Str returns the string at path in obj, or "".
func Str(obj Object, path ...string) string {
	v, _ := Get(obj, path...).(string)
	return v
}

// Get returns the value at path in obj, or nil.
func Get(obj Object, path ...string) any {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}
