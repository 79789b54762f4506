package integration

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

const deniedMsg = `admission webhook "deny.example.com" denied the request: no bad objects`

// TestAdmissionWebhooks registers webhooks by url against a real HTTPS
// server and checks what Kubernetes does with them: denials with the
// webhook's message, patches stored, selectors, failure policies, dry
// run, and custom resources.
func TestAdmissionWebhooks(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	hook := startFakeWebhook(t)
	none := new(admissionregv1.SideEffectClassNone)
	offNamespaces := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "webhooks", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"off"}}}}
	skipObjects := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "skip", Operator: metav1.LabelSelectorOpDoesNotExist}}}
	if _, err := c.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "deny"},
		Webhooks: []admissionregv1.ValidatingWebhook{{
			Name: "deny.example.com", ClientConfig: hook.clientConfig("/deny"), SideEffects: none, AdmissionReviewVersions: []string{"v1"},
			Rules:             append(rule("", "v1", "configmaps"), rule("example.com", "*", "widgets")...),
			NamespaceSelector: offNamespaces, ObjectSelector: skipObjects,
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cms := c.Client.CoreV1().ConfigMaps("default")
	cm := func(name string, labels map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	// Configurations reach the plugin through its watch cache.
	probe := 0
	waitFor(t, func() bool {
		probe++
		_, err := cms.Create(ctx, cm(fmt.Sprintf("bad-probe-%d", probe), nil), metav1.CreateOptions{})
		return err != nil
	}, "the validating webhook to take effect")

	t.Run("deny", func(t *testing.T) {
		_, err := cms.Create(ctx, cm("bad-one", nil), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || err.Error() != deniedMsg {
			t.Fatalf("create: %v, want Forbidden %q", err, deniedMsg)
		}
		out, _ := newKubectl(t, c).run("create", "configmap", "bad-two")
		if want := "error: failed to create configmap: " + deniedMsg + "\n"; out != want {
			t.Errorf("kubectl: %q, want %q", out, want)
		}
		req, ok := hook.last("bad-one")
		if !ok || req.Kind.Kind != "ConfigMap" || req.Resource.Resource != "configmaps" || req.Namespace != "default" || req.Operation != "CREATE" || req.UserInfo.Username == "" {
			t.Errorf("request %+v", req)
		}
	})

	t.Run("selectors", func(t *testing.T) {
		if _, err := cms.Create(ctx, cm("bad-skipped", map[string]string{"skip": "yes"}), metav1.CreateOptions{}); err != nil {
			t.Errorf("objectSelector: %v", err)
		}
		if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "quiet", Labels: map[string]string{"webhooks": "off"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client.CoreV1().ConfigMaps("quiet").Create(ctx, cm("bad-elsewhere", nil), metav1.CreateOptions{}); err != nil {
			t.Errorf("namespaceSelector: %v", err)
		}
	})

	t.Run("mutate", func(t *testing.T) { testMutatingWebhook(t, c, hook) })
	t.Run("failurePolicy", func(t *testing.T) { testFailurePolicy(t, c) })
	t.Run("customResource", func(t *testing.T) {
		createWidgetCRD(t, c, newKubectl(t, c))
		widgetsAPI := dynamic.NewForConfigOrDie(c.Config).Resource(widgets).Namespace("default")
		w := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "bad-widget"}, "spec": map[string]any{"size": int64(1)},
		}}
		if _, err := widgetsAPI.Create(ctx, w, metav1.CreateOptions{}); err == nil || err.Error() != deniedMsg {
			t.Errorf("widget create: %v, want %q", err, deniedMsg)
		}
		if req, ok := hook.last("bad-widget"); !ok || req.Kind.Kind != "Widget" {
			t.Errorf("widget request %+v", req)
		}
	})
}

// testMutatingWebhook: the patch's label is stored, the webhook's warning
// reaches the client, and a dry run reaches a NoneOnDryRun webhook.
func testMutatingWebhook(t *testing.T, c *testcluster.Cluster, hook *fakeWebhook) {
	ctx := context.Background()
	if _, err := c.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "label"},
		Webhooks: []admissionregv1.MutatingWebhook{{
			Name: "label.example.com", ClientConfig: hook.clientConfig("/label"), AdmissionReviewVersions: []string{"v1"},
			SideEffects: new(admissionregv1.SideEffectClassNoneOnDryRun), Rules: rule("", "v1", "configmaps"),
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	warnings := &warningRecorder{}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = warnings
	cms := kubernetes.NewForConfigOrDie(cfg).CoreV1().ConfigMaps("default")
	probe := 0
	waitFor(t, func() bool {
		probe++
		got, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("label-probe-%d", probe)}}, metav1.CreateOptions{})
		return err == nil && got.Labels["mutated"] == "yes"
	}, "the mutating webhook to take effect")
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "good", Labels: map[string]string{"app": "x"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stored, err := cms.Get(ctx, "good", metav1.GetOptions{})
	if err != nil || stored.Labels["mutated"] != "yes" || stored.Labels["app"] != "x" {
		t.Errorf("stored labels %v (%v), want app=x and mutated=yes", stored.Labels, err)
	}
	// The strategy validates the patched object again.
	_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "broken", Labels: map[string]string{"breakme": "1"}}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `metadata.labels: Invalid value: "not valid!"`) {
		t.Errorf("invalid patch result: %v", err)
	}
	if !warnings.has("labelled by the test webhook") {
		t.Errorf("warnings %v", warnings.all())
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dry"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("dry run: %v", err)
	}
	if req, ok := hook.last("dry"); !ok || req.DryRun == nil || !*req.DryRun {
		t.Errorf("dry-run request %+v", req)
	}
	// v1 refuses side effects that a dry run could not skip.
	_, err = c.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "some"},
		Webhooks: []admissionregv1.MutatingWebhook{{
			Name: "some.example.com", ClientConfig: hook.clientConfig("/label"), AdmissionReviewVersions: []string{"v1"},
			SideEffects: new(admissionregv1.SideEffectClassSome), Rules: rule("", "v1", "configmaps"),
		}},
	}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`) {
		t.Errorf("sideEffects Some: %v", err)
	}
}

// testFailurePolicy points webhooks at a closed port: Fail refuses the
// write with a 500 naming the webhook, Ignore lets it through.
func testFailurePolicy(t *testing.T, c *testcluster.Cluster) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "https://" + ln.Addr().String() + "/down"
	ln.Close()
	var hooks []admissionregv1.ValidatingWebhook
	for _, fp := range []admissionregv1.FailurePolicyType{admissionregv1.Fail, admissionregv1.Ignore} {
		policy := strings.ToLower(string(fp))
		hooks = append(hooks, admissionregv1.ValidatingWebhook{
			Name: policy + ".down.example.com", ClientConfig: admissionregv1.WebhookClientConfig{URL: &downURL},
			SideEffects: new(admissionregv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}, FailurePolicy: &fp,
			Rules: rule("", "v1", "configmaps"), ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"down": policy}},
		})
	}
	if _, err := c.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "down"}, Webhooks: hooks,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cms := c.Client.CoreV1().ConfigMaps("default")
	probe := 0
	var failErr error
	waitFor(t, func() bool {
		probe++
		_, failErr = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("fail-%d", probe), Labels: map[string]string{"down": "fail"}}}, metav1.CreateOptions{})
		return failErr != nil
	}, "the failing webhook to take effect")
	want := `Internal error occurred: failed calling webhook "fail.down.example.com": failed to call webhook: Post "` + downURL + `": dial tcp ` + strings.TrimPrefix(downURL[:strings.LastIndex(downURL, "/")], "https://")
	if !apierrors.IsInternalError(failErr) || !strings.HasPrefix(failErr.Error(), want) {
		t.Errorf("Fail: %v, want prefix %q", failErr, want)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "ignored", Labels: map[string]string{"down": "ignore"}}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("Ignore: %v", err)
	}
}

type warningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warningRecorder) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

func (w *warningRecorder) has(msg string) bool {
	for _, m := range w.all() {
		if m == msg {
			return true
		}
	}
	return false
}
