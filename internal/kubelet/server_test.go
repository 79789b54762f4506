package kubelet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/pki"
)

// startServer runs the kubelet server of a node without pods on
// loopback, trusting the CA of bundle.
func startServer(t *testing.T, bundle *pki.Bundle) string {
	t.Helper()
	k, err := New(Config{
		NodeName: "node-a", NodeIP: "127.0.0.1", Client: fake.NewSimpleClientset(), Runtime: &cri.Client{},
		DataDir: t.TempDir(), RootCA: bundle.CACertPEM, ServerAddr: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	k.pods = corelisters.NewPodLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}))
	ln, err := k.listenServer()
	if err != nil {
		t.Fatal(err)
	}
	if k.serverPort == 0 {
		t.Fatal("the port the node advertises is not set")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := k.serve(ctx, ln); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(int(k.serverPort)))
}

func get(t *testing.T, url string, certs ...tls.Certificate) (int, string, *x509.Certificate) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, Certificates: certs}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.TLS.PeerCertificates[0]
}

func TestServerRequiresClusterClientCert(t *testing.T) {
	cluster, err := pki.Ensure(pki.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Ensure(pki.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	base := startServer(t, cluster)
	good, err := tls.X509KeyPair(cluster.AdminCertPEM, cluster.AdminKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := tls.X509KeyPair(other.AdminCertPEM, other.AdminKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, base+"/healthz"); code != http.StatusUnauthorized {
		t.Errorf("no client certificate: %d, want 401", code)
	}
	if code, _, _ := get(t, base+"/healthz", foreign); code != http.StatusUnauthorized {
		t.Errorf("certificate of another CA: %d, want 401", code)
	}
	// The serving certificate is only for TLS: not a client one.
	if code, _, _ := get(t, base+"/healthz", cluster.ServingCert); code != http.StatusUnauthorized {
		t.Errorf("cluster serving certificate as client: %d, want 401", code)
	}
	code, body, serving := get(t, base+"/healthz", good)
	if code != http.StatusOK || body != "ok" {
		t.Errorf("cluster client certificate: %d %q, want 200 ok", code, body)
	}
	if !slices.Contains(serving.DNSNames, "node-a") || !slices.ContainsFunc(serving.IPAddresses, net.ParseIP("127.0.0.1").Equal) {
		t.Errorf("serving certificate names %v %v, want node-a and 127.0.0.1", serving.DNSNames, serving.IPAddresses)
	}
	if code, _, _ := get(t, base+"/containerLogs/default/missing/c", good); code != http.StatusNotFound {
		t.Errorf("logs of an unknown pod: %d, want 404", code)
	}
	if code, _, _ := get(t, base+"/exec/default/missing/c?command=true&output=1", good); code != http.StatusNotFound {
		t.Errorf("exec in an unknown pod: %d, want 404", code)
	}
	if code, body, _ := get(t, base+"/exec/default/missing/c", good); code != http.StatusBadRequest {
		t.Errorf("exec without command: %d %q, want 400", code, body)
	}
}

func TestServerNeedsRootCA(t *testing.T) {
	_, err := New(Config{NodeName: "n", Client: fake.NewSimpleClientset(), Runtime: &cri.Client{}, DataDir: t.TempDir(), ServerAddr: ":0"})
	if err == nil {
		t.Fatal("a server that cannot check client certificates was accepted")
	}
}

func TestServerDisabled(t *testing.T) {
	for _, addr := range []string{"", "0"} {
		k, err := New(Config{NodeName: "n", Client: fake.NewSimpleClientset(), Runtime: &cri.Client{}, DataDir: t.TempDir(), ServerAddr: addr})
		if err != nil {
			t.Fatal(err)
		}
		if ln, err := k.listenServer(); ln != nil || err != nil || k.serverPort != 0 {
			t.Errorf("ServerAddr %q: listener %v, err %v, port %d; want none", addr, ln, err, k.serverPort)
		}
	}
}

func TestParseStreamOptions(t *testing.T) {
	for q, want := range map[string]streamOptions{
		"input=1&output=1&error=1":        {stdin: true, stdout: true, stderr: true},
		"stdin=true&stdout=true":          {stdin: true, stdout: true},
		"output=1&error=1&tty=1":          {stdout: true, tty: true}, // a terminal has no stderr
		"input=0&output=false&error=junk": {},
	} {
		v, _ := url.ParseQuery(q)
		if got := parseStreamOptions(v); got != want {
			t.Errorf("%s: %+v, want %+v", q, got, want)
		}
	}
}
