package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/secure-pipeline/operator/hack/bundlegen/gen"
)

const stale = "the committed bundle is stale: run `make bundle` and commit bundle/ and bundle.Dockerfile"

// listFiles lists the files under dir/bundle/{manifests,metadata} and dir/bundle.Dockerfile, slash-separated
// and relative to dir.
func listFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, sub := range []string{gen.ManifestsDir, gen.MetadataDir} {
		base := filepath.Join(dir, filepath.FromSlash(sub))
		err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			b, err := os.ReadFile(path)
			out[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, gen.DockerfileName))
	if err != nil {
		t.Fatal(err)
	}
	out[gen.DockerfileName] = b
	return out
}

// The committed bundle is byte for byte what the generator makes from config/ now, with the committed
// bundle's version, channels and createdAt.
func TestBundleIsUpToDate(t *testing.T) {
	g := NewWithT(t)
	o := committedOptions(t)
	files, err := gen.Generate(o)
	g.Expect(err).NotTo(HaveOccurred())
	tmp := t.TempDir()
	g.Expect(files.Write(tmp)).To(Succeed())

	fresh, committed := listFiles(t, tmp), listFiles(t, root)
	names := func(m map[string][]byte) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	g.Expect(names(committed)).To(Equal(names(fresh)), stale)
	for name, want := range fresh {
		if !bytes.Equal(committed[name], want) {
			t.Errorf("%s differs from a fresh generation: %s", name, stale)
		}
	}

	// Generating twice gives the same bytes.
	again, err := gen.Generate(o)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(files))
}

type csvDoc struct {
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Version        string `json:"version"`
		MinKubeVersion string `json:"minKubeVersion"`
		DisplayName    string `json:"displayName"`
		Description    string `json:"description"`
		Maturity       string `json:"maturity"`
		Keywords       []string
		Maintainers    []struct{ Name, Email string }
		Links          []struct{ Name, URL string }
		Provider       struct{ Name string }
		Icon           []struct {
			Base64data string `json:"base64data"`
			Mediatype  string `json:"mediatype"`
		} `json:"icon"`
		InstallModes []struct {
			Type      string `json:"type"`
			Supported bool   `json:"supported"`
		} `json:"installModes"`
		Install struct {
			Strategy string `json:"strategy"`
			Spec     struct {
				Deployments []struct {
					Name  string                `json:"name"`
					Label map[string]string     `json:"label"`
					Spec  appsv1.DeploymentSpec `json:"spec"`
				} `json:"deployments"`
				ClusterPermissions []permission `json:"clusterPermissions"`
				Permissions        []permission `json:"permissions"`
			} `json:"spec"`
		} `json:"install"`
		CustomResourceDefinitions struct {
			Owned []struct {
				Name              string       `json:"name"`
				Version           string       `json:"version"`
				Kind              string       `json:"kind"`
				DisplayName       string       `json:"displayName"`
				Description       string       `json:"description"`
				SpecDescriptors   []descriptor `json:"specDescriptors"`
				StatusDescriptors []descriptor `json:"statusDescriptors"`
			} `json:"owned"`
			Required []any `json:"required"`
		} `json:"customresourcedefinitions"`
	} `json:"spec"`
}

type permission struct {
	ServiceAccountName string              `json:"serviceAccountName"`
	Rules              []rbacv1.PolicyRule `json:"rules"`
}

type descriptor struct {
	Path         string   `json:"path"`
	DisplayName  string   `json:"displayName"`
	Description  string   `json:"description"`
	XDescriptors []string `json:"x-descriptors"`
}

func readCSV(t *testing.T) (csvDoc, gen.Object) {
	t.Helper()
	o := committedOptions(t)
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(o.CSVPath())))
	if err != nil {
		t.Fatal(err)
	}
	var csv csvDoc
	if err := yaml.Unmarshal(b, &csv); err != nil {
		t.Fatal(err)
	}
	var raw gen.Object
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	return csv, raw
}

// asJSON normalises a value through JSON, so that typed and untyped forms compare equal.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func ofKind(objs []gen.Object, kind string) []gen.Object {
	var out []gen.Object
	for _, o := range objs {
		if gen.Str(o, "kind") == kind {
			out = append(out, o)
		}
	}
	return out
}

