package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/controller/certificates"
	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// csrRequest makes a key and a PEM certificate request for subject.
func csrRequest(t *testing.T, subject pkix.Name) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func clientCSR(name string, req []byte, signer string) *certificatesv1.CertificateSigningRequest {
	secs := int32(3600)
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: req, SignerName: signer, ExpirationSeconds: &secs,
			Usages:   []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
			Username: "mallory", Groups: []string{"system:masters"},
		},
	}
}

func startSigning(t *testing.T) (*testcluster.Cluster, kubernetes.Interface) {
	c := testcluster.Start(t)
	opts := controllerctx.Defaults()
	opts.ClusterSigningCertFile, opts.ClusterSigningKeyFile = filepath.Join(c.DataDir, "tls", "ca.crt"), filepath.Join(c.DataDir, "tls", "ca.key")
	c.RunControllers(t, map[string]controllerctx.Constructor{"csrsigning": certificates.NewSigner}, &opts)
	return c, kubernetes.NewForConfigOrDie(c.Config)
}

// TestCSRApproveSignAndUse: a client CSR approved with kubectl gets a
// certificate of the cluster CA that the API server then accepts as
// its subject's identity; the requester fields are the creator's.
func TestCSRApproveSignAndUse(t *testing.T) {
	c, client := startSigning(t)
	ctx := context.Background()
	key, req := csrRequest(t, pkix.Name{CommonName: "alice", Organization: []string{"devs", "qa"}})
	csr, err := client.CertificatesV1().CertificateSigningRequests().Create(ctx, clientCSR("alice", req, certificatesv1.KubeAPIServerClientSignerName), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if csr.Spec.Username != "system:admin" || strings.Contains(strings.Join(csr.Spec.Groups, ","), "devs") {
		t.Errorf("requester = %q %v, want the creating admin", csr.Spec.Username, csr.Spec.Groups)
	}
	k := newKubectl(t, c)
	if out := k.must("get", "csr", "alice"); !strings.Contains(out, "REQUESTEDDURATION") || !strings.Contains(out, "Pending") || !strings.Contains(out, "60m") {
		t.Errorf("kubectl get csr:\n%s", out)
	}
	if out := k.must("certificate", "approve", "alice"); !strings.Contains(out, "approved") {
		t.Errorf("kubectl certificate approve: %s", out)
	}
	certPEM := waitForCertificate(t, client, "alice")
	if out := k.must("get", "csr", "alice"); !strings.Contains(out, "Approved,Issued") {
		t.Errorf("kubectl get csr after signing:\n%s", out)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life < time.Hour || life > time.Hour+10*time.Minute {
		t.Errorf("certificate lives %v, want the requested hour", life)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	asAlice := rest.AnonymousClientConfig(c.Config)
	asAlice.CertData, asAlice.KeyData = certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	who, err := kubernetes.NewForConfigOrDie(asAlice).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	groups := slices.Sorted(slices.Values(who.Status.UserInfo.Groups))
	if u := who.Status.UserInfo; u.Username != "alice" || strings.Join(groups, ",") != "devs,qa,system:authenticated" {
		t.Errorf("issued certificate authenticates as %+v", u)
	}
}

// TestCSRDeniedAndRefused: a denied request never gets a certificate, and
// one breaking its signer's rules is marked Failed.
func TestCSRDeniedAndRefused(t *testing.T) {
	c, client := startSigning(t)
	ctx := context.Background()
	_, req := csrRequest(t, pkix.Name{CommonName: "bob"})
	if _, err := client.CertificatesV1().CertificateSigningRequests().Create(ctx, clientCSR("bob", req, certificatesv1.KubeAPIServerClientSignerName), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, nodeReq := csrRequest(t, pkix.Name{CommonName: "not-a-node"})
	kubelet := clientCSR("node", nodeReq, certificatesv1.KubeletServingSignerName)
	kubelet.Spec.Usages = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}
	if _, err := client.CertificatesV1().CertificateSigningRequests().Create(ctx, kubelet, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	k := newKubectl(t, c)
	k.must("certificate", "deny", "bob")
	k.must("certificate", "approve", "node")
	failed := waitForCSR(t, client, "node", func(csr *certificatesv1.CertificateSigningRequest) bool {
		return len(csr.Status.Conditions) == 2
	})
	i := slices.IndexFunc(failed.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
		return c.Type == certificatesv1.CertificateFailed
	})
	if i < 0 {
		t.Fatalf("no Failed condition: %+v", failed.Status)
	}
	if cond := failed.Status.Conditions[i]; cond.Reason != "SignerValidationFailure" || cond.Message != "subject organization is not system:nodes" || len(failed.Status.Certificate) > 0 {
		t.Errorf("kubelet-serving request for a non-node: %+v", failed.Status)
	}
	// Bob's denial reached the signer's cache before the node's approval
	// did, which the signer has now acted on.
	bob, err := client.CertificatesV1().CertificateSigningRequests().Get(ctx, "bob", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bob.Status.Certificate) > 0 || bob.Status.Conditions[0].Type != certificatesv1.CertificateDenied {
		t.Errorf("denied request: %+v", bob.Status)
	}
	if out := k.must("get", "csr", "bob", "node"); !strings.Contains(out, "Denied") || !strings.Contains(out, "Approved,Failed") {
		t.Errorf("kubectl get csr:\n%s", out)
	}
	if _, err := k.run("certificate", "approve", "bob"); err == nil {
		t.Errorf("approving a denied request succeeded")
	}
}

// TestCSRInvalid: Kubernetes' field causes for a bad request.
func TestCSRInvalid(t *testing.T) {
	c := testcluster.Start(t)
	client := kubernetes.NewForConfigOrDie(c.Config)
	short := int32(60)
	bad := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: []byte("not pem"), SignerName: "nodomain", ExpirationSeconds: &short,
			Usages: []certificatesv1.KeyUsage{"client auth", "flying"},
		},
	}
	_, err := client.CertificatesV1().CertificateSigningRequests().Create(context.Background(), bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("bad csr: %v, want 422", err)
	}
	got := map[string]string{}
	for _, cause := range err.(apierrors.APIStatus).Status().Details.Causes {
		got[cause.Field] = cause.Message
	}
	want := map[string]string{
		"spec.request":           "PEM block type must be CERTIFICATE REQUEST",
		"spec.signerName":        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
		"spec.expirationSeconds": "may not specify a duration less than 600 seconds (10 minutes)",
		"spec.usages[1]":         `Unsupported value: "flying"`,
	}
	for f, msg := range want {
		if !strings.Contains(got[f], msg) {
			t.Errorf("cause %s = %q, want %q", f, got[f], msg)
		}
	}
}

func waitForCertificate(t *testing.T, client kubernetes.Interface, name string) []byte {
	return waitForCSR(t, client, name, func(csr *certificatesv1.CertificateSigningRequest) bool {
		return len(csr.Status.Certificate) > 0
	}).Status.Certificate
}

func waitForCSR(t *testing.T, client kubernetes.Interface, name string, done func(*certificatesv1.CertificateSigningRequest) bool) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	var csr *certificatesv1.CertificateSigningRequest
	waitFor(t, func() bool {
		var err error
		csr, err = client.CertificatesV1().CertificateSigningRequests().Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && done(csr)
	}, "csr "+name)
	return csr
}
