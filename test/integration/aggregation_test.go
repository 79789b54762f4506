package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// wardle is an extension API server serving wardle.example.com/v1alpha1
// flunders over HTTPS. It trusts only front-proxy client certificates of
// the CA and names the server publishes, and records who asked.
type wardle struct {
	srv   *httptest.Server
	caPEM []byte
	mu    sync.Mutex
	users []string
}

func startWardle(t *testing.T, cm *corev1.ConfigMap) *wardle {
	t.Helper()
	w := &wardle{}
	clientCAs := x509.NewCertPool()
	if !clientCAs.AppendCertsFromPEM([]byte(cm.Data["requestheader-client-ca-file"])) {
		t.Fatal("requestheader-client-ca-file holds no certificate")
	}
	var allowed []string
	if err := json.Unmarshal([]byte(cm.Data["requestheader-allowed-names"]), &allowed); err != nil {
		t.Fatal(err)
	}
	var userHeaders []string
	if err := json.Unmarshal([]byte(cm.Data["requestheader-username-headers"]), &userHeaders); err != nil || len(userHeaders) != 1 {
		t.Fatalf("requestheader-username-headers %q: %v", cm.Data["requestheader-username-headers"], err)
	}
	var cert tls.Certificate
	w.caPEM, cert = servingCert(t, "api.default.svc")
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || !slices.Contains(allowed, r.TLS.PeerCertificates[0].Subject.CommonName) {
			http.Error(rw, "not the front proxy", http.StatusUnauthorized)
			return
		}
		w.mu.Lock()
		w.users = append(w.users, r.Header.Get(userHeaders[0])+" "+strings.Join(r.Header.Values("X-Remote-Group"), ","))
		w.mu.Unlock()
		w.serve(rw, r)
	}))
	w.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	w.srv.StartTLS()
	t.Cleanup(w.srv.Close)
	return w
}

func (w *wardle) serve(rw http.ResponseWriter, r *http.Request) {
	const base = "/apis/wardle.example.com/v1alpha1"
	flunder := map[string]any{"apiVersion": "wardle.example.com/v1alpha1", "kind": "Flunder",
		"metadata": map[string]any{"name": "one", "namespace": "default", "creationTimestamp": "2024-01-01T00:00:00Z"}}
	var body any
	switch r.URL.Path {
	case base:
		body = metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "wardle.example.com/v1alpha1",
			APIResources: []metav1.APIResource{{Name: "flunders", SingularName: "flunder", Namespaced: true, Kind: "Flunder", Verbs: metav1.Verbs{"get", "list"}}}}
	case base + "/namespaces/default/flunders":
		body = map[string]any{"apiVersion": "wardle.example.com/v1alpha1", "kind": "FlunderList", "metadata": map[string]any{}, "items": []any{flunder}}
	case base + "/namespaces/default/flunders/one":
		body = flunder
	default:
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(body)
}

func (w *wardle) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.users)
}

// servingCert makes a CA and a serving certificate for name.
func servingCert(t *testing.T, name string) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wardle-ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestAggregation(t *testing.T) {
	c := testcluster.Start(t, func(cfg *server.Config) { cfg.APIServiceProbeInterval = time.Second })
	k := newKubectl(t, c)
	ctx := context.Background()
	cm, err := c.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	backend := startWardle(t, cm)
	port := backend.srv.Listener.Addr().(*net.TCPAddr).Port

	// Kubernetes (and skiff) refuse loopback EndpointSlice addresses, so
	// the Service names the backend by an ExternalName; the APIService's
	// port is the backend's.
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"}}
	if _, err := c.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	applyStdin(t, k, `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1alpha1.wardle.example.com
spec:
  group: wardle.example.com
  version: v1alpha1
  groupPriorityMinimum: 1000
  versionPriority: 15
  service: {namespace: default, name: api, port: `+strconv.Itoa(port)+`}
  caBundle: `+base64.StdEncoding.EncodeToString(backend.caPEM)+`
`)
	waitLong(t, 20*time.Second, func() bool {
		out, _ := k.run("get", "apiservices")
		return rowHas(out, "v1alpha1.wardle.example.com", "default/api", "True")
	}, "the wardle APIService to become available")
	out := k.must("get", "apiservices")
	for _, row := range [][]string{{"v1.", "Local", "True"}, {"v1.apps", "Local", "True"}, {"v2.autoscaling", "Local", "True"}} {
		if !rowHas(out, row...) {
			t.Errorf("kubectl get apiservices lacks %v:\n%s", row, out)
		}
	}
	// A client preferring protobuf gets JSON: APIService has no protobuf form here.
	raw, err := c.Client.Discovery().RESTClient().Get().AbsPath("/apis/apiregistration.k8s.io/v1/apiservices/v1.apps").
		SetHeader("Accept", "application/vnd.kubernetes.protobuf, application/json").DoRaw(ctx)
	if err != nil || !strings.Contains(string(raw), `"kube-aggregator.kubernetes.io/automanaged":"onstart"`) {
		t.Errorf("GET v1.apps preferring protobuf: %v\n%s", err, raw)
	}
	if out := k.must("api-resources", "--api-group=wardle.example.com"); !strings.Contains(out, "flunders") {
		t.Errorf("api-resources does not list flunders:\n%s", out)
	}
	if out := k.must("get", "flunders"); !strings.Contains(out, "one") {
		t.Errorf("kubectl get flunders:\n%s", out)
	}
	if !slices.Contains(backend.seen(), "system:admin system:masters,system:authenticated") {
		t.Errorf("backend saw users %q, want system:admin", backend.seen())
	}

	applyStdin(t, k, aggregatedCRD)
	waitLong(t, 20*time.Second, func() bool {
		out, _ := k.run("get", "apiservices", "-l", "kube-aggregator.kubernetes.io/automanaged=true")
		return rowHas(out, "v1.example.skiff.dev", "Local", "True")
	}, "a Local APIService for the custom resource group/version")

	backend.srv.Close()
	waitLong(t, 20*time.Second, func() bool {
		out, _ := k.run("get", "apiservices", "v1alpha1.wardle.example.com")
		return strings.Contains(out, "False (FailedDiscoveryCheck)")
	}, "the wardle APIService to become unavailable")
	err = c.Client.Discovery().RESTClient().Get().AbsPath("/apis/wardle.example.com/v1alpha1/namespaces/default/flunders").Do(ctx).Error()
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("request to an unavailable APIService: %v, want 503", err)
	}
}

// rowHas reports whether a line of a kubectl table starts with cells.
func rowHas(table string, cells ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		if slices.Equal(strings.Fields(line)[:min(len(cells), len(strings.Fields(line)))], cells) {
			return true
		}
	}
	return false
}

func applyStdin(t *testing.T, k kubectl, manifest string) {
	t.Helper()
	cmd := exec.Command("kubectl", "--kubeconfig", k.kubeconfig, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
}

const aggregatedCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.skiff.dev
spec:
  group: example.skiff.dev
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