// boundRules are the rules of the roles of kind roleKind that bindings of bindingKind give the ServiceAccount.
func boundRules(t *testing.T, objs []gen.Object, bindingKind, roleKind, sa, ns string) []rbacv1.PolicyRule {
	t.Helper()
	var rules []rbacv1.PolicyRule
	for _, b := range ofKind(objs, bindingKind) {
		var binding rbacv1.RoleBinding // ClusterRoleBinding has the same shape
		if err := json.Unmarshal(mustJSON(t, b), &binding); err != nil {
			t.Fatal(err)
		}
		if len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "ServiceAccount" ||
			binding.Subjects[0].Name != sa || binding.Subjects[0].Namespace != ns {
			t.Fatalf("%s %s binds something other than the manager's ServiceAccount", bindingKind, binding.Name)
		}
		for _, r := range ofKind(objs, roleKind) {
			if gen.Str(r, "metadata", "name") != binding.RoleRef.Name {
				continue
			}
			var role rbacv1.ClusterRole
			if err := json.Unmarshal(mustJSON(t, r), &role); err != nil {
				t.Fatal(err)
			}
			rules = append(rules, role.Rules...)
		}
	}
	return rules
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The CSV installs exactly config/default's Deployment with exactly the RBAC config/ binds to its
// ServiceAccount (the ClusterRoles generated from +kubebuilder:rbac markers and the metrics auth role as
// clusterPermissions, the leader election Role as permissions), and the bundle's CRD is config/crd/bases's.
func TestCSVMatchesConfig(t *testing.T) {
	g := NewWithT(t)
	csv, _ := readCSV(t)
	objs := render(t, "config/default")

	deployments := ofKind(objs, "Deployment")
	g.Expect(deployments).To(HaveLen(1))
	var dep appsv1.Deployment
	g.Expect(json.Unmarshal(mustJSON(t, deployments[0]), &dep)).To(Succeed())

	g.Expect(csv.Spec.Install.Strategy).To(Equal("deployment"))
	g.Expect(csv.Spec.Install.Spec.Deployments).To(HaveLen(1))
	d := csv.Spec.Install.Spec.Deployments[0]
	g.Expect(d.Name).To(Equal(dep.Name), stale)
	g.Expect(d.Label).To(Equal(dep.Labels), stale)
	g.Expect(asJSON(t, d.Spec)).To(Equal(asJSON(t, dep.Spec)), stale)

	sa, ns := dep.Spec.Template.Spec.ServiceAccountName, dep.Namespace
	g.Expect(csv.Spec.Install.Spec.ClusterPermissions).To(HaveLen(1))
	g.Expect(csv.Spec.Install.Spec.ClusterPermissions[0].ServiceAccountName).To(Equal(sa))
	g.Expect(csv.Spec.Install.Spec.ClusterPermissions[0].Rules).To(
		ConsistOf(boundRules(t, objs, "ClusterRoleBinding", "ClusterRole", sa, ns)), stale)
	g.Expect(csv.Spec.Install.Spec.Permissions).To(HaveLen(1))
	g.Expect(csv.Spec.Install.Spec.Permissions[0].ServiceAccountName).To(Equal(sa))
	g.Expect(csv.Spec.Install.Spec.Permissions[0].Rules).To(
		ConsistOf(boundRules(t, objs, "RoleBinding", "Role", sa, ns)), stale)

	// The rules generated from the markers are in clusterPermissions, as controller-gen wrote them.
	var generated rbacv1.ClusterRole
	b, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(yaml.Unmarshal(b, &generated)).To(Succeed())
	for _, r := range generated.Rules {
		g.Expect(csv.Spec.Install.Spec.ClusterPermissions[0].Rules).To(ContainElement(r), stale)
	}

	// The CRD, unchanged.
	crdFiles, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crdFiles).NotTo(BeEmpty())
	for _, f := range crdFiles {
		var want gen.Object
		b, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(yaml.Unmarshal(b, &want)).To(Succeed())
		name := gen.Str(want, "spec", "group") + "_" + gen.Str(want, "spec", "names", "plural") + ".yaml"
		var got gen.Object
		b, err = os.ReadFile(filepath.Join(root, "bundle", "manifests", name))
		g.Expect(err).NotTo(HaveOccurred(), stale)
		g.Expect(yaml.Unmarshal(b, &got)).To(Succeed())
		g.Expect(got).To(Equal(want), "bundle/manifests/%s is not %s: %s", name, f, stale)
	}

	// alm-examples are config/samples's kustomization, and only the owned kinds.
	var examples []gen.Object
	g.Expect(json.Unmarshal([]byte(csv.Metadata.Annotations["alm-examples"]), &examples)).To(Succeed())
	g.Expect(asJSON(t, examples)).To(Equal(asJSON(t, render(t, "config/samples"))), stale)
	for _, e := range examples {
		g.Expect(gen.Str(e, "kind")).To(BeElementOf("SecurePipeline", "SecurePipelineSet"))
	}

	// Every other bundle manifest is an object of config/default, as rendered, without its namespace.
	byFile := map[string]gen.Object{}
	for _, o := range objs {
		byFile[gen.ManifestFileName(o)] = o
	}
	entries, err := os.ReadDir(filepath.Join(root, "bundle", "manifests"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".clusterserviceversion.yaml") || strings.HasPrefix(e.Name(), "ci.securepipeline.dev_") {
			continue
		}
		want, ok := byFile[e.Name()]
		g.Expect(ok).To(BeTrue(), "bundle/manifests/%s is not an object of config/default: %s", e.Name(), stale)
		want = asJSON(t, want).(map[string]any)
		delete(want["metadata"].(map[string]any), "namespace")
		var got gen.Object
		b, err := os.ReadFile(filepath.Join(root, "bundle", "manifests", e.Name()))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(yaml.Unmarshal(b, &got)).To(Succeed())
		g.Expect(got).To(Equal(want), "bundle/manifests/%s: %s", e.Name(), stale)
	}
}

