package kubelet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"
)

// serverEnabled reports whether Config.ServerAddr asks for the kubelet
// server.
func (c *Config) serverEnabled() bool { return c.ServerAddr != "" && c.ServerAddr != "0" }

// listenServer opens the kubelet server's TLS listener, or returns nil
// when it is disabled; the port it got is what the node advertises.
func (k *Kubelet) listenServer() (net.Listener, error) {
	if !k.cfg.serverEnabled() {
		return nil, nil
	}
	tc, err := k.serverTLS()
	if err != nil {
		return nil, fmt.Errorf("kubelet server TLS: %w", err)
	}
	ln, err := net.Listen("tcp", k.cfg.ServerAddr)
	if err != nil {
		return nil, fmt.Errorf("kubelet server: %w", err)
	}
	k.serverPort = int32(ln.Addr().(*net.TCPAddr).Port)
	return tls.NewListener(ln, tc), nil
}

// serverTLS serves the configured certificate or a self-signed one for
// the node, and asks clients for a certificate checked by the handler.
func (k *Kubelet) serverTLS() (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if k.cfg.TLSCertFile != "" {
		cert, err = tls.LoadX509KeyPair(k.cfg.TLSCertFile, k.cfg.TLSKeyFile)
	} else {
		cert, err = selfSignedCert(k.cfg.NodeName, k.cfg.NodeIP, k.cfg.Now())
	}
	if err != nil {
		return nil, err
	}
	// Streams are HTTP/1.1 upgrades, which HTTP/2 cannot carry.
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}, nil
}

// selfSignedCert is the kubelet's serving certificate when none is
// given, like the Kubernetes kubelet's <hostname>.crt.
func selfSignedCert(nodeName, nodeIP string, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: fmt.Sprintf("%s@%d", nodeName, now.Unix())},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{nodeName},
	}
	if ip := net.ParseIP(nodeIP); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serverHandler routes the kubelet API behind client-certificate
// authentication.
func (k *Kubelet) serverHandler(stats *statsProvider) (http.Handler, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(k.cfg.RootCA) {
		return nil, errors.New("kubelet server: RootCA holds no certificate to check clients with")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.serveContainerLogs)
	mux.HandleFunc("GET /stats/summary", stats.serveSummary)
	mux.HandleFunc("GET /metrics/resource", stats.serveResourceMetrics)
	for _, m := range []string{"GET", "POST"} {
		mux.HandleFunc(m+" /exec/{namespace}/{pod}/{container}", k.serveExec)
		mux.HandleFunc(m+" /attach/{namespace}/{pod}/{container}", k.serveAttach)
		mux.HandleFunc(m+" /portForward/{namespace}/{pod}", k.servePortForward)
	}
	return requireClientCert(roots, mux), nil
}

// requireClientCert answers 401 unless the client presented a
// certificate the cluster CA signed for client authentication.
func requireClientCert(roots *x509.CertPool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		inter := x509.NewCertPool()
		for _, c := range r.TLS.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if _, err := r.TLS.PeerCertificates[0].Verify(opts); err != nil {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serve runs the kubelet server on ln, and the stats sampling behind
// it, until ctx ends.
func (k *Kubelet) serve(ctx context.Context, ln net.Listener) error {
	stats := newStatsProvider(k, k.cfg.Runtime)
	h, err := k.serverHandler(stats)
	if err != nil {
		ln.Close()
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	wg.Go(func() { stats.run(sampling) })
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog: slog.NewLogLogger(k.log.Handler(), slog.LevelDebug)}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	k.log.Info("kubelet server listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
