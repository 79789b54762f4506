package ingress

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// tlsSecret returns a kubernetes.io/tls Secret holding a self-signed
// certificate for host, and a pool that trusts it.
func tlsSecret(t *testing.T, name, host string) (*corev1.Secret, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		},
	}, pool
}

// peerCommonName connects to the TLS listener with sni and returns the
// served certificate's subject.
func (e *env) peerCommonName(sni string) string {
	e.t.Helper()
	_, addr := e.r.Addrs()
	conn, err := tls.Dial("tcp", addr.String(), &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func TestTLSBySNI(t *testing.T) {
	a := backendServer(t, "a")
	secret, pool := tlsSecret(t, "secure-tls", "secure.example.com")
	wild, _ := tlsSecret(t, "wild-tls", "*.wild.com")
	implicit, _ := tlsSecret(t, "implicit-tls", "implicit.com")
	ing := makeIngress("secure").rule("secure.example.com", path(prefix, "/", "a")).tls("secure-tls", "secure.example.com").obj()
	wildIng := makeIngress("wild").tls("wild-tls", "*.wild.com").obj()
	implicitIng := makeIngress("implicit").rule("implicit.com", path(prefix, "/", "a")).tls("implicit-tls").obj()
	e := startRouter(t, objects(serviceFor("a", a), []runtime.Object{secret, wild, implicit, ing, wildIng, implicitIng})...)

	for sni, want := range map[string]string{
		"secure.example.com":  "secure.example.com",
		"SECURE.example.com":  "secure.example.com",
		"a.wild.com":          "*.wild.com",
		"implicit.com":        "implicit.com", // TLS without hosts covers the rule hosts
		"unknown.example.com": FallbackCertCommonName,
		"a.b.wild.com":        FallbackCertCommonName,
	} {
		if got := e.peerCommonName(sni); got != want {
			t.Errorf("certificate for SNI %q has CN %q, want %q", sni, got, want)
		}
	}

	resp := e.httpsGet(pool, "secure.example.com", "/x")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("client saw %s, want HTTP/2 via ALPN", resp.Proto)
	}
	if string(body) != "a /x" || resp.Header.Get("X-Got-Forwarded-Proto") != "https" {
		t.Errorf("HTTPS GET = %q (X-Forwarded-Proto %q), want %q over https", body, resp.Header.Get("X-Got-Forwarded-Proto"), "a /x")
	}
}

// httpsGet fetches https://host/path from the router, verifying the
// certificate against pool and preferring HTTP/2.
func (e *env) httpsGet(pool *x509.CertPool, host, path string) *http.Response {
	e.t.Helper()
	_, addr := e.r.Addrs()
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr.String())
		},
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + host + path)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// echoUpgradeServer switches to protocol "echo" and echoes raw bytes.
func echoUpgradeServer(t *testing.T) []runtime.Object {
	srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		fmt.Fprint(rw, "echo: "+line)
		rw.Flush()
	})
	return serviceFor("ws", srv)
}

func TestUpgradePassThrough(t *testing.T) {
	ing := makeIngress("ws").rule("", path(prefix, "/ws", "ws")).obj()
	e := startRouter(t, append(echoUpgradeServer(t), ing)...)

	addr, _ := e.r.Addrs()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	fmt.Fprint(conn, "ping\n")
	got, err := br.ReadString('\n')
	if err != nil || strings.TrimSpace(got) != "echo: ping" {
		t.Errorf("after upgrade read %q (%v), want %q", got, err, "echo: ping")
	}
}