// The manager's RBAC stays least-privilege whatever the markers say.
func TestManagerRBACIsLeastPrivilege(t *testing.T) {
	g := NewWithT(t)
	csv, _ := readCSV(t)
	var rules []rbacv1.PolicyRule
	for _, p := range append(csv.Spec.Install.Spec.ClusterPermissions, csv.Spec.Install.Spec.Permissions...) {
		rules = append(rules, p.Rules...)
	}
	g.Expect(rules).NotTo(BeEmpty())
	for _, r := range rules {
		g.Expect(r.Verbs).NotTo(ContainElement("*"), "%+v", r)
		g.Expect(r.Resources).NotTo(ContainElement("*"), "%+v", r)
		g.Expect(r.APIGroups).NotTo(ContainElement("*"), "%+v", r)
		g.Expect(r.NonResourceURLs).To(BeEmpty(), "%+v", r)
		for _, res := range r.Resources {
			switch res {
			case "secrets":
				// Writing Secrets in every namespace would let the manager mint a token for any ServiceAccount
				// (a kubernetes.io/service-account-token Secret the token controller fills in). A key of the
				// operator's own belongs in its namespace (a Role in permissions) or in a mounted Secret.
				g.Expect([]string{"get", "list", "watch"}).To(ContainElements(r.Verbs),
					"cluster-wide, the operator only reads Secrets: %+v", r)
			case "securepipelines":
				g.Expect(r.Verbs).NotTo(ContainElements("create", "delete", "deletecollection"),
					"the operator never creates or deletes SecurePipelines")
			case "pods", "pods/exec", "serviceaccounts/token", "roles", "clusterroles", "rolebindings", "clusterrolebindings":
				t.Errorf("the manager must not be granted %s: %+v", res, r)
			}
		}
	}
}

var labelLine = regexp.MustCompile(`^LABEL (\S+)=(\S+)$`)

