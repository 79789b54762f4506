package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
)

// ServiceLookup returns a Service by namespace and name.
type ServiceLookup func(ctx context.Context, namespace, name string) (*corev1.Service, error)

// caller POSTs AdmissionReviews over HTTPS, with one client per CA bundle
// and server name so connections are reused across requests.
type caller struct {
	services ServiceLookup
	clients  sync.Map // caBundle + "\x00" + serverName → *http.Client
}

// endpoint is where a webhook is called: the URL to POST, the TLS server
// name, and for a Service the ClusterIP address to dial instead.
type endpoint struct {
	url, serverName, dial string
}

// resolve turns a client config into an endpoint: a url as is; a Service
// reference into https://<svc>.<ns>.svc:<port><path>, dialled at the
// Service's ClusterIP.
func (c *caller) resolve(ctx context.Context, cc *admissionregv1.WebhookClientConfig) (endpoint, error) {
	if cc.URL != nil {
		u, err := url.Parse(*cc.URL)
		if err != nil {
			return endpoint{}, err
		}
		return endpoint{url: *cc.URL, serverName: u.Hostname()}, nil
	}
	ref := cc.Service
	if ref == nil {
		return endpoint{}, errors.New("no url or service in clientConfig")
	}
	port := deref(ref.Port, 443)
	host := ref.Name + "." + ref.Namespace + ".svc"
	svc, err := c.services(ctx, ref.Namespace, ref.Name)
	if err != nil {
		return endpoint{}, fmt.Errorf("service %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	ip := svc.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone {
		return endpoint{}, fmt.Errorf("service %s/%s has no ClusterIP", ref.Namespace, ref.Name)
	}
	hostPort := net.JoinHostPort(host, strconv.Itoa(int(port)))
	return endpoint{
		url: "https://" + hostPort + deref(ref.Path, ""), serverName: host,
		dial: net.JoinHostPort(ip, strconv.Itoa(int(port))),
	}, nil
}

func (c *caller) client(caBundle []byte, ep endpoint) (*http.Client, error) {
	key := string(caBundle) + "\x00" + ep.serverName + "\x00" + ep.dial
	if cl, ok := c.clients.Load(key); ok {
		return cl.(*http.Client), nil
	}
	cfg := &tls.Config{ServerName: ep.serverName, MinVersion: tls.VersionTLS12}
	if len(caBundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caBundle) {
			return nil, errors.New("caBundle holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16}
	if ep.dial != "" {
		d := &net.Dialer{}
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, ep.dial)
		}
	}
	cl, _ := c.clients.LoadOrStore(key, &http.Client{Transport: tr})
	return cl.(*http.Client), nil
}

// call sends req to h and returns its response. Any error is a failure
// to call the webhook, which failurePolicy decides about.
func (c *caller) call(ctx context.Context, h *hook, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, error) {
	ep, err := c.resolve(ctx, &h.clientConfig)
	if err != nil {
		return nil, err
	}
	cl, err := c.client(h.clientConfig.CABundle, ep)
	if err != nil {
		return nil, err
	}
	apiVersion := reviewVersion(h.reviewVersions)
	body, err := json.Marshal(&admissionv1.AdmissionReview{TypeMeta: typeMeta(apiVersion), Request: req})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	resp, err := cl.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 3<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("the server responded with the status code %d but did not return more information", resp.StatusCode)
	}
	return parseResponse(data, apiVersion, req)
}

// parseResponse checks the review a webhook answered with, as Kubernetes
// does: same version, a response, and for v1 the request's uid.
func parseResponse(data []byte, apiVersion string, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &review); err != nil {
		return nil, fmt.Errorf("received invalid webhook response: %w", err)
	}
	switch {
	case review.Response == nil:
		return nil, errors.New("received invalid webhook response: response was absent")
	case apiVersion != "admission.k8s.io/v1":
	case review.APIVersion != apiVersion || review.Kind != "AdmissionReview":
		return nil, fmt.Errorf("received invalid webhook response: expected webhook response of %s, Kind=AdmissionReview, got %s, Kind=%s", apiVersion, review.APIVersion, review.Kind)
	case review.Response.UID != req.UID:
		return nil, fmt.Errorf("received invalid webhook response: expected response.uid=%q, got %q", req.UID, review.Response.UID)
	}
	return review.Response, nil
}
