package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/deployment"
	"github.com/skiff-sh/skiff/internal/controller/endpointslice"
	"github.com/skiff-sh/skiff/internal/controller/replicaset"
	"github.com/skiff-sh/skiff/internal/controller/serviceaccount"
	"github.com/skiff-sh/skiff/internal/server"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// webCommand serves the pod's name on port 80 and, on SIGTERM, keeps
// serving for a second so the proxy can take the pod out first, as a
// preStop sleep does in Kubernetes.
const webCommand = "mkdir -p /www && hostname > /www/index.html && trap 'sleep 1; exit' TERM; httpd -f -p 80 -h /www & wait; wait"

// TestServiceWalkthrough is the tutorial path of Kubernetes' Service
// documentation, typed with the real kubectl against one real node:
// create a Deployment, expose it, reach it by ClusterIP from the host and
// from a pod, by DNS name (also headless and ExternalName), through an
// Ingress with two hosts and a TLS host; scale it to zero and back; and
// delete a pod while requests flow.
func TestServiceWalkthrough(t *testing.T) {
	requireNode(t)
	installNetworkGuard(t)
	c := testcluster.Start(t, func(cfg *server.Config) { cfg.DisableScheduler = false })
	c.RunControllers(t, map[string]controllerctx.Constructor{
		"deployment": deployment.New, "replicaset": replicaset.New,
		"endpointslice": endpointslice.New, "serviceaccount": serviceaccount.New,
	}, nil)
	httpAddr, httpsAddr := testcluster.FreeAddr(t), testcluster.FreeAddr(t)
	startNodeWith(t, c, "e2e-node", func(cfg *agent.Config) {
		cfg.Network.DisableIngress = false
		cfg.Network.IngressHTTPAddr, cfg.Network.IngressHTTPSAddr = httpAddr, httpsAddr
	})
	k := kubectlCLI{t: t, kubeconfig: c.Server.KubeconfigPath(), namespace: "default"}
	// Runs before the node's cleanup (cleanups run last-in first-out):
	// with the controllers still running, deleted pods would be replaced
	// and started while the node shuts down, leaving shims behind.
	t.Cleanup(func() { scaleAllToZero(t, c) })
	waitFor(t, 30*time.Second, "default ServiceAccount", func() (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(context.Background(), "default", metav1.GetOptions{})
		return err == nil, nil
	})

	k.run("", "create", "deployment", "nginx", "--image="+busyboxImage, "--port=80", "--replicas=2", "--", "sh", "-c", webCommand)
	k.run("", "expose", "deployment", "nginx", "--port=8080", "--target-port=80")
	ip := k.run("", "get", "svc", "nginx", "-o", "template", "--template={{.spec.clusterIP}}")
	url := "http://" + net.JoinHostPort(ip, "8080") + "/"
	pods := podNames(t, c, "app=nginx", 2)

	t.Run("both replicas answer on the ClusterIP from the host", func(t *testing.T) {
		getUntilAll(t, url, "", pods)
	})

	k.run("", "create", "service", "clusterip", "nginx-headless", "--clusterip=None", "--tcp=80:80")
	k.run("", "set", "selector", "service", "nginx-headless", "app=nginx")
	k.run("", "create", "service", "externalname", "alias", "--external-name=nginx.default.svc.cluster.local")

	t.Run("DNS: service, headless pod records and ExternalName", func(t *testing.T) {
		waitFor(t, 30*time.Second, "nginx.default.svc.cluster.local", func() (bool, error) {
			return sameStrings(lookupA(t, "nginx.default.svc.cluster.local."), []string{ip}), nil
		})
		var podIPs []string
		for _, p := range pods {
			podIPs = append(podIPs, k.run("", "get", "pod", p, "-o", "template", "--template={{.status.podIP}}"))
		}
		waitFor(t, 30*time.Second, "headless records = pod IPs", func() (bool, error) {
			return sameStrings(lookupA(t, "nginx-headless.default.svc.cluster.local."), podIPs), nil
		})
		waitFor(t, 30*time.Second, "ExternalName alias → nginx", func() (bool, error) {
			return sameStrings(lookupA(t, "alias.default.svc.cluster.local."), []string{ip}), nil
		})
	})

	t.Run("a pod reaches the service by name and both replicas answer", func(t *testing.T) {
		script := "for i in $(seq 1 60); do timeout 3 wget -qO- http://nginx.default.svc.cluster.local:8080/ || sleep 0.5; done"
		k.run("", "run", "client", "--image="+busyboxImage, "--restart=Never", "--command", "--", "sh", "-c", script)
		waitFor(t, 90*time.Second, "client pod done", func() (bool, error) {
			phase := k.run("", "get", "pod", "client", "-o", "template", "--template={{.status.phase}}")
			return phase == "Succeeded" || phase == "Failed", nil
		})
		out := k.run("", "logs", "client")
		for _, p := range pods {
			if !strings.Contains(out, p) {
				t.Errorf("replica %s never answered the pod; its output:\n%s", p, out)
			}
		}
	})

	t.Run("Ingress: two hosts and a TLS host", func(t *testing.T) {
		k.run("", "create", "deployment", "other", "--image="+busyboxImage, "--port=80", "--", "sh", "-c", webCommand)
		k.run("", "expose", "deployment", "other", "--port=8080", "--target-port=80")
		others := podNames(t, c, "app=other", 1)
		certFile, keyFile, pool := selfSigned(t, "secure.example")
		k.run("", "create", "secret", "tls", "secure", "--cert="+certFile, "--key="+keyFile)
		k.run("", "create", "ingress", "web",
			"--rule=a.example/*=nginx:8080", "--rule=b.example/*=other:8080", "--rule=secure.example/*=nginx:8080,tls=secure")
		getUntilAll(t, "http://"+httpAddr+"/", "a.example", pods)
		getUntilAll(t, "http://"+httpAddr+"/", "b.example", others)
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "secure.example"}}
		hc := &http.Client{Transport: tr, Timeout: 3 * time.Second}
		waitFor(t, 30*time.Second, "https://secure.example with its own certificate", func() (bool, error) {
			req, _ := http.NewRequest("GET", "https://"+httpsAddr+"/", nil)
			req.Host = "secure.example"
			resp, err := hc.Do(req)
			if err != nil {
				return false, nil
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode == 200 && contains(pods, strings.TrimSpace(string(b))), nil
		})
	})

	t.Run("scaled to zero the service stops answering, scaled back it answers", func(t *testing.T) {
		k.run("", "scale", "deployment", "nginx", "--replicas=0")
		waitFor(t, 60*time.Second, "no answer", func() (bool, error) {
			_, err := get(url)
			return err != nil, nil
		})
		k.run("", "scale", "deployment", "nginx", "--replicas=2")
		pods = podNames(t, c, "app=nginx", 2)
		getUntilAll(t, url, "", pods)
	})

	t.Run("deleting a pod loses no request", func(t *testing.T) {
		stop := make(chan struct{})
		type tally struct{ ok, failed int }
		done := make(chan tally)
		go func() {
			var n tally
			for {
				select {
				case <-stop:
					done <- n
					return
				default:
				}
				if _, err := get(url); err != nil {
					n.failed++
				} else {
					n.ok++
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		time.Sleep(500 * time.Millisecond)
		k.run("", "delete", "pod", pods[0], "--wait=true")
		time.Sleep(time.Second)
		close(stop)
		n := <-done
		t.Logf("requests while a pod was deleted: %d answered, %d failed", n.ok, n.failed)
		if n.failed > 0 || n.ok == 0 {
			t.Errorf("%d of %d requests failed while a pod was deleted", n.failed, n.ok+n.failed)
		}
	})
}

// scaleAllToZero scales every Deployment of the default namespace to
// zero and waits until their pods are gone.
func scaleAllToZero(t *testing.T, c *testcluster.Cluster) {
	ctx := context.Background()
	deps, err := c.Client.AppsV1().Deployments("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("cleanup: list deployments: %v", err)
		return
	}
	for _, d := range deps.Items {
		s, err := c.Client.AppsV1().Deployments("default").GetScale(ctx, d.Name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		s.Spec.Replicas = 0
		_, _ = c.Client.AppsV1().Deployments("default").UpdateScale(ctx, d.Name, s, metav1.UpdateOptions{})
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		pods, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app in (nginx, other)"})
		if err == nil && len(pods.Items) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Log("cleanup: deployment pods still present after 60s")
}

// podNames waits until exactly n pods match the selector, all Ready and
// none terminating, and returns their names, sorted.
func podNames(t *testing.T, c *testcluster.Cluster, selector string, n int) []string {
	t.Helper()
	var names []string
	waitFor(t, 90*time.Second, selector+" pods Ready", func() (bool, error) {
		list, err := c.Client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		names = names[:0]
		for i := range list.Items {
			p := &list.Items[i]
			if p.DeletionTimestamp != nil || !podReady(p) {
				return false, nil
			}
			names = append(names, p.Name)
		}
		return len(names) == n, nil
	})
	sort.Strings(names)
	return names
}

// getUntilAll fetches url (with Host host) until every name has answered.
func getUntilAll(t *testing.T, url, host string, names []string) {
	t.Helper()
	seen := map[string]bool{}
	waitFor(t, 60*time.Second, "answers from "+strings.Join(names, ", ")+" at "+url+" "+host, func() (bool, error) {
		req, _ := http.NewRequest("GET", url, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Do(req)
		if err != nil {
			return false, nil
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			seen[strings.TrimSpace(string(b))] = true
		}
		for _, n := range names {
			if !seen[n] {
				return false, nil
			}
		}
		return true, nil
	})
}

// get fetches url on a fresh connection, so every request is balanced
// anew by the proxy.
func get(url string) (string, error) {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = io.ErrUnexpectedEOF
	}
	return string(b), err
}

// lookupA asks the cluster DNS address on the node for name's A records,
// following a CNAME in the answer.
func lookupA(t *testing.T, name string) []string {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r, _, err := new(dns.Client).Exchange(m, net.JoinHostPort(e2eClusterDNS, "53"))
	if err != nil {
		return nil
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// selfSigned writes a certificate for host and its key, PEM, and returns
// their paths and a pool trusting the certificate.
func selfSigned(t *testing.T, host string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