// The CSV and the bundle metadata have what OLM and OperatorHub need.
func TestBundleContents(t *testing.T) {
	g := NewWithT(t)
	o := committedOptions(t)
	csv, raw := readCSV(t)

	g.Expect(csv.Metadata.Name).To(Equal(o.PackageName + ".v" + csv.Spec.Version))
	g.Expect(csv.Spec.MinKubeVersion).To(MatchRegexp(`^1\.\d+\.\d+$`))
	g.Expect(csv.Spec.DisplayName).NotTo(BeEmpty())
	g.Expect(csv.Spec.Description).NotTo(BeEmpty())
	g.Expect(csv.Spec.Keywords).NotTo(BeEmpty())
	g.Expect(csv.Spec.Maintainers).NotTo(BeEmpty())
	g.Expect(csv.Spec.Links).NotTo(BeEmpty())
	g.Expect(csv.Spec.Provider.Name).NotTo(BeEmpty())
	g.Expect(csv.Spec.Maturity).To(Equal("alpha"))
	g.Expect(csv.Spec.CustomResourceDefinitions.Required).To(BeEmpty(),
		"External Secrets Operator is optional; the CSV must not require its CRDs")

	// The manager takes its namespaces from the OperatorGroup (--watch-namespaces), so every mode works.
	modes := map[string]bool{}
	for _, m := range csv.Spec.InstallModes {
		modes[m.Type] = m.Supported
	}
	g.Expect(modes).To(Equal(map[string]bool{"OwnNamespace": true, "SingleNamespace": true, "MultiNamespace": true, "AllNamespaces": true}))
	dep := csv.Spec.Install.Spec.Deployments[0].Spec.Template.Spec
	g.Expect(dep.Containers[0].Args).To(ContainElement("--watch-namespaces=$(WATCH_NAMESPACES)"))
	g.Expect(dep.Containers[0].Env).To(ContainElement(HaveField("ValueFrom.FieldRef.FieldPath", "metadata.annotations['olm.targetNamespaces']")))

	// Icon: an SVG.
	g.Expect(csv.Spec.Icon).To(HaveLen(1))
	g.Expect(csv.Spec.Icon[0].Mediatype).To(Equal("image/svg+xml"))
	svg, err := base64.StdEncoding.DecodeString(csv.Spec.Icon[0].Base64data)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(svg)).To(HavePrefix("<svg "))

	// Annotations.
	ann := csv.Metadata.Annotations
	_, err = time.Parse(time.RFC3339, ann["createdAt"])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ann["containerImage"]).To(Equal(dep.Containers[0].Image))
	g.Expect(ann["containerImage"]).To(HaveSuffix(":v" + csv.Spec.Version))
	g.Expect(ann).To(HaveKey("capabilities"))
	g.Expect(ann).To(HaveKey("categories"))
	g.Expect(ann).To(HaveKey("repository"))
	g.Expect(ann).To(HaveKey("description"))
	g.Expect(ann).To(HaveKeyWithValue("operatorframework.io/suggested-namespace", "secure-pipeline-operator-system"))
	g.Expect(gen.Get(raw, "spec", "relatedImages")).To(ContainElement(HaveKeyWithValue("image", dep.Containers[0].Image)))

	// Owned CRD and its descriptors.
	g.Expect(csv.Spec.CustomResourceDefinitions.Owned).To(HaveLen(2))
	for _, o := range csv.Spec.CustomResourceDefinitions.Owned {
		g.Expect(o.Version).To(Equal("v1alpha1"), o.Name)
		g.Expect(o.DisplayName).NotTo(BeEmpty(), o.Name)
		g.Expect(o.Description).NotTo(BeEmpty(), o.Name)
		for _, d := range append(o.SpecDescriptors, o.StatusDescriptors...) {
			g.Expect(d.Description).NotTo(BeEmpty(), o.Name+" "+d.Path)
		}
	}
	g.Expect(csv.Spec.CustomResourceDefinitions.Owned[1].Name).To(Equal("securepipelinesets.ci.securepipeline.dev"))
	g.Expect(csv.Spec.CustomResourceDefinitions.Owned[1].Kind).To(Equal("SecurePipelineSet"))
	owned := csv.Spec.CustomResourceDefinitions.Owned[0]
	g.Expect(owned.Name).To(Equal("securepipelines.ci.securepipeline.dev"))
	g.Expect(owned.Kind).To(Equal("SecurePipeline"))
	g.Expect(owned.Version).To(Equal("v1alpha1"))
	g.Expect(owned.DisplayName).NotTo(BeEmpty())
	g.Expect(owned.Description).NotTo(BeEmpty())
	paths := map[string]descriptor{}
	for _, d := range owned.SpecDescriptors {
		g.Expect(d.DisplayName).NotTo(BeEmpty(), d.Path)
		g.Expect(d.Description).NotTo(BeEmpty(), d.Path)
		paths["spec."+d.Path] = d
	}
	for _, d := range owned.StatusDescriptors {
		g.Expect(d.DisplayName).NotTo(BeEmpty(), d.Path)
		g.Expect(d.Description).NotTo(BeEmpty(), d.Path)
		paths["status."+d.Path] = d
	}
	for path, xd := range map[string]string{
		"spec.repository.owner":                        "urn:alm:descriptor:com.tectonic.ui:text",
		"spec.repository.name":                         "urn:alm:descriptor:com.tectonic.ui:text",
		"spec.github.credentialsSecretRef.name":        "urn:alm:descriptor:io.kubernetes:Secret",
		"spec.registries[0].credentialsSecretRef.name": "urn:alm:descriptor:io.kubernetes:Secret",
		"spec.deletionPolicy":                          "urn:alm:descriptor:com.tectonic.ui:select:Orphan",
		"spec.suspend":                                 "urn:alm:descriptor:com.tectonic.ui:booleanSwitch",
		"spec.dco.enforce":                             "urn:alm:descriptor:com.tectonic.ui:booleanSwitch",
		"status.conditions":                            "urn:alm:descriptor:io.kubernetes.conditions",
		"status.lastSyncTime":                          "urn:alm:descriptor:timestamp",
	} {
		g.Expect(paths).To(HaveKey(path))
		g.Expect(paths[path].XDescriptors).To(ContainElement(xd), path)
	}

	// bundle/metadata/annotations.yaml and bundle.Dockerfile's labels say the same.
	var md struct {
		Annotations map[string]string `json:"annotations"`
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(gen.AnnotationsFile)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(yaml.UnmarshalStrict(b, &md)).To(Succeed())
	g.Expect(md.Annotations).To(Equal(map[string]string{
		"operators.operatorframework.io.bundle.mediatype.v1":       "registry+v1",
		"operators.operatorframework.io.bundle.manifests.v1":       "manifests/",
		"operators.operatorframework.io.bundle.metadata.v1":        "metadata/",
		"operators.operatorframework.io.bundle.package.v1":         "secure-pipeline-operator",
		"operators.operatorframework.io.bundle.channels.v1":        strings.Join(o.Channels, ","),
		"operators.operatorframework.io.bundle.channel.default.v1": o.DefaultChannel,
	}))
	g.Expect(o.Channels).To(ContainElement("alpha"))
	df, err := os.ReadFile(filepath.Join(root, gen.DockerfileName))
	g.Expect(err).NotTo(HaveOccurred())
	labels := map[string]string{}
	for _, line := range strings.Split(string(df), "\n") {
		if m := labelLine.FindStringSubmatch(line); m != nil {
			labels[m[1]] = m[2]
		}
	}
	g.Expect(labels).To(Equal(md.Annotations))
	g.Expect(string(df)).To(ContainSubstring("COPY bundle/manifests /manifests/"))
	g.Expect(string(df)).To(ContainSubstring("COPY bundle/metadata /metadata/"))
}

// The Argo CD Application installs config/default at the release the bundle describes, and the install
// manifests name that release's image.
func TestArgoCDApplicationAndImageFollowTheRelease(t *testing.T) {
	g := NewWithT(t)
	csv, _ := readCSV(t)
	var app struct {
		Kind string `json:"kind"`
		Spec struct {
			Source struct {
				TargetRevision string `json:"targetRevision"`
				Path           string `json:"path"`
			} `json:"source"`
			Destination struct {
				Namespace string `json:"namespace"`
			} `json:"destination"`
		} `json:"spec"`
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "argocd", "application.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(yaml.Unmarshal(b, &app)).To(Succeed())
	g.Expect(app.Kind).To(Equal("Application"))
	g.Expect(app.Spec.Source.TargetRevision).To(Equal("v" + csv.Spec.Version))
	objs := render(t, app.Spec.Source.Path)
	ns := ofKind(objs, "Namespace")
	g.Expect(ns).To(HaveLen(1))
	g.Expect(app.Spec.Destination.Namespace).To(Equal(gen.Str(ns[0], "metadata", "name")))
}
