package secretleak

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientfeatures "k8s.io/client-go/features"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	civ1alpha1 "github.com/secure-pipeline/operator/api/v1alpha1"
	"github.com/secure-pipeline/operator/internal/testenv"
	"github.com/secure-pipeline/operator/test/githubsim"
)

var logs = &syncBuffer{}

func TestMain(m *testing.M) {
	// Before anything in this process asks client-go for a feature gate.
	if err := os.Setenv("KUBE_FEATURE_WatchListClient", "false"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The most verbose level (--zap-log-level=10): client-go logs request and response bodies from 8 up.
	logf.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true), zap.Level(zapcore.Level(-10))))
	os.Exit(m.Run())
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// secretApplied is a Secret of namespace "leak" as `kubectl apply` (client-side) leaves it: its last-applied-configuration
// annotation holds the whole object, values included.
func secretApplied(name string, typ corev1.SecretType, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "leak", Name: name},
		Type:       typ,
		StringData: data,
	}
	applied, _ := json.Marshal(s)
	s.Annotations = map[string]string{lastApplied: string(applied)}
	return s
}

// Attack 5: with informers that LIST (WatchListClient off) and the most verbose logs, no Secret value
// reaches the logs through the Secret metadata informer, for referenced Secrets and others alike, and the
// metadata cache keeps no annotation nor managed fields of a Secret.
func TestSecretMetadataLeaksNothing(t *testing.T) {
	if testing.Short() && os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Skip("needs the test control plane: run without -short, or set KUBEBUILDER_ASSETS (make control-plane)")
	}
	g := NewWithT(t)
	env, err := testenv.Start(testenv.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = env.Stop() }()
	// Cancelled before the control plane stops (defers run last-registered first): the manager goes first.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k8s := env.Client

	sim := githubsim.New().Start()
	defer sim.Close()
	sim.AddOrg("acme")
	sim.AddUser("alice")
	sim.AddRepo("acme", "web")
	token := "ghp_leak" + strings.Repeat("0", 8) + fmt.Sprint(time.Now().UnixNano())
	sim.AddToken(token, "acme/web")

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "leak"}}
	g.Expect(k8s.Create(ctx, ns)).To(Succeed())
	regPass := "reg-pass-" + fmt.Sprint(time.Now().UnixNano())
	otherValue := "unreferenced-" + fmt.Sprint(time.Now().UnixNano())
	// Created before the manager starts, so that its informer's first LIST carries them.
	for _, s := range []*corev1.Secret{
		secretApplied("github", corev1.SecretTypeOpaque, map[string]string{"token": token}),
		secretApplied("ghcr", corev1.SecretTypeBasicAuth, map[string]string{"username": "bot", "password": regPass}),
		secretApplied("unrelated", corev1.SecretTypeOpaque, map[string]string{"apiKey": otherValue}),
	} {
		g.Expect(k8s.Create(ctx, s)).To(Succeed())
	}

	mgr, err := env.StartOperatorManager(ctx, 2)
	g.Expect(err).NotTo(HaveOccurred())

	p := &civ1alpha1.SecurePipeline{
		ObjectMeta: metav1.ObjectMeta{Namespace: "leak", Name: "web"},
		Spec: civ1alpha1.SecurePipelineSpec{
			Repository:   civ1alpha1.RepositoryReference{Owner: "acme", Name: "web"},
			GitHub:       civ1alpha1.GitHubConnection{APIURL: sim.URL(), CredentialsSecretRef: civ1alpha1.SecretReference{Name: "github"}},
			Environments: []civ1alpha1.Environment{{Name: "ci"}},
			Registries: []civ1alpha1.Registry{{Name: "ghcr", Server: "ghcr.io", Environment: "ci",
				CredentialsSecretRef: civ1alpha1.SecretReference{Name: "ghcr"}}},
		},
	}
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	ready := func() bool {
		cur := &civ1alpha1.SecurePipeline{}
		if k8s.Get(ctx, client.ObjectKeyFromObject(p), cur) != nil {
			return false
		}
		c := apimeta.FindStatusCondition(cur.Status.Conditions, civ1alpha1.ReadyCondition)
		return c != nil && c.Status == metav1.ConditionTrue
	}
	g.Eventually(ready).WithTimeout(60 * time.Second).Should(BeTrue())
	v, _, _ := sim.SecretValue("acme", "web", "ci", "GHCR_PASSWORD")
	g.Expect(v).To(Equal(regPass))

	// A change through the WATCH, annotation and all.
	regPass2 := "reg-pass2-" + fmt.Sprint(time.Now().UnixNano())
	upd := secretApplied("ghcr", corev1.SecretTypeBasicAuth, map[string]string{"username": "bot", "password": regPass2})
	cur := &corev1.Secret{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "leak", Name: "ghcr"}, cur)).To(Succeed())
	cur.Annotations, cur.StringData = upd.Annotations, upd.StringData
	g.Expect(k8s.Update(ctx, cur)).To(Succeed())
	g.Eventually(func() string {
		v, _, _ := sim.SecretValue("acme", "web", "ci", "GHCR_PASSWORD")
		return v
	}).WithTimeout(30 * time.Second).Should(Equal(regPass2))

	// The Secrets on the API server do carry the values in their annotation (else this test proves nothing).
	stored := &corev1.Secret{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "leak", Name: "unrelated"}, stored)).To(Succeed())
	g.Expect(stored.Annotations[lastApplied]).To(ContainSubstring(otherValue))

	// The metadata cache keeps neither annotations nor managed fields of Secrets.
	for _, name := range []string{"github", "ghcr", "unrelated"} {
		meta := &metav1.PartialObjectMetadata{}
		meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		g.Eventually(func() error {
			return mgr.GetCache().Get(ctx, client.ObjectKey{Namespace: "leak", Name: name}, meta)
		}).WithTimeout(10 * time.Second).Should(Succeed())
		g.Expect(meta.Annotations).To(BeEmpty(), "cached metadata of Secret %s keeps annotations", name)
		g.Expect(meta.ManagedFields).To(BeEmpty(), "cached metadata of Secret %s keeps managed fields", name)
	}

	text := logs.String()
	g.Expect(strings.Contains(text, "Response Body")).To(BeTrue(), "the logs were not captured at client-go's body-logging verbosity")
	g.Expect(strings.Contains(text, "Listing and watching\t{\"type\": \"*v1.PartialObjectMetadata\"")).To(BeTrue(), "the Secret metadata informer did not start")
	g.Expect(clientfeatures.FeatureGates().Enabled(clientfeatures.WatchListClient)).To(BeFalse(),
		"informers stream their initial list: KUBE_FEATURE_WatchListClient=false is not in effect")
	all := text + undumpHex(text)
	for _, value := range []string{token, regPass, regPass2, otherValue} {
		for _, form := range []string{value, base64.StdEncoding.EncodeToString([]byte(value)), base64.RawStdEncoding.EncodeToString([]byte(value))} {
			if strings.Contains(all, form) {
				t.Errorf("the logs contain a Secret value (or its base64), %d characters long", len(form))
			}
		}
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// hexDumpRow is a row of encoding/hex.Dump, as client-go logs bodies that are not text (protobuf).
var hexDumpRow = regexp.MustCompile(`[0-9a-f]{8}  ((?:[0-9a-f]{2} {1,2}){1,16})`)

// undumpHex decodes every hex dump row in the text, in order, so that values split across rows show.
func undumpHex(text string) string {
	var out []byte
	for _, m := range hexDumpRow.FindAllStringSubmatch(text, -1) {
		b, err := hex.DecodeString(strings.ReplaceAll(m[1], " ", ""))
		if err == nil {
			out = append(out, b...)
		}
	}
	return string(out)
}
