package gen

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

func buildCSV(o Options, base Object, inst *Install, samples []Object, icon []byte) (Object, error) {
	csv := deepCopy(base)
	if Str(csv, "kind") != "ClusterServiceVersion" || Str(csv, "apiVersion") != "operators.coreos.com/v1alpha1" {
		return nil, fmt.Errorf("the CSV base is not an operators.coreos.com/v1alpha1 ClusterServiceVersion")
	}
	meta, _ := csv["metadata"].(map[string]any)
	spec, _ := csv["spec"].(map[string]any)
	if meta == nil || spec == nil {
		return nil, fmt.Errorf("the CSV base needs metadata and spec")
	}
	meta["name"] = o.CSVName()
	annotations, _ := meta["annotations"].(map[string]any)
	if annotations == nil {
		annotations = map[string]any{}
		meta["annotations"] = annotations
	}

	image, err := managerImage(inst.Deployment)
	if err != nil {
		return nil, err
	}
	annotations["containerImage"] = image
	annotations["createdAt"] = o.CreatedAt

	owned, kinds, err := ownedCRDs(spec, inst.CRDs)
	if err != nil {
		return nil, err
	}
	for _, s := range samples {
		if !kinds[Str(s, "apiVersion")+"/"+Str(s, "kind")] {
			return nil, fmt.Errorf("config/samples: %s %s is not a kind of an owned CRD; alm-examples only hold those",
				Str(s, "apiVersion"), Str(s, "kind"))
		}
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("config/samples renders no example for alm-examples")
	}
	examples, err := json.MarshalIndent(samples, "", "  ")
	if err != nil {
		return nil, err
	}
	annotations["alm-examples"] = string(examples)
	spec["customresourcedefinitions"].(map[string]any)["owned"] = owned

	spec["version"] = o.Version
	spec["icon"] = iconData(icon)
	spec["relatedImages"] = []any{map[string]any{"name": "manager", "image": image}}

	strategy := map[string]any{
		"deployments": []any{map[string]any{
			"name":  Str(inst.Deployment, "metadata", "name"),
			"label": Get(inst.Deployment, "metadata", "labels"),
			"spec":  Get(inst.Deployment, "spec"),
		}},
	}
	if len(inst.ClusterRules) > 0 {
		strategy["clusterPermissions"] = []any{map[string]any{
			"serviceAccountName": inst.ServiceAccount,
			"rules":              inst.ClusterRules,
		}}
	}
	if len(inst.Rules) > 0 {
		strategy["permissions"] = []any{map[string]any{
			"serviceAccountName": inst.ServiceAccount,
			"rules":              inst.Rules,
		}}
	}
	spec["install"] = map[string]any{"strategy": "deployment", "spec": strategy}
	return csv, nil
}

func managerImage(deployment Object) (string, error) {
	containers, _ := Get(deployment, "spec", "template", "spec", "containers").([]any)
	for _, c := range containers {
		if cm, _ := c.(map[string]any); Str(cm, "name") == "manager" {
			if img := Str(cm, "image"); img != "" {
				return img, nil
			}
		}
	}
	return "", fmt.Errorf("the manager Deployment has no container named manager with an image")
}

// ownedCRDs completes the base's spec.customresourcedefinitions.owned from the CRDs: name, version (the
// storage version) and kind, descriptions taken from the schema where the base has none, and a check that
// every descriptor's path exists in the schema. It also returns the owned apiVersion/kinds.
func ownedCRDs(spec map[string]any, crds []Object) ([]any, map[string]bool, error) {
	section, _ := spec["customresourcedefinitions"].(map[string]any)
	if section == nil {
		section = map[string]any{}
		spec["customresourcedefinitions"] = section
	}
	baseOwned, _ := section["owned"].([]any)
	byName := map[string]map[string]any{}
	for _, b := range baseOwned {
		bm, _ := b.(map[string]any)
		byName[Str(bm, "name")] = bm
	}
	kinds := map[string]bool{}
	var owned []any
	for _, crd := range crds {
		name := Str(crd, "metadata", "name")
		entry := byName[name]
		if entry == nil {
			return nil, nil, fmt.Errorf("CRD %s has no entry in the CSV base's spec.customresourcedefinitions.owned", name)
		}
		delete(byName, name)
		version, schema := storageVersion(crd)
		if version == "" || schema == nil {
			return nil, nil, fmt.Errorf("CRD %s has no storage version with a schema", name)
		}
		kind := Str(crd, "spec", "names", "kind")
		entry["version"] = version
		entry["kind"] = kind
		if Str(entry, "displayName") == "" {
			entry["displayName"] = kind
		}
		if Str(entry, "description") == "" {
			entry["description"] = oneLine(Str(schema, "description"))
		}
		for _, section := range []string{"spec", "status"} {
			key := section + "Descriptors"
			descs, _ := entry[key].([]any)
			sub, _ := Get(schema, "properties", section).(map[string]any)
			for _, d := range descs {
				dm, _ := d.(map[string]any)
				path := Str(dm, "path")
				prop, err := schemaAt(sub, path)
				if err != nil {
					return nil, nil, fmt.Errorf("CSV base: %s %s %q: %w", name, key, path, err)
				}
				if Str(dm, "displayName") == "" {
					return nil, nil, fmt.Errorf("CSV base: %s %s %q has no displayName", name, key, path)
				}
				if Str(dm, "description") == "" {
					dm["description"] = oneLine(Str(prop, "description"))
				}
			}
		}
		for _, v := range crdVersions(crd) {
			kinds[Str(crd, "spec", "group")+"/"+v+"/"+kind] = true
		}
		owned = append(owned, entry)
	}
	for name := range byName {
		return nil, nil, fmt.Errorf("the CSV base owns %s, which config/default does not install", name)
	}
	return owned, kinds, nil
}

func storageVersion(crd Object) (string, map[string]any) {
	versions, _ := Get(crd, "spec", "versions").([]any)
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		if stored, _ := vm["storage"].(bool); stored {
			schema, _ := Get(vm, "schema", "openAPIV3Schema").(map[string]any)
			return Str(vm, "name"), schema
		}
	}
	return "", nil
}

func crdVersions(crd Object) []string {
	var out []string
	versions, _ := Get(crd, "spec", "versions").([]any)
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		if served, _ := vm["served"].(bool); served {
			out = append(out, Str(vm, "name"))
		}
	}
	return out
}

var segment = regexp.MustCompile(`^([A-Za-z0-9_]+)((\[[0-9]+\])*)$`)

// schemaAt finds the schema of a descriptor path ("registries[0].credentialsSecretRef.name") below the
// spec or status schema.
func schemaAt(schema map[string]any, path string) (map[string]any, error) {
	if schema == nil {
		return nil, fmt.Errorf("the CRD has no schema for this section")
	}
	cur := schema
	for _, seg := range strings.Split(path, ".") {
		m := segment.FindStringSubmatch(seg)
		if m == nil {
			return nil, fmt.Errorf("invalid path segment %q", seg)
		}
		next, _ := Get(cur, "properties", m[1]).(map[string]any)
		if next == nil {
			return nil, fmt.Errorf("the CRD schema has no field %q", m[1])
		}
		for range strings.Count(m[2], "[") {
			items, _ := next["items"].(map[string]any)
			if Str(next, "type") != "array" || items == nil {
				return nil, fmt.Errorf("the CRD schema's %q is not an array", m[1])
			}
			next = items
		}
		cur = next
	}
	return cur, nil
}

// oneLine joins a schema description's lines (controller-gen keeps the doc comment's line breaks).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
