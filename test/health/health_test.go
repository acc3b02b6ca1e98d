// Package health tests config/argocd/health.lua, the Argo CD health check of SecurePipelines and
// SecurePipelineSets, and checks that the same status fixtures mean the same to kstatus
// (sigs.k8s.io/cli-utils), which Flux and kpt use.
package health

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	"github.com/secure-pipeline/operator/internal/testenv"
)

var root = testenv.RepoRoot()

// fixture is one testdata/*.yaml: a SecurePipeline or SecurePipelineSet (set-*.yaml) and what Argo CD and
// kstatus must make of it.
type fixture struct {
	file        string
	Description string `json:"description"`
	ArgoCD      struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"argocd"`
	KStatus string         `json:"kstatus"`
	Object  map[string]any `json:"object"`
}

// unstructured converts the fixture's object the way it reaches Argo CD and kstatus: decoded from JSON by
// apimachinery, so numbers are int64.
func (f fixture) unstructured(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	b, err := yaml.Marshal(f.Object)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatalf("%s: %v", f.file, err)
	}
	return u
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	var out []fixture
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var f fixture
		if err := yaml.UnmarshalStrict(b, &f); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		f.file = filepath.Base(file)
		if f.ArgoCD.Status == "" || f.KStatus == "" || f.Object == nil || f.Description == "" {
			t.Fatalf("%s: a fixture needs description, argocd.status, kstatus and object", file)
		}
		out = append(out, f)
	}
	return out
}

func healthScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "config", "argocd", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestArgoCDHealth(t *testing.T) {
	script := healthScript(t)
	for _, f := range loadFixtures(t) {
		t.Run(f.file, func(t *testing.T) {
			g := NewWithT(t)
			st, msg, err := argoHealth(script, f.unstructured(t).Object)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(st).To(Equal(f.ArgoCD.Status), f.Description)
			g.Expect(msg).To(Equal(f.ArgoCD.Message), f.Description)
		})
	}
}

func TestKStatus(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.file, func(t *testing.T) {
			g := NewWithT(t)
			res, err := status.Compute(f.unstructured(t))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status.String()).To(Equal(f.KStatus), "%s\nkstatus said: %s", f.Description, res.Message)
		})
	}
}

// The two views must never contradict each other: what kstatus calls Failed is Degraded for Argo CD,
// and what Argo CD calls Healthy is Current for kstatus.
func TestArgoCDAndKStatusAgree(t *testing.T) {
	script := healthScript(t)
	for _, f := range loadFixtures(t) {
		t.Run(f.file, func(t *testing.T) {
			g := NewWithT(t)
			u := f.unstructured(t)
			res, err := status.Compute(u)
			g.Expect(err).NotTo(HaveOccurred())
			st, _, err := argoHealth(script, u.Object)
			g.Expect(err).NotTo(HaveOccurred())
			if res.Status == status.FailedStatus {
				g.Expect(st).To(Equal("Degraded"))
			}
			if st == "Healthy" {
				g.Expect(res.Status).To(Equal(status.CurrentStatus))
			}
			if res.Status == status.InProgressStatus {
				g.Expect(st).NotTo(Equal("Healthy"))
			}
		})
	}
}

// The script must not depend on the libraries Argo CD leaves out.
func TestScriptNeedsOnlyArgoCDLibraries(t *testing.T) {
	g := NewWithT(t)
	_, _, err := argoHealth(`return {status = string.format("%s", "Healthy")}`, map[string]any{})
	g.Expect(err).To(HaveOccurred(), "the emulation must not offer the string library")
	src := healthScript(t)
	for _, lib := range []string{"string.", "math.", "io.", "os.", "require", ":find(", ":match(", ":sub(", ":format("} {
		g.Expect(src).NotTo(ContainSubstring(lib))
	}
	// Garbage in a status must not break the script.
	for _, obj := range []map[string]any{
		{},
		{"metadata": map[string]any{}},
		{"metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{}},
		{"metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"conditions": []any{map[string]any{}}}},
	} {
		st, _, err := argoHealth(src, obj)
		g.Expect(err).NotTo(HaveOccurred(), "%v", obj)
		g.Expect(st).To(Equal("Progressing"), "%v", obj)
	}
}

// argocd-cm-patch.yaml must carry health.lua unchanged, under the key Argo CD looks up.
func TestArgoCDConfigMapPatch(t *testing.T) {
	g := NewWithT(t)
	b, err := os.ReadFile(filepath.Join(root, "config", "argocd", "argocd-cm-patch.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var cm corev1.ConfigMap
	g.Expect(yaml.UnmarshalStrict(b, &cm)).To(Succeed())
	g.Expect(cm.Kind).To(Equal("ConfigMap"))
	g.Expect(cm.Name).To(Equal("argocd-cm"))
	g.Expect(cm.Data).To(HaveLen(2))
	for _, kind := range []string{"SecurePipeline", "SecurePipelineSet"} {
		g.Expect(cm.Data).To(HaveKeyWithValue("resource.customizations.health.ci.securepipeline.dev_"+kind, healthScript(t)),
			"regenerate the patch from config/argocd/health.lua")
	}
}

var luaTableEntry = regexp.MustCompile(`^\s*([A-Za-z]+) = true,$`)

// The script's terminal reasons are reasons the API defines, and include every reason conditions.go
// documents as stalling.
func TestTerminalReasonsMatchTheAPI(t *testing.T) {
	g := NewWithT(t)
	var inScript []string
	inTable := false
	for _, line := range strings.Split(healthScript(t), "\n") {
		switch {
		case strings.HasPrefix(line, "local terminalReasons = {"):
			inTable = true
		case inTable && strings.HasPrefix(line, "}"):
			inTable = false
		case inTable:
			m := luaTableEntry.FindStringSubmatch(line)
			g.Expect(m).NotTo(BeNil(), "unexpected line in terminalReasons: %q", line)
			inScript = append(inScript, m[1])
		}
	}
	g.Expect(inScript).NotTo(BeEmpty())

	reasons, stalling := apiReasons(t)
	for _, r := range inScript {
		g.Expect(reasons).To(HaveKey(r), "terminal reason %s is not a reason of api/v1alpha1", r)
	}
	sort.Strings(stalling)
	g.Expect(stalling).NotTo(BeEmpty())
	for _, r := range stalling {
		g.Expect(inScript).To(ContainElement(r), "api/v1alpha1 documents %s as stalling", r)
	}
}

// apiReasons reads the string constants named *Reason in the files of api/v1alpha1 (reasons are declared
// beside the feature they belong to, not only in conditions.go; the script serves SecurePipelineSets too),
// and those whose doc comment says "(stalling)".
func apiReasons(t *testing.T) (all map[string]bool, stalling []string) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(root, "api", "v1alpha1", "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("listing api/v1alpha1: %v (%d files)", err, len(paths))
	}
	var decls []ast.Decl
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, file.Decls...)
	}
	all = map[string]bool{}
	for _, decl := range decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasSuffix(name.Name, "Reason") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				all[v] = true
				if vs.Doc != nil && strings.Contains(vs.Doc.Text(), "(stalling)") {
					stalling = append(stalling, v)
				}
			}
		}
	}
	return all, stalling
}

// Every fixture is an object the real API server accepts, status included: the fixtures cannot drift into
// statuses the operator could never write (a reason that is not CamelCase, a condition without
// lastTransitionTime, a field the CRD does not have).
func TestFixturesAreValidObjects(t *testing.T) {
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	c := env.Client
	for _, f := range loadFixtures(t) {
		t.Run(f.file, func(t *testing.T) {
			g := NewWithT(t)
			u := f.unstructured(t)
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: u.GetNamespace()}}
			_ = c.Create(ctx, ns)

			st, hasStatus := u.Object["status"]
			obj := u.DeepCopy()
			delete(obj.Object, "status")
			obj.SetName(strings.TrimSuffix(f.file, ".yaml"))
			// The server owns these.
			obj.SetGeneration(0)
			obj.SetDeletionTimestamp(nil)
			obj.SetFinalizers(nil)
			g.Expect(c.Create(ctx, obj)).To(Succeed())
			if hasStatus {
				obj.Object["status"] = st
				g.Expect(c.Status().Update(ctx, obj)).To(Succeed())
			}
		})
	}
}
